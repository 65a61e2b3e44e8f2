"""Missing and away episodes on the web: report, update, return; the safety profile and its
photo; return home interviews; and "Missing now" for each agency.

Every view declares its access rule. One child's data is reached only through
``access_child`` or the missing selectors that go through it; a record that does not exist
and a record the user may not see give the same "Page not found". The views parse input, call
one service and render: the rules are in ``services.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Model
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from govuk_frontend_django.components.error_summary import GovUKErrorSummary
from govuk_frontend_django.components.summary_list import GovUKSummaryList
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.audit import audit_reads
from sightline.access.policy import (
    POLICY,
    Action,
    ChildAccess,
    Involvement,
    Rule,
    access_child,
    declare,
    involvements,
    may,
)
from sightline.children.models import Child
from sightline.children.selectors import age_on
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.core.timeutil import today
from sightline.core.views import (
    deadline,
    error_summary,
    long_date,
    page,
    page_not_found,
    table_cell,
    table_head,
    tag,
    when,
)
from sightline.language.services import language_flags_record
from sightline.missing.forms import (
    FINDINGS,
    PROFILE_FIELDS,
    ChildAgeMixin,
    EpisodeReportForm,
    EpisodeReturnForm,
    EpisodeUpdateForm,
    InterviewCompleteForm,
    InterviewDeclineForm,
    InterviewInformationForm,
    SafetyProfileForm,
)
from sightline.missing.models import (
    AlertEvent,
    Episode,
    EpisodeKind,
    EpisodeUpdate,
    FoundBy,
    InterviewStatus,
    ReturnInterview,
    RiskGrade,
    RiskGradeList,
    UpdateKind,
)
from sightline.missing.notices import alert_recipients
from sightline.missing.selectors import (
    episode_current_risk,
    episode_duration,
    episode_for_user,
    episode_updates,
    episodes_for_child,
    episodes_open_for,
    episodes_recent_for,
    interviews_for_service,
    safety_profile_current,
    safety_profile_for_user,
    safety_profile_history,
    safety_profile_photo_open,
)
from sightline.missing.services import (
    episode_close,
    episode_report,
    episode_update,
    interview_accept,
    interview_add_information,
    interview_complete,
    interview_decline,
    interview_offer,
    risk_grade_list_in_force,
    safety_profile_update,
)
from sightline.notifications.deadlines import LONDON
from sightline.organisations.models import (
    ROLES_BY_KIND,
    Organisation,
    OrganisationKind,
    Role,
    User,
)

# --- Presentation helpers --------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # behind login_required


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


def _row(key: str, value: str | None = None, *, html: str | None = None) -> dict[str, Any]:
    return {"key": {"text": key}, "value": {"html": html} if html else {"text": value or ""}}


def _multiline(value: str, empty: str = "Not recorded") -> str:
    """Free text with its line breaks, escaped."""
    if not value:
        return format_html('<span class="govuk-hint">{}</span>', empty)
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in value.splitlines()))


def _who(user: User | None, organisation: Organisation | None = None) -> str:
    if user is None:
        return "Sightline"
    name = user.get_full_name() or user.username
    return f"{name}, {organisation.name}" if organisation else name


def _can(user: User, found: Iterable[Involvement], action: Action) -> bool:
    return bool(POLICY[action].get(user.role, set()) & set(found))


def _summary(form: ChildAgeMixin) -> GovUKErrorSummary | None:
    """The error summary; when all that is wrong is wording to check, it says so."""
    summary = error_summary(form, radios_from_zero=form.conditional_radios)  # type: ignore[arg-type]
    if summary is not None and form.language_warning:
        codes = {e.code for errors in form.errors.as_data().values() for e in errors}
        if codes == {"language"}:
            summary.titleText = "Check the wording before you save"
    return summary


def _show_error(form: ChildAgeMixin, exc: ValidationError) -> None:
    """Show a service's message against the form field it is about (or above the form)."""
    name = form.field_errors.get(exc.field or "", exc.field or "")
    visible = {bound.name for bound in form.visible_fields()}
    form.add_error(name if name in visible else None, exc.message)


def _keep_flags(*, user: User, form: ChildAgeMixin, record_kind: str, record_id: Any) -> None:
    """The flagged phrases the user confirmed, kept with the record (same transaction)."""
    for field, flags in form.language_flags.items():
        language_flags_record(
            actor=user, record_kind=record_kind, record_id=record_id, field=field, flags=flags
        )


R = TypeVar("R", bound=Model)


def save_checked(
    form: ChildAgeMixin, *, user: User, record_kind: str, save: Callable[[], R]
) -> R | None:
    """Save what a language-checked form says: the service call and the flagged phrases the
    user confirmed, in one transaction. A service's ``ValidationError`` is shown on the form
    and nothing is saved (``None``); ``NotFoundOrNotAllowed`` goes to the caller."""
    try:
        with transaction.atomic():
            record = save()
            _keep_flags(user=user, form=form, record_kind=record_kind, record_id=record.pk)
    except ValidationError as exc:
        _show_error(form, exc)
        return None
    return record


def _age(child: Child) -> int:
    return age_on(child.date_of_birth, today())


def _grade_list() -> RiskGradeList | None:
    try:
        return risk_grade_list_in_force(on=today())
    except ValidationError:
        return None


def _recipients_text(episode: Episode) -> str:
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


def _banner(heading: str, *paragraphs: str) -> str:
    return format_html(
        '<h3 class="govuk-notification-banner__heading">{}</h3>{}',
        heading,
        format_html_join("", '<p class="govuk-body">{}</p>', ((p,) for p in paragraphs)),
    )


# --- Reporting an episode --------------------------------------------------------------------


def _open_episode(child: Child) -> Episode | None:
    return next((e for e in episodes_for_child(child=child) if e.is_open), None)


@declare(Rule.CHILD, action=Action.RECORD_EPISODE)
@login_required
def episode_new(request: HttpRequest, child_id: Any) -> HttpResponse:
    """Report the child missing or away: alerts go to every agency at once."""
    user = _user(request)
    try:
        access = access_child(
            user,
            child_id,
            action=Action.RECORD_EPISODE,
            purpose="Report the child missing or away",
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    child = access.child
    already = _open_episode(child)
    if already is not None:
        messages.info(
            request,
            _banner(
                "This child is already recorded as missing or away",
                "Add an update to this episode, or record the return.",
            ),
        )
        return redirect("episode_detail", episode_id=already.id)
    grade_list = _grade_list()
    if grade_list is None:
        return page_not_found(request)
    form = EpisodeReportForm(
        request.POST if request.method == "POST" else None,
        grade_list=grade_list,
        child_age=_age(child),
    )
    if request.method == "POST" and form.is_valid():
        try:
            reported = save_checked(
                form,
                user=user,
                record_kind="missing.episode",
                save=lambda: episode_report(actor=user, child=child, **form.service_arguments()),
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if reported is not None:
            episode = reported
            kind = "missing" if episode.kind == EpisodeKind.MISSING else "away"
            messages.success(
                request,
                _banner(
                    f"{child.full_name} reported {kind}",
                    f"Alerts sent to: {_recipients_text(episode)}.",
                ),
            )
            return redirect("episode_detail", episode_id=episode.id)
    return page(
        request,
        "missing/episode_new.html",
        {"form": form, "child": child, "error_summary": _summary(form)},
    )


# --- One episode -----------------------------------------------------------------------------


def _episode_summary(episode: Episode, *, now: dt.datetime) -> GovUKSummaryList:
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
        _row("Status", html=episode_tag(episode)),
        _row("Missing or away", EpisodeKind(episode.kind).label),
        _row("Last seen", when(episode.last_seen_at)),
        _row("Where last seen", html=_multiline(episode.last_seen_place)),
        _row("Wearing", html=_multiline(episode.clothing)),
        _row("What happened", html=_multiline(episode.circumstances)),
        _row("Duration", duration if not episode.is_open else f"{duration} so far"),
        _row("Reported to the police", police),
        _row("Police risk grade when reported", grade),
    ]
    if current is not None and current != episode.risk_grade:
        rows.append(_row("Current police risk grade", grade_text(current)))
    rows += [
        _row("Placed by", episode.placing_council.name),
        _row(
            "Living at",
            f"{setting.name}, {episode.host_council.name} "
            f"({episode.host_police_force.name} police area)",
        ),
        _row(
            "Reported by",
            f"{_who(episode.reported_by, episode.reported_by_organisation)}, "
            f"{when(episode.reported_at)}",
        ),
    ]
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


def _updates_table(updates: Iterable[EpisodeUpdate]) -> GovUKTable | None:
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
                table_cell(html=_multiline(update.text, "None given")),
                table_cell(update.supplied_by),
                table_cell(
                    f"{_who(update.recorded_by, update.recorded_by_organisation)}, "
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


def _return_summary(episode: Episode) -> GovUKSummaryList | None:
    if episode.is_open:
        return None
    found_by = FoundBy(episode.found_by).label if episode.found_by else "Not recorded"
    if episode.found_by_detail:
        found_by += f": {episode.found_by_detail}"
    where = ", ".join(v for v in (episode.found_place, episode.found_postcode) if v)
    rows = [
        _row("Found or returned", when(episode.returned_at)),
        _row("Where", html=_multiline(where)),
        _row("Council area", episode.found_council.name if episode.found_council else "Not known"),
        _row(
            "Police force area",
            episode.found_police_force.name if episode.found_police_force else "Not known",
        ),
        _row(
            "Host area",
            html=_flag_tag(
                episode.found_outside_host_area,
                "Found outside the host area",
                "Found in the host area",
            ),
        ),
        _row(
            "Police force",
            html=_flag_tag(
                episode.found_in_other_force_area,
                "Found in another force area",
                "Found in the home's force area",
            ),
        ),
        _row("Found by", found_by),
        _row("Condition on return", html=_multiline(episode.condition)),
        _row("Recorded by", f"{_who(episode.closed_by)}, {when(episode.closed_at)}"),
    ]
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


def _interview_card(interview: ReturnInterview, *, now: dt.datetime) -> GovUKSummaryList:
    rows = [
        _row("Status", html=interview_tag(interview, now)),
        _row("Due", deadline(interview.due_at)),
        _row("Held by", interview.service.name),
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


def _episode_page(
    request: HttpRequest,
    *,
    user: User,
    episode: Episode,
    update_form: EpisodeUpdateForm | None = None,
) -> HttpResponse:
    child = episode.child
    now = current_time()
    found = involvements(user, child)
    can_record = _can(user, found, Action.RECORD_EPISODE)
    if update_form is None and can_record:
        update_form = EpisodeUpdateForm(
            grade_list=_grade_list(), episode_open=episode.is_open, child_age=_age(child)
        )
    interviews = list(episode.interviews.select_related("service"))
    return page(
        request,
        "missing/episode_detail.html",
        {
            "episode": episode,
            "child": child,
            "heading": "Missing episode"
            if episode.kind == EpisodeKind.MISSING
            else "Away from placement",
            "summary": _episode_summary(episode, now=now),
            "updates": _updates_table(episode_updates(episode=episode)),
            "alerted": [
                link.recipient
                for link in episode.notice_links.select_related("recipient")
                if link.event == AlertEvent.REPORTED
            ],
            "returned": _return_summary(episode),
            "interviews": [_interview_card(i, now=now) for i in interviews],
            "can_record": can_record,
            "can_view_profile": _can(user, found, Action.VIEW_SAFETY_PROFILE),
            "form": update_form,
            "error_summary": _summary(update_form) if update_form is not None else None,
        },
    )


@declare(Rule.CHILD, action=Action.VIEW)
@login_required
def episode_detail(request: HttpRequest, episode_id: Any) -> HttpResponse:
    user = _user(request)
    try:
        episode = episode_for_user(
            user=user, episode_id=episode_id, purpose="Open a missing episode"
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    return _episode_page(request, user=user, episode=episode)


@declare(Rule.CHILD, action=Action.RECORD_EPISODE)
@login_required
@require_POST
def episode_update_add(request: HttpRequest, episode_id: Any) -> HttpResponse:
    """Append a sighting, a change of risk grade or information received."""
    user = _user(request)
    try:
        episode = episode_for_user(
            user=user, episode_id=episode_id, purpose="Add an update to a missing episode"
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    if not _can(user, involvements(user, episode.child), Action.RECORD_EPISODE):
        return page_not_found(request)
    form = EpisodeUpdateForm(
        request.POST,
        grade_list=_grade_list(),
        episode_open=episode.is_open,
        child_age=_age(episode.child),
    )
    if form.is_valid():
        try:
            update = save_checked(
                form,
                user=user,
                record_kind="missing.episode_update",
                save=lambda: episode_update(
                    actor=user, episode=episode, **form.service_arguments()
                ),
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if update is not None:
            messages.success(
                request, _banner("Update added", f"{UpdateKind(update.kind).label} recorded.")
            )
            return redirect(f"{reverse('episode_detail', args=[episode.id])}#updates")
    return _episode_page(request, user=user, episode=episode, update_form=form)


@declare(Rule.CHILD, action=Action.RECORD_EPISODE)
@login_required
def episode_return(request: HttpRequest, episode_id: Any) -> HttpResponse:
    """Record the return: "child safe" notices, the end of police access, the interview."""
    user = _user(request)
    try:
        episode = episode_for_user(
            user=user, episode_id=episode_id, purpose="Record the return from a missing episode"
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    child = episode.child
    if not _can(user, involvements(user, child), Action.RECORD_EPISODE):
        return page_not_found(request)
    if not episode.is_open:
        return redirect("episode_detail", episode_id=episode.id)
    form = EpisodeReturnForm(
        request.POST if request.method == "POST" else None, child_age=_age(child)
    )
    if request.method == "POST" and form.is_valid():
        try:
            closed = save_checked(
                form,
                user=user,
                record_kind="missing.episode",
                save=lambda: episode_close(actor=user, episode=episode, **form.service_arguments()),
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if closed is not None:
            facts = []
            if closed.found_outside_host_area:
                facts.append("Found outside the host area.")
            if closed.found_in_other_force_area:
                facts.append("Found in another force area.")
            interview = closed.interviews.order_by("due_at").first()
            due = [f"Return home interview due: {deadline(interview.due_at)}."] if interview else []
            messages.success(
                request,
                _banner(
                    "Return recorded",
                    f"Child safe notices sent to: {_recipients_text(closed)}.",
                    *facts,
                    *due,
                ),
            )
            return redirect("episode_detail", episode_id=closed.id)
    return page(
        request,
        "missing/episode_return.html",
        {
            "form": form,
            "episode": episode,
            "child": child,
            "last_seen": when(episode.last_seen_at),
            "error_summary": _summary(form),
        },
    )


# --- Safety profile --------------------------------------------------------------------------


def _profile_rows(child: Child, profile: Any) -> list[dict[str, Any]]:
    rows = []
    if profile is not None and profile.photo:
        photo = reverse("safety_profile_photo", args=[child.id])
        taken = f"Taken on {long_date(profile.photo_taken_on)}" if profile.photo_taken_on else ""
        rows.append(
            _row(
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
        rows.append(_row("Photo", html=_multiline("", "No photo")))
    for name, (label, _) in PROFILE_FIELDS.items():
        rows.append(_row(label, html=_multiline(getattr(profile, name, "") if profile else "")))
    return rows


def _previous_episodes_table(rows: Iterable[Any]) -> GovUKTable | None:
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


def _history_table(child: Child) -> GovUKTable | None:
    labels = {name: label.lower() for name, (label, _) in PROFILE_FIELDS.items()}
    labels["photo"] = "photo"
    body = [
        [
            table_cell(v.version, numeric=True),
            table_cell(when(v.recorded_at)),
            table_cell(_who(v.recorded_by, v.recorded_by_organisation)),
            table_cell(
                ", ".join(
                    labels.get(f.strip(), f.strip()) for f in v.changed_fields.split(",") if f
                ).capitalize()
                or "Nothing"
            ),
        ]
        for v in safety_profile_history(child=child)
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


@declare(Rule.CHILD, action=Action.VIEW_SAFETY_PROFILE)
@never_cache
@login_required
def safety_profile(request: HttpRequest, child_id: Any) -> HttpResponse:
    """The Philomena Protocol profile: the home, the placing council, and the police only
    through the grant a missing report opens. Every look is recorded."""
    user = _user(request)
    try:
        view = safety_profile_for_user(
            user=user, child_id=child_id, purpose="Read the safety profile"
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    child = view.access.child
    grant = view.access.grant
    return page(
        request,
        "missing/safety_profile.html",
        {
            "child": child,
            "profile": view.profile,
            "summary": GovUKSummaryList(rows=_profile_rows(child, view.profile)),  # type: ignore[arg-type]
            "previous": _previous_episodes_table(view.previous_episodes),
            "history": _history_table(child),
            "grant": grant,
            "grant_ends": when(grant.ends_at) if grant and grant.ends_at else "",
            "can_edit": _can(
                user,
                view.access.involvements | involvements(user, child),
                Action.EDIT_SAFETY_PROFILE,
            ),
            "updated": f"{_who(view.profile.recorded_by, view.profile.recorded_by_organisation)}, "
            f"{when(view.profile.recorded_at)}"
            if view.profile
            else "",
        },
    )


@declare(Rule.CHILD, action=Action.EDIT_SAFETY_PROFILE)
@never_cache
@login_required
def safety_profile_edit(request: HttpRequest, child_id: Any) -> HttpResponse:
    """The home keeps the profile: each change is a new version."""
    user = _user(request)
    try:
        access = access_child(
            user, child_id, action=Action.EDIT_SAFETY_PROFILE, purpose="Edit the safety profile"
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    child = access.child
    current = safety_profile_current(child=child)
    form = SafetyProfileForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        current=current,
        child_age=_age(child),
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = save_checked(
                form,
                user=user,
                record_kind="missing.safety_profile",
                save=lambda: safety_profile_update(
                    actor=user, child=child, **form.service_arguments()
                ),
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if version is not None:
            if current is not None and version.pk == current.pk:
                messages.info(request, _banner("No changes to save", "The profile is as it was."))
            else:
                messages.success(
                    request, _banner("Safety profile saved", f"This is version {version.version}.")
                )
            return redirect("safety_profile", child_id=child.id)
    return page(
        request,
        "missing/safety_profile_edit.html",
        {"form": form, "child": child, "current": current, "error_summary": _summary(form)},
    )


@declare(Rule.CHILD, action=Action.VIEW_SAFETY_PROFILE)
@login_required
def safety_profile_photo(request: HttpRequest, child_id: Any) -> HttpResponseBase:
    """The photo, streamed through the access policy; never cached, never a public file."""
    user = _user(request)
    version: int | None = None
    if request.GET.get("version"):
        try:
            version = int(request.GET["version"])
        except ValueError:
            return page_not_found(request)
    try:
        photo = safety_profile_photo_open(
            user=user, child_id=child_id, purpose="View the safety profile photo", version=version
        )
    except (NotFoundOrNotAllowed, FileNotFoundError):
        return page_not_found(request)
    response = FileResponse(photo.file, content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Return home interviews ------------------------------------------------------------------


def _interview_for_user(
    *, user: User, interview_id: Any, purpose: str
) -> tuple[ReturnInterview, ChildAccess]:
    """One interview, through its child's access policy (``VIEW_INTERVIEW``: not through
    emergency access). Same error when absent.

    Belongs in ``missing/selectors.py`` as ``interview_for_user``; kept here until it moves.
    """
    child_id = (
        ReturnInterview.objects.filter(pk=interview_id).values_list("child_id", flat=True).first()
    )
    if child_id is None:
        raise NotFoundOrNotAllowed()
    access = access_child(user, child_id, action=Action.VIEW_INTERVIEW, purpose=purpose)
    interview = (
        ReturnInterview.objects.select_related(
            "child", "service", "interviewer", "interviewer_organisation"
        )
        .prefetch_related("episodes")
        .get(pk=interview_id)
    )
    return interview, access


def _can_hold(user: User, interview: ReturnInterview, found: Iterable[Involvement]) -> bool:
    """The interviewing service or the placing council, in a role the policy allows."""
    org = user.organisation
    if org is None or not _can(user, found, Action.RECORD_INTERVIEW):
        return False
    placing = org.kind == OrganisationKind.COUNCIL and (
        org.council_id == interview.child.placing_council_id
    )
    return org.pk == interview.service_id or placing


def _interview_summary(interview: ReturnInterview, *, now: dt.datetime) -> GovUKSummaryList:
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
        _row("Status", html=interview_tag(interview, now)),
        _row("Due", deadline(interview.due_at)),
        _row("Held by", f"{interview.service.name} ({interview.assigned_by_rule})"),
        _row("Episodes covered", html=covered),
    ]
    if interview.offered_at:
        rows.append(_row("Offered", when(interview.offered_at)))
    if interview.accepted_at:
        rows.append(_row("Accepted", when(interview.accepted_at)))
    if interview.declined_at:
        rows.append(_row("Declined", when(interview.declined_at)))
        rows.append(_row("Why the child declined", html=_multiline(interview.declined_reason)))
    if interview.completed_at:
        independent = "Yes" if interview.independent else "No"
        if interview.independent is False and interview.not_independent_reason:
            independent += f": {interview.not_independent_reason}"
        rows += [
            _row("Held", when(interview.completed_at)),
            _row("Interviewer", interview.interviewer_name),
            _row("Independent", independent),
        ]
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


def _findings(interview: ReturnInterview) -> GovUKSummaryList | None:
    if interview.status != InterviewStatus.COMPLETED:
        return None
    rows = [
        _row(label, html=_multiline(getattr(interview, name)))
        for name, (label, _) in FINDINGS.items()
        if name != "child_words"
    ]
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


def _people_table(interview: ReturnInterview) -> GovUKTable | None:
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


def _places_table(interview: ReturnInterview) -> GovUKTable | None:
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


def _interview_page(
    request: HttpRequest,
    *,
    user: User,
    interview: ReturnInterview,
    access: ChildAccess,
    information_form: InterviewInformationForm | None = None,
) -> HttpResponse:
    child = interview.child
    now = current_time()
    found = set(access.involvements) | involvements(user, child)
    can_add = _can(user, found, Action.ADD_INTERVIEW_INFORMATION)
    if information_form is None and can_add:
        information_form = InterviewInformationForm(child_age=_age(child))
    events = [
        {
            "at": when(e.at),
            "text": INTERVIEW_EVENT_TEXT.get(InterviewStatus(e.status), e.status)
            if not e.detail.startswith(("Covers", "Overdue", "Created"))
            else (
                "Overdue: escalated to the placing council"
                if e.detail.startswith("Overdue")
                else "Created when the child returned"
                if e.detail.startswith("Created")
                else "Now covers another episode too"
            ),
            "who": _who(e.actor),
        }
        for e in interview.events.select_related("actor").order_by("at", "created_at")
    ]
    return page(
        request,
        "missing/interview_detail.html",
        {
            "interview": interview,
            "child": child,
            "summary": _interview_summary(interview, now=now),
            "findings": _findings(interview),
            "people": _people_table(interview),
            "places": _places_table(interview),
            "information": [
                {
                    "text": _multiline(i.text),
                    "supplied_by": i.supplied_by,
                    "recorded": f"{_who(i.recorded_by, i.recorded_by_organisation)}, "
                    f"{when(i.recorded_at)}",
                }
                for i in interview.information.select_related(
                    "recorded_by", "recorded_by_organisation"
                )
            ],
            "events": events,
            "can_hold": _can_hold(user, interview, found) and interview.is_outstanding,
            "can_offer": interview.status == InterviewStatus.TO_OFFER,
            "can_accept": interview.status == InterviewStatus.OFFERED,
            "form": information_form,
            "error_summary": _summary(information_form) if information_form else None,
        },
    )


@declare(Rule.CHILD, action=Action.VIEW_INTERVIEW)
@login_required
def interview_detail(request: HttpRequest, interview_id: Any) -> HttpResponse:
    user = _user(request)
    try:
        interview, access = _interview_for_user(
            user=user, interview_id=interview_id, purpose="Open a return home interview"
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    return _interview_page(request, user=user, interview=interview, access=access)


def _interview_move(request: HttpRequest, interview_id: Any, *, accept: bool) -> HttpResponse:
    user = _user(request)
    try:
        interview, _ = _interview_for_user(
            user=user, interview_id=interview_id, purpose="Record a return home interview"
        )
        if accept:
            interview_accept(actor=user, interview=interview)
        else:
            interview_offer(actor=user, interview=interview)
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    except ValidationError as exc:
        messages.info(request, _banner("The interview was not changed", exc.message))
    else:
        messages.success(
            request,
            _banner(
                "Interview accepted" if accept else "Interview offered",
                "Recorded that the child accepted the interview."
                if accept
                else "Recorded that the interview was offered to the child.",
            ),
        )
    return redirect("interview_detail", interview_id=interview_id)


@declare(Rule.CHILD, action=Action.RECORD_INTERVIEW)
@login_required
@require_POST
def interview_offer_view(request: HttpRequest, interview_id: Any) -> HttpResponse:
    return _interview_move(request, interview_id, accept=False)


@declare(Rule.CHILD, action=Action.RECORD_INTERVIEW)
@login_required
@require_POST
def interview_accept_view(request: HttpRequest, interview_id: Any) -> HttpResponse:
    return _interview_move(request, interview_id, accept=True)


def _interview_form_view(
    request: HttpRequest,
    interview_id: Any,
    *,
    form_class: type[InterviewDeclineForm] | type[InterviewCompleteForm],
    template: str,
) -> HttpResponse:
    user = _user(request)
    try:
        interview, access = _interview_for_user(
            user=user, interview_id=interview_id, purpose="Record a return home interview"
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    child = interview.child
    if not _can_hold(user, interview, set(access.involvements) | involvements(user, child)):
        return page_not_found(request)
    if not interview.is_outstanding:
        return redirect("interview_detail", interview_id=interview.id)
    initial = {}
    if form_class is InterviewCompleteForm:
        initial = {"interviewer_name": user.get_full_name() or user.username}
    form = form_class(
        request.POST if request.method == "POST" else None,
        child_age=_age(child),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        completing = isinstance(form, InterviewCompleteForm)

        def record() -> ReturnInterview:
            if isinstance(form, InterviewCompleteForm):
                arguments = form.service_arguments()
                if arguments["interviewer_name"] == (user.get_full_name() or user.username):
                    arguments["interviewer"], arguments["interviewer_name"] = user, ""
                interview_complete(actor=user, interview=interview, **arguments)
            else:
                interview_decline(
                    actor=user, interview=interview, reason=form.cleaned_data["reason"]
                )
            return interview

        try:
            saved = save_checked(form, user=user, record_kind="missing.interview", save=record)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if saved is not None:
            heading = "Interview recorded" if completing else "Refusal recorded"
            messages.success(request, _banner(heading, "The return home interview is updated."))
            return redirect("interview_detail", interview_id=interview.id)
    return page(
        request,
        template,
        {"form": form, "interview": interview, "child": child, "error_summary": _summary(form)},
    )


@declare(Rule.CHILD, action=Action.RECORD_INTERVIEW)
@login_required
def interview_decline_view(request: HttpRequest, interview_id: Any) -> HttpResponse:
    return _interview_form_view(
        request,
        interview_id,
        form_class=InterviewDeclineForm,
        template="missing/interview_decline.html",
    )


@declare(Rule.CHILD, action=Action.RECORD_INTERVIEW)
@login_required
def interview_complete_view(request: HttpRequest, interview_id: Any) -> HttpResponse:
    return _interview_form_view(
        request,
        interview_id,
        form_class=InterviewCompleteForm,
        template="missing/interview_complete.html",
    )


@declare(Rule.CHILD, action=Action.ADD_INTERVIEW_INFORMATION)
@login_required
@require_POST
def interview_information_add(request: HttpRequest, interview_id: Any) -> HttpResponse:
    """Carers and agencies add what they know, even after a refusal."""
    user = _user(request)
    try:
        interview, access = _interview_for_user(
            user=user, interview_id=interview_id, purpose="Add information to a return interview"
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    if not _can(user, access.involvements, Action.ADD_INTERVIEW_INFORMATION):
        # Seeing the interview is not adding to it: not even an invalid form is shown back.
        return page_not_found(request)
    form = InterviewInformationForm(request.POST, child_age=_age(interview.child))
    if form.is_valid():
        try:
            info = save_checked(
                form,
                user=user,
                record_kind="missing.interview_information",
                save=lambda: interview_add_information(
                    actor=user,
                    interview=interview,
                    text=form.cleaned_data["text"],
                    supplied_by=form.cleaned_data["supplied_by"],
                ),
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if info is not None:
            messages.success(request, _banner("Information added", "Thank you."))
            return redirect(f"{reverse('interview_detail', args=[interview.id])}#information")
    return _interview_page(
        request, user=user, interview=interview, access=access, information_form=form
    )


@declare(Rule.SIGNED_IN)
@login_required
def interview_list(request: HttpRequest) -> HttpResponse:
    """The return home interviews an interviewing service holds, soonest due first."""
    user = _user(request)
    org = user.organisation if user.is_active else None
    now = current_time()
    interviews = list(interviews_for_service(user=user))
    outstanding = [i for i in interviews if i.is_outstanding]
    done = [i for i in interviews if not i.is_outstanding]

    def table(rows: list[ReturnInterview], caption: str) -> GovUKTable | None:
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

    return page(
        request,
        "missing/interview_list.html",
        {
            "organisation": org,
            "outstanding": table(outstanding, "To be held"),
            "done": table(done, "Held or declined"),
            "overdue": sum(1 for i in outstanding if interview_overdue(i, now)),
        },
    )


# --- Missing now -----------------------------------------------------------------------------

CSV_COLUMNS = (
    "episode_id",
    "child_ref",
    "placing_council",
    "setting_area",
    "kind",
    "start",
    "end",
    "duration_hours",
)


def _csv_text(value: Any) -> str:
    text = "" if value is None else str(value)
    # No spreadsheet formulas from data (CSV injection).
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def missing_csv(episodes: Iterable[Episode], *, filename: str, now: dt.datetime) -> HttpResponse:
    """Episodes without names or dates of birth: 903 CHILD ids, areas and times only."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for e in episodes:
        hours = episode_duration(episode=e, at=now).total_seconds() / 3600
        writer.writerow(
            [
                _csv_text(v)
                for v in (
                    e.id,
                    e.child.child_ref,
                    e.placing_council.name,
                    e.host_council.name,
                    e.missing_code,
                    e.last_seen_at.astimezone(LONDON).isoformat(timespec="minutes"),
                    e.returned_at.astimezone(LONDON).isoformat(timespec="minutes")
                    if e.returned_at
                    else "",
                    f"{hours:.1f}",
                )
            ]
        )
    return response


def _missing_table(
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


def can_change_missing_settings(user: User) -> bool:
    """Who may open the missing-from-care settings: a council's team managers and
    administrators, a police force's administrators."""
    return may(user, Action.CONFIGURE_MISSING_SETTINGS)


def _role_shows_no_children(user: User, org: Organisation) -> str | None:
    """What to say instead of "no child is missing" to a role the access policy shows no
    child (an analyst, an administrator): an empty list would be a false "none" while a
    colleague sees a child missing. Names the roles of the organisation that do see them."""
    if POLICY[Action.VIEW].get(user.role):
        return None
    role = {r: label.lower() for r, label in Role.choices}.get(user.role, user.role)
    viewers = [
        Role(r).label.lower()
        for r in Role.values
        if POLICY[Action.VIEW].get(r) and r in ROLES_BY_KIND.get(org.kind, set())
    ]
    if not viewers:
        return None  # an organisation that receives no missing alerts: the page says so
    shown_to = (
        f"Missing children are shown to these roles in your organisation: "
        f"{', '.join(viewers[:-1])} and {viewers[-1]}."
        if len(viewers) > 1
        else f"Missing children are shown to the {viewers[0]} role in your organisation."
    )
    return (
        f"Your role ({role}) does not show individual children, so this page cannot tell you "
        f"whether a child is missing or away. {shown_to}"
    )


def missing_now_count(user: User) -> int:
    """For the navigation: how many children the user's organisation sees missing or away."""
    return episodes_open_for(user=user).count()


@declare(Rule.SIGNED_IN)
@login_required
def missing_now(request: HttpRequest) -> HttpResponse:
    """Children missing or away now, as the user's organisation sees them; ``?format=csv``
    downloads the same episodes without names or dates of birth."""
    user = _user(request)
    org = user.organisation if user.is_active else None
    now = current_time()
    episodes = sorted(episodes_open_for(user=user), key=lambda e: e.last_seen_at)
    if request.GET.get("format") == "csv":
        code = (org.council_id or org.police_force_id or "organisation") if org else "none"
        audit_reads(
            user=user,
            child_ids=[e.child_id for e in episodes],
            action="export",
            purpose="Download children missing or away now (CSV)",
        )
        return missing_csv(
            episodes, filename=f"sightline-missing-now-{code}-{today():%Y-%m-%d}.csv", now=now
        )
    sections: list[dict[str, Any]] = []
    role_note = _role_shows_no_children(user, org) if org is not None else None
    if role_note is not None:
        sections = [{"heading": "What your role shows", "empty": role_note, "tables": []}]
    elif org is not None and org.kind == OrganisationKind.COUNCIL:
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
                    _missing_table(ours, caption="Placed by us, wherever they live", now=now)
                ]
                if ours
                else [],
            },
            {
                "heading": "Missing from homes in our area now",
                "empty": "No child is missing or away from a home in your area.",
                "tables": [
                    _missing_table(group, caption=f"Placed by {name}", now=now)
                    for name, group in by_placing.items()
                ],
            },
        ]
    elif org is not None and org.kind == OrganisationKind.POLICE:
        sections = [
            {
                "heading": "Missing in our force area now",
                "empty": "No child you were alerted about is missing or away in your area.",
                "tables": [_missing_table(episodes, caption="Alerts received", now=now)]
                if episodes
                else [],
            }
        ]
    elif org is not None and org.kind == OrganisationKind.PROVIDER:
        sections = [
            {
                "heading": "Missing from our homes now",
                "empty": "No child is missing or away from your homes.",
                "tables": [_missing_table(episodes, caption="Missing or away", now=now)]
                if episodes
                else [],
            }
        ]
    return page(
        request,
        "missing/missing_now.html",
        {
            "organisation": org,
            "sections": sections,
            "count": len(episodes),
            "csv_url": f"{reverse('missing_now')}?format=csv",
            "settings_url": reverse("missing_settings")
            if can_change_missing_settings(user)
            else None,
        },
    )


# --- Recent episodes -------------------------------------------------------------------------

PERIODS = {"30": "Last 30 days", "90": "Last 90 days", "365": "Last 12 months"}
DEFAULT_PERIOD = "90"


def _episodes_table(episodes: list[Episode], *, now: dt.datetime) -> GovUKTable:
    """Missing now's table, with when each child was back and how long each episode lasted."""
    return _missing_table(episodes, caption="Episodes", now=now, ended=True)


@declare(Rule.SIGNED_IN)
@login_required
def episode_list(request: HttpRequest) -> HttpResponse:
    """Episodes your organisation knows about, open now or started or ended in the period,
    with durations; ``?format=csv`` downloads them without names or dates of birth."""
    user = _user(request)
    org = user.organisation if user.is_active else None
    period = request.GET.get("days", DEFAULT_PERIOD)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    now = current_time()
    episodes = list(episodes_recent_for(user=user, since=now - dt.timedelta(days=int(period))))
    if request.GET.get("format") == "csv":
        code = (org.council_id or org.police_force_id or "organisation") if org else "none"
        audit_reads(
            user=user,
            child_ids=[e.child_id for e in episodes],
            action="export",
            purpose=f"Download missing and away episodes of the last {period} days (CSV)",
        )
        return missing_csv(
            episodes,
            filename=f"sightline-episodes-{code}-{period}-days-{today():%Y-%m-%d}.csv",
            now=now,
        )
    periods = [
        {
            "label": label,
            "url": f"{reverse('episode_list')}?days={days}",
            "current": days == period,
        }
        for days, label in PERIODS.items()
    ]
    return page(
        request,
        "missing/episode_list.html",
        {
            "organisation": org,
            "period": PERIODS[period],
            "periods": periods,
            "table": _episodes_table(episodes, now=now) if episodes else None,
            "count": len(episodes),
            "still_open": sum(1 for e in episodes if e.returned_at is None),
            "csv_url": f"{reverse('episode_list')}?days={period}&format=csv",
        },
    )
