"""What the missing pages show, built from what the selectors return.

The views parse input, call a service or selector and render; turning episodes, interviews and
safety profiles into GOV.UK summary lists, tables, tags and banners is here, in plain functions,
so that a page's wording can be read (and changed) in one place and the views stay short. Each
function takes records already fetched for the user (access has been checked) and returns the
context a template needs: components render themselves with ``{{ component }}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from govuk_frontend_django.components.summary_list import GovUKSummaryList
from govuk_frontend_django.components.table import GovUKTable

from sightline.children.models import Child
from sightline.children.selectors import age_on
from sightline.core.calendar import LONDON
from sightline.core.views import (
    deadline,
    long_date,
    scrolling,
    table_cell,
    table_head,
    tag,
    when,
)
from sightline.missing.forms import FINDINGS, PROFILE_FIELDS
from sightline.missing.models import (
    AlertEvent,
    Episode,
    EpisodeKind,
    EpisodeUpdate,
    FoundBy,
    InterviewStatus,
    ReturnInterview,
    RiskGrade,
    UpdateKind,
)
from sightline.missing.notices import alert_recipients
from sightline.missing.selectors import (
    SafetyHandout,
    SafetyProfileView,
    episode_current_risk,
    episode_duration,
    episode_updates,
)
from sightline.organisations.models import Organisation, OrganisationKind, User

# --- Words and tags used on several pages --------------------------------------------------


def duration_text(delta: dt.timedelta) -> str:
    """3 hours 20 minutes; 2 days 4 hours. Minutes only under a day."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 1:
        return "Less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if mins and not days:
        parts.append(f"{mins} minute{'s' if mins != 1 else ''}")
    return " ".join(parts)


def grade_text(grade: RiskGrade | None, version: str = "") -> str:
    """A police risk grade with its list's version: "Medium risk (2021 list)"."""
    if grade is None:
        return "Not graded"
    return f"{grade.label} ({version or grade.list.version} list)"


EPISODE_TAGS = {
    EpisodeKind.MISSING: ("Missing", "govuk-tag--red"),
    EpisodeKind.AWAY: ("Away", "govuk-tag--orange"),
}
INTERVIEW_TAGS = {
    InterviewStatus.TO_OFFER: "govuk-tag--blue",
    InterviewStatus.OFFERED: "govuk-tag--light-blue",
    InterviewStatus.ACCEPTED: "govuk-tag--turquoise",
    InterviewStatus.DECLINED: "govuk-tag--grey",
    InterviewStatus.COMPLETED: "govuk-tag--green",
}


def episode_tag(episode: Episode) -> str:
    if not episode.is_open:
        return tag("Returned", "govuk-tag--green")
    text, classes = EPISODE_TAGS[EpisodeKind(episode.kind)]
    return tag(text, classes)


def interview_overdue(interview: ReturnInterview, now: dt.datetime) -> bool:
    return interview.is_outstanding and interview.due_at < now


def interview_tag(interview: ReturnInterview, now: dt.datetime) -> str:
    status = InterviewStatus(interview.status)
    html = tag(status.label, INTERVIEW_TAGS[status])
    if interview_overdue(interview, now):
        html += " " + tag("Overdue", "govuk-tag--red")
    return html


def row(key: str, value: str | None = None, *, html: str | None = None) -> dict[str, Any]:
    return {"key": {"text": key}, "value": {"html": html} if html else {"text": value or ""}}


def multiline(value: str, empty: str = "Not recorded") -> str:
    """Free text with its line breaks, escaped."""
    if not value:
        return format_html('<span class="govuk-hint">{}</span>', empty)
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in value.splitlines()))


def who(user: User | None, organisation: Organisation | None = None) -> str:
    if user is None:
        return "Sightline"
    name = user.get_full_name() or user.username
    return f"{name}, {organisation.name}" if organisation else name


def recipients_text(episode: Episode) -> str:
    """Southwark Council (placing council), Stockport Council (host council), ..."""
    names = []
    for org in alert_recipients(episode=episode):
        roles = []
        if org.kind == OrganisationKind.COUNCIL and org.council_id == episode.placing_council_id:
            roles.append("placing council")
        if org.kind == OrganisationKind.COUNCIL and org.council_id == episode.host_council_id:
            roles.append("host council")
        if org.kind == OrganisationKind.POLICE:
            roles.append("police")
        names.append(f"{org.name} ({' and '.join(roles)})" if roles else org.name)
    return ", ".join(names)


def banner(heading: str, *paragraphs: str) -> str:
    return format_html(
        '<h3 class="govuk-notification-banner__heading">{}</h3>{}',
        heading,
        format_html_join("", '<p class="govuk-body">{}</p>', ((p,) for p in paragraphs)),
    )


def episode_summary(episode: Episode, *, now: dt.datetime) -> GovUKSummaryList:
    current = episode_current_risk(episode=episode)
    if episode.reported_to_police:
        police = f"Yes, reference {episode.police_reference}" if episode.police_reference else "Yes"
    else:
        police = "No"
    grade = grade_text(episode.risk_grade, episode.risk_grade_list_version)
    if episode.risk_grade and episode.risk_grade_supplied_by:
        grade += f", given by {episode.risk_grade_supplied_by}"
    duration = duration_text(episode_duration(episode=episode, at=now))
    setting = episode.setting
    rows = [
        row("Status", html=episode_tag(episode)),
        row("Missing or away", EpisodeKind(episode.kind).label),
        row("Last seen", when(episode.last_seen_at)),
        row("Where last seen", html=multiline(episode.last_seen_place)),
        row("Wearing", html=multiline(episode.clothing)),
        row("What happened", html=multiline(episode.circumstances)),
        row("Duration", duration if not episode.is_open else f"{duration} so far"),
        row("Reported to the police", police),
        row("Police risk grade when reported", grade),
    ]
    if current is not None and current != episode.risk_grade:
        rows.append(row("Current police risk grade", grade_text(current)))
    rows += [
        row("Placed by", episode.placing_council.name),
        row(
            "Living at",
            f"{setting.name}, {episode.host_council.name} "
            f"({episode.host_police_force.name} police area)",
        ),
        row(
            "Reported by",
            f"{who(episode.reported_by, episode.reported_by_organisation)}, "
            f"{when(episode.reported_at)}",
        ),
    ]
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


def updates_table(updates: Iterable[EpisodeUpdate]) -> GovUKTable | None:
    rows = []
    for update in updates:
        what = UpdateKind(update.kind).label
        if update.kind == UpdateKind.RISK_CHANGE:
            grade = grade_text(update.risk_grade, update.risk_grade_list_version)
            what = f"Risk grade changed to {grade}"
        rows.append(
            [
                table_cell(when(update.supplied_at)),
                table_cell(what),
                table_cell(html=multiline(update.text, "None given")),
                table_cell(update.supplied_by),
                table_cell(
                    f"{who(update.recorded_by, update.recorded_by_organisation)}, "
                    f"{when(update.recorded_at)}"
                ),
            ]
        )
    if not rows:
        return None
    return GovUKTable(
        caption="Updates",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Supplied"),
            table_head("What"),
            table_head("Details"),
            table_head("Supplied by"),
            table_head("Recorded by"),
        ],
        rows=rows,
        classes="app-table--compact",
    )


def _flag_tag(value: bool | None, yes: str, no: str) -> str:
    if value is None:
        return tag("Not known", "govuk-tag--grey")
    return tag(yes, "govuk-tag--orange") if value else tag(no, "govuk-tag--green")


def return_summary(episode: Episode) -> GovUKSummaryList | None:
    if episode.is_open:
        return None
    found_by = FoundBy(episode.found_by).label if episode.found_by else "Not recorded"
    if episode.found_by_detail:
        found_by += f": {episode.found_by_detail}"
    where = ", ".join(v for v in (episode.found_place, episode.found_postcode) if v)
    rows = [
        row("Found or returned", when(episode.returned_at)),
        row("Where", html=multiline(where)),
        row("Council area", episode.found_council.name if episode.found_council else "Not known"),
        row(
            "Police force area",
            episode.found_police_force.name if episode.found_police_force else "Not known",
        ),
        row(
            "Host area",
            html=_flag_tag(
                episode.found_outside_host_area,
                "Found outside the host area",
                "Found in the host area",
            ),
        ),
        row(
            "Police force",
            html=_flag_tag(
                episode.found_in_other_force_area,
                "Found in another force area",
                "Found in the home's force area",
            ),
        ),
        row("Found by", found_by),
        row("Condition on return", html=multiline(episode.condition)),
        row("Recorded by", f"{who(episode.closed_by)}, {when(episode.closed_at)}"),
    ]
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


def interview_card(interview: ReturnInterview, *, now: dt.datetime) -> GovUKSummaryList:
    rows = [
        row("Status", html=interview_tag(interview, now)),
        row("Due", deadline(interview.due_at)),
        row("Held by", interview.service.name),
    ]
    link = reverse("interview_detail", args=[interview.id])
    return GovUKSummaryList(
        rows=rows,  # type: ignore[arg-type]
        card={  # type: ignore[arg-type]
            "title": {"text": "Return home interview", "headingLevel": 2},
            "actions": {
                "items": [
                    {
                        "href": link,
                        "text": "Open",
                        "visuallyHiddenText": " the return home interview",
                    }
                ]
            },
        },
    )


def profile_rows(child: Child, profile: Any) -> list[dict[str, Any]]:
    rows = []
    if profile is not None and profile.photo:
        photo = reverse("safety_profile_photo", args=[child.id])
        taken = f"Taken on {long_date(profile.photo_taken_on)}" if profile.photo_taken_on else ""
        rows.append(
            row(
                "Photo",
                html=format_html(
                    '<img class="app-profile-photo" src="{}?version={}" alt="Photo of {}" '
                    'width="200">{}',
                    photo,
                    profile.version,
                    child.known_as,
                    format_html('<p class="govuk-body-s">{}</p>', taken) if taken else "",
                ),
            )
        )
    else:
        rows.append(row("Photo", html=multiline("", "No photo")))
    for name, (label, _) in PROFILE_FIELDS.items():
        rows.append(row(label, html=multiline(getattr(profile, name, "") if profile else "")))
    return rows


def previous_episodes_table(rows: Iterable[Any]) -> GovUKTable | None:
    body = []
    for e in rows:
        found = ", ".join(v for v in (e.found_place, e.found_postcode) if v) or "Not recorded"
        areas = ", ".join(v for v in (e.found_council, e.found_police_force) if v)
        flags = []
        if e.found_outside_host_area:
            flags.append(tag("Outside host area", "govuk-tag--orange"))
        if e.found_in_other_force_area:
            flags.append(tag("Other force area", "govuk-tag--orange"))
        body.append(
            [
                table_cell(
                    html=format_html(
                        '<a class="govuk-link" href="{}">{}</a>',
                        reverse("episode_detail", args=[e.episode_id]),
                        "Missing" if e.kind == EpisodeKind.MISSING else "Away",
                    )
                ),
                table_cell(when(e.last_seen_at)),
                table_cell(
                    duration_text(e.duration) if e.duration is not None else "Still missing or away"
                ),
                table_cell(e.setting_name),
                table_cell(
                    html=format_html("{}{}", found, f" ({areas})" if areas else "")
                    + "".join(f" {flag}" for flag in flags)
                ),
                table_cell(e.risk_grade or "Not graded"),
            ]
        )
    if not body:
        return None
    return GovUKTable(
        caption="Previous episodes",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Episode"),
            table_head("Last seen"),
            table_head("Duration"),
            table_head("From"),
            table_head("Found"),
            table_head("Risk grade"),
        ],
        rows=body,
        classes="app-table--compact",
    )


def history_table(versions: Iterable[Any]) -> GovUKTable | None:
    labels = {name: label.lower() for name, (label, _) in PROFILE_FIELDS.items()}
    labels["photo"] = "photo"
    body = [
        [
            table_cell(v.version, numeric=True),
            table_cell(when(v.recorded_at)),
            table_cell(who(v.recorded_by, v.recorded_by_organisation)),
            table_cell(
                ", ".join(
                    labels.get(f.strip(), f.strip()) for f in v.changed_fields.split(",") if f
                ).capitalize()
                or "Nothing"
            ),
        ]
        for v in versions
    ]
    if not body:
        return None
    return GovUKTable(
        caption="Versions",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Version", numeric=True),
            table_head("Recorded"),
            table_head("By"),
            table_head("Changed"),
        ],
        rows=body,
        classes="app-table--compact",
    )


def interview_summary(interview: ReturnInterview, *, now: dt.datetime) -> GovUKSummaryList:
    episodes = sorted(interview.episodes.all(), key=lambda e: e.last_seen_at)
    covered = format_html_join(
        mark_safe("<br>"),
        '<a class="govuk-link" href="{}">{} from {}</a>',
        (
            (
                reverse("episode_detail", args=[e.id]),
                "Missing" if e.kind == EpisodeKind.MISSING else "Away",
                when(e.last_seen_at),
            )
            for e in episodes
        ),
    )
    rows = [
        row("Status", html=interview_tag(interview, now)),
        row("Due", deadline(interview.due_at)),
        row("Held by", f"{interview.service.name} ({interview.assigned_by_rule})"),
        row("Episodes covered", html=covered),
    ]
    if interview.offered_at:
        rows.append(row("Offered", when(interview.offered_at)))
    if interview.accepted_at:
        rows.append(row("Accepted", when(interview.accepted_at)))
    if interview.declined_at:
        rows.append(row("Declined", when(interview.declined_at)))
        rows.append(row("Why the child declined", html=multiline(interview.declined_reason)))
    if interview.completed_at:
        independent = "Yes" if interview.independent else "No"
        if interview.independent is False and interview.not_independent_reason:
            independent += f": {interview.not_independent_reason}"
        rows += [
            row("Held", when(interview.completed_at)),
            row("Interviewer", interview.interviewer_name),
            row("Independent", independent),
        ]
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


def findings_summary(interview: ReturnInterview) -> GovUKSummaryList | None:
    if interview.status != InterviewStatus.COMPLETED:
        return None
    rows = [
        row(label, html=multiline(getattr(interview, name)))
        for name, (label, _) in FINDINGS.items()
        if name != "child_words"
    ]
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


def people_table(interview: ReturnInterview) -> GovUKTable | None:
    people = list(interview.people.all())
    if not people:
        return None
    return GovUKTable(
        caption="People",
        captionClasses="govuk-table__caption--s",
        head=[table_head("Name or description"), table_head("Relationship"), table_head("Age")],
        rows=[
            [
                table_cell(p.description),
                table_cell(p.relationship or "Not known"),
                table_cell(p.approximate_age or "Not known"),
            ]
            for p in people
        ],
    )


def places_table(interview: ReturnInterview) -> GovUKTable | None:
    places = list(interview.places.select_related("council", "police_force"))
    if not places:
        return None
    return GovUKTable(
        caption="Places",
        captionClasses="govuk-table__caption--s",
        head=[
            table_head("Place"),
            table_head("Postcode"),
            table_head("Council area"),
            table_head("Police force area"),
        ],
        rows=[
            [
                table_cell(p.description),
                table_cell(p.postcode or "Not known"),
                table_cell(p.council.name if p.council else "Not known"),
                table_cell(p.police_force.name if p.police_force else "Not known"),
            ]
            for p in places
        ],
    )


INTERVIEW_EVENT_TEXT = {
    InterviewStatus.TO_OFFER: "To be offered",
    InterviewStatus.OFFERED: "Offered to the child",
    InterviewStatus.ACCEPTED: "Accepted by the child",
    InterviewStatus.DECLINED: "Declined by the child",
    InterviewStatus.COMPLETED: "Interview held",
}


def missing_table(
    episodes: list[Episode], *, caption: str, now: dt.datetime, ended: bool = False
) -> GovUKTable:
    """Episodes as a table. ``ended``: for lists that hold returns too, a "Back" column and
    the duration in place of the current risk grade; the caption is then for screen readers
    only."""
    head = ["Child", "903 CHILD id", "Missing or away", "Last seen"]
    head += ["Back", "Duration"] if ended else ["Duration so far", "Police risk grade"]
    head += ["Living at", "Placed by"]

    def row(e: Episode) -> list[Any]:
        duration = duration_text(episode_duration(episode=e, at=now))
        cells = [
            table_cell(
                html=format_html(
                    '<a class="govuk-link" href="{}">{}</a>',
                    reverse("episode_detail", args=[e.id]),
                    e.child.full_name,
                )
            ),
            table_cell(e.child.child_ref),
            table_cell(html=episode_tag(e)),
            table_cell(when(e.last_seen_at)),
        ]
        if ended:
            cells += [
                table_cell(when(e.returned_at) if e.returned_at else "Not back yet"),
                table_cell(duration + ("" if e.returned_at else " so far")),
            ]
        else:
            cells += [
                table_cell(duration),
                table_cell(grade_text(episode_current_risk(episode=e))),
            ]
        return [
            *cells,
            table_cell(f"{e.setting.name}, {e.host_council.name}"),
            table_cell(e.placing_council.name),
        ]

    return GovUKTable(
        caption=caption,
        captionClasses="govuk-visually-hidden" if ended else "govuk-table__caption--m",
        head=[table_head(text) for text in head],
        rows=[row(e) for e in episodes],
        classes="app-table--compact",
    )


def episodes_table(episodes: list[Episode], *, now: dt.datetime) -> GovUKTable:
    """Missing now's table, with when each child was back and how long each episode lasted."""
    return missing_table(episodes, caption="Episodes", now=now, ended=True)


# --- Pages ---------------------------------------------------------------------------------


def episode_page(episode: Episode, *, now: dt.datetime) -> dict[str, Any]:
    """What the episode page shows about the episode; the view adds the form and permissions."""
    interviews = list(episode.interviews.select_related("service"))
    return {
        "heading": "Missing episode"
        if episode.kind == EpisodeKind.MISSING
        else "Away from placement",
        "summary": episode_summary(episode, now=now),
        "updates": updates_table(episode_updates(episode=episode)),
        "alerted": [
            link.recipient
            for link in episode.notice_links.select_related("recipient")
            if link.event == AlertEvent.REPORTED
        ],
        "returned": return_summary(episode),
        "interviews": [interview_card(i, now=now) for i in interviews],
    }


def return_banner(closed: Episode) -> str:
    """The banner after a return is recorded: who was told, where the child was found, and
    when the return home interview is due."""
    facts = []
    if closed.found_outside_host_area:
        facts.append("Found outside the host area.")
    if closed.found_in_other_force_area:
        facts.append("Found in another force area.")
    interview = closed.interviews.order_by("due_at").first()
    due = [f"Return home interview due: {deadline(interview.due_at)}."] if interview else []
    return banner(
        "Return recorded",
        f"Child safe notices sent to: {recipients_text(closed)}.",
        *facts,
        *due,
    )


def safety_profile_page(view: SafetyProfileView, *, versions: Iterable[Any]) -> dict[str, Any]:
    """The profile, previous episodes and versions; the view adds who may edit."""
    child = view.access.child
    grant = view.access.grant
    return {
        "child": child,
        "profile": view.profile,
        "summary": GovUKSummaryList(rows=profile_rows(child, view.profile)),  # type: ignore[arg-type]
        "previous": scrolling(previous_episodes_table(view.previous_episodes)),
        "history": scrolling(history_table(versions)),
        "grant": grant,
        "grant_ends": when(grant.ends_at) if grant and grant.ends_at else "",
        "updated": f"{who(view.profile.recorded_by, view.profile.recorded_by_organisation)}, "
        f"{when(view.profile.recorded_at)}"
        if view.profile
        else "",
    }


def _interview_event_text(status: str, detail: str) -> str:
    if not detail.startswith(("Covers", "Overdue", "Created")):
        return INTERVIEW_EVENT_TEXT.get(InterviewStatus(status), status)
    if detail.startswith("Overdue"):
        return "Overdue: escalated to the placing council"
    if detail.startswith("Created"):
        return "Created when the child returned"
    return "Now covers another episode too"


def interview_page(interview: ReturnInterview, *, now: dt.datetime) -> dict[str, Any]:
    """What the interview page shows about the interview; the view adds the form and
    permissions."""
    return {
        "summary": interview_summary(interview, now=now),
        "findings": findings_summary(interview),
        "people": people_table(interview),
        "places": places_table(interview),
        "information": [
            {
                "text": multiline(i.text),
                "supplied_by": i.supplied_by,
                "recorded": f"{who(i.recorded_by, i.recorded_by_organisation)}, "
                f"{when(i.recorded_at)}",
            }
            for i in interview.information.select_related("recorded_by", "recorded_by_organisation")
        ],
        "events": [
            {
                "at": when(e.at),
                "text": _interview_event_text(e.status, e.detail),
                "who": who(e.actor),
            }
            for e in interview.events.select_related("actor").order_by("at", "created_at")
        ],
    }


def interviews_table(
    rows: list[ReturnInterview], *, caption: str, now: dt.datetime
) -> GovUKTable | None:
    """A service's interviews, for the list of those to hold and those held or declined."""
    if not rows:
        return None
    return GovUKTable(
        caption=caption,
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Child"),
            table_head("903 CHILD id"),
            table_head("Returned"),
            table_head("Due"),
            table_head("Status"),
        ],
        rows=[
            [
                table_cell(
                    html=format_html(
                        '<a class="govuk-link" href="{}">{}</a>',
                        reverse("interview_detail", args=[i.id]),
                        i.child.full_name,
                    )
                ),
                table_cell(i.child.child_ref),
                table_cell(
                    when(
                        max(
                            (e.returned_at for e in i.episodes.all() if e.returned_at),
                            default=None,
                        )
                    )
                ),
                table_cell(deadline(i.due_at)),
                table_cell(html=interview_tag(i, now)),
            ]
            for i in rows
        ],
        classes="app-table--compact",
    )


def missing_card(e: Episode, *, now: dt.datetime, photo_version: int | None) -> dict[str, Any]:
    """One child missing now, as a card for a phone: photo, age, risk and time missing."""
    photo = (
        f"{reverse('safety_profile_photo', args=[e.child_id])}?version={photo_version}"
        if photo_version is not None
        else None
    )
    facts = [
        row("Age", str(age_on(e.child.date_of_birth, now.astimezone(LONDON).date()))),
        row("Police risk grade", grade_text(episode_current_risk(episode=e))),
        row(
            "Missing for" if e.kind == EpisodeKind.MISSING else "Away for",
            duration_text(episode_duration(episode=e, at=now)),
        ),
        row("Last seen", when(e.last_seen_at)),
        row("Living at", f"{e.setting.name}, {e.host_council.name}"),
    ]
    return {
        "episode_url": reverse("episode_detail", args=[e.id]),
        "name": e.child.full_name,
        "known_as": e.child.known_as,
        "tag": episode_tag(e),
        "photo": photo,
        "facts": GovUKSummaryList(rows=facts, classes="govuk-summary-list--no-border"),  # type: ignore[arg-type]
    }


def missing_list(
    episodes: list[Episode],
    *,
    caption: str,
    now: dt.datetime,
    photos: dict[Any, int],
) -> dict[str, Any]:
    """The same episodes twice: a table for wide screens and cards for phones (the page's
    styles show one or the other at 640 pixels)."""
    return {
        "table": missing_table(episodes, caption=caption, now=now),
        "caption": caption,
        "cards": [missing_card(e, now=now, photo_version=photos.get(e.child_id)) for e in episodes],
    }


def missing_now_sections(
    org: Organisation | None,
    episodes: list[Episode],
    *,
    now: dt.datetime,
    photos: dict[Any, int] | None = None,
) -> list[dict[str, Any]]:
    """Missing now as each kind of organisation reads it: a council sees the children it
    placed and those missing from homes in its area (grouped by placing council); the police
    and providers see one list."""
    photos = photos or {}
    sections: list[dict[str, Any]] = []
    if org is not None and org.kind == OrganisationKind.COUNCIL:
        ours = [e for e in episodes if e.placing_council_id == org.council_id]
        hosted = [e for e in episodes if e.host_council_id == org.council_id]
        by_placing: dict[str, list[Episode]] = {}
        for e in sorted(hosted, key=lambda e: e.placing_council.name):
            by_placing.setdefault(e.placing_council.name, []).append(e)
        sections = [
            {
                "heading": "Our children missing now",
                "empty": "None of the children your council placed is missing or away.",
                "tables": [
                    missing_list(
                        ours, caption="Placed by us, wherever they live", now=now, photos=photos
                    )
                ]
                if ours
                else [],
            },
            {
                "heading": "Missing from homes in our area now",
                "empty": "No child is missing or away from a home in your area.",
                "tables": [
                    missing_list(group, caption=f"Placed by {name}", now=now, photos=photos)
                    for name, group in by_placing.items()
                ],
            },
        ]
    elif org is not None and org.kind == OrganisationKind.POLICE:
        sections = [
            {
                "heading": "Missing in our force area now",
                "empty": "No child you were alerted about is missing or away in your area.",
                "tables": (
                    [missing_list(episodes, caption="Alerts received", now=now, photos=photos)]
                    if episodes
                    else []
                ),
            }
        ]
    elif org is not None and org.kind == OrganisationKind.PROVIDER:
        sections = [
            {
                "heading": "Missing from our homes now",
                "empty": "No child is missing or away from your homes.",
                "tables": (
                    [missing_list(episodes, caption="Missing or away", now=now, photos=photos)]
                    if episodes
                    else []
                ),
            }
        ]
    return sections


def safety_handout_page(
    handout: SafetyHandout, *, now: dt.datetime, photo_src: str | None
) -> dict[str, Any]:
    """The safety profile on one A4 page: what a police officer hands to a patrol. The open
    episode first (last seen when, where and wearing what, its risk grade), then what the
    child looks like, the risks, where the child may be, and who to call. ``photo_src``: the
    photo's address on screen, or a ``data:`` URL when printed to PDF (nothing else loads)."""
    child = handout.access.child
    profile = handout.profile
    episode = handout.episode

    def field(name: str) -> str:
        return multiline(getattr(profile, name, "") if profile else "")

    missing = None
    if episode is not None:
        rows = [
            row("Status", html=episode_tag(episode)),
            row("Last seen", when(episode.last_seen_at)),
            row("Where last seen", html=multiline(episode.last_seen_place)),
            row("Wearing", html=multiline(episode.clothing)),
            row(
                "Missing for" if episode.kind == EpisodeKind.MISSING else "Away for",
                duration_text(episode_duration(episode=episode, at=now)),
            ),
            row("Police risk grade", grade_text(handout.risk)),
            row("Police reference", episode.police_reference or "Not recorded"),
        ]
        missing = GovUKSummaryList(rows=rows)  # type: ignore[arg-type]
    about = [
        row("Name", child.full_name),
        row("903 CHILD id", child.child_ref),
        row("Age", f"{age_on(child.date_of_birth, now.astimezone(LONDON).date())}"),
        row("Date of birth", long_date(child.date_of_birth)),
        row("Description", html=field("description")),
    ]
    risks = [row(PROFILE_FIELDS[n][0], html=field(n)) for n in ("known_risks", "medical_needs")]
    where = [
        row(PROFILE_FIELDS[n][0], html=field(n))
        for n in ("associates", "places_frequented", "phones_and_social_media")
    ]
    contacts = GovUKTable(
        caption="Who to call",
        captionClasses="govuk-table__caption--m",
        head=[table_head("Who"), table_head("Name"), table_head("E-mail")],
        rows=[
            [table_cell(c.role), table_cell(c.name), table_cell(c.email or "Not recorded")]
            for c in handout.contacts
        ],
        classes="app-table--compact",
    )
    taken = (
        f"Photo taken on {long_date(profile.photo_taken_on)}"
        if profile is not None and profile.photo_taken_on
        else ""
    )
    return {
        "child": child,
        "profile": profile,
        "episode": episode,
        "missing": missing,
        "about": GovUKSummaryList(rows=about),  # type: ignore[arg-type]
        "risks": GovUKSummaryList(rows=risks),  # type: ignore[arg-type]
        "where": GovUKSummaryList(rows=where),  # type: ignore[arg-type]
        "contacts": contacts,
        "photo_src": photo_src,
        "photo_taken": taken,
        "printed": when(now),
        "version": (
            f"Profile version {profile.version}, recorded by "
            f"{who(profile.recorded_by, profile.recorded_by_organisation)}, "
            f"{when(profile.recorded_at)}."
            if profile is not None
            else "No safety profile has been recorded: ask the home."
        ),
    }
