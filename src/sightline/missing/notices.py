"""Which alerts an episode owes, and to whom (the rules; the notice engine delivers them).

Called by the episode services inside their transaction, so that an episode is never
recorded without its alerts, nor an alert without its episode:

* **reported**: a missing or away alert to the placing council, the host council (once, when
  it is the placing council) and the police force for the area of the home. For *away*
  (whereabouts known), the force is alerted only when it asked for away alerts
  (``AlertPolicy``) or when the episode was reported to the police;
* **closed**: a "child safe" notice to every organisation that received the alert.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.urls import reverse

from sightline.core.calendar import LONDON
from sightline.core.inserts import insert_rows
from sightline.core.timeutil import now as current_time
from sightline.missing import conf
from sightline.missing.models import AlertEvent, AlertPolicy, Episode, EpisodeKind, EpisodeNotice
from sightline.notifications.content import child_display_name
from sightline.notifications.models import Notice
from sightline.notifications.services import (
    NoticeContent,
    NoticeRequest,
    notice_create,
    notices_create,
)
from sightline.notifications.urgency import Urgency
from sightline.organisations.models import Organisation, User
from sightline.organisations.selectors import council_display_name
from sightline.organisations.services import (
    organisation_for_police_force,
    organisations_for_councils,
)

SUBJECT_TYPE = "missing.episode"


class AlertKind(models.TextChoices):
    """The kinds of notice an episode owes; the outbox stores them as plain strings."""

    MISSING = "missing", "Missing alert"
    AWAY = "away", "Away alert"
    FOUND = "found", "Child safe notice"


# Alerts about a child's safety go out on the urgent schedule: retried within seconds and
# taken back from a dead worker within 30 seconds (``notifications.urgency``, ADR 22).
# Registered in ``apps.py``.
DELIVERY_URGENCY: dict[str, Urgency] = {
    AlertKind.MISSING: Urgency.URGENT,
    AlertKind.AWAY: Urgency.URGENT,
    AlertKind.FOUND: Urgency.URGENT,
}

NOTICE_KIND: dict[tuple[str, str], str] = {
    (AlertEvent.REPORTED, EpisodeKind.MISSING): AlertKind.MISSING,
    (AlertEvent.REPORTED, EpisodeKind.AWAY): AlertKind.AWAY,
    (AlertEvent.CLOSED, EpisodeKind.MISSING): AlertKind.FOUND,
    (AlertEvent.CLOSED, EpisodeKind.AWAY): AlertKind.FOUND,
}

_DATE_LABEL = {
    AlertKind.MISSING: "Last seen",
    AlertKind.AWAY: "Away since",
    AlertKind.FOUND: "Returned or found on",
}


def episode_notice_key(*, episode_id: object, kind: str, recipient_id: object) -> str:
    """One notice per episode, kind and recipient (the data migration keys old rows so)."""
    return f"{SUBJECT_TYPE}:{episode_id}:{kind}:{recipient_id}"


def _subject_line(kind: str, *, area: str, council: str) -> str:
    if kind == AlertKind.MISSING:
        return f"Missing alert: a child placed by {council} is missing from a placement in {area}"
    if kind == AlertKind.AWAY:
        return (
            f"Away alert: a child placed by {council} is away from a placement in {area} "
            "without permission"
        )
    return (
        f"Child safe: a child placed by {council}, missing or away from a placement in "
        f"{area}, has returned or been found"
    )


def episode_notice_content(
    *,
    episode: Episode,
    kind: str,
    effective_at: dt.datetime,
    placing_council: Organisation | None = None,
) -> NoticeContent:
    """Where the child was living, the day of the event, and a link to the episode (which the
    episode page shows only to those the access policy allows, as any other)."""
    kind = AlertKind(kind)
    child = episode.child
    area = episode.host_council.name
    council = (
        placing_council.name
        if placing_council is not None and placing_council.council_id == child.placing_council_id
        else council_display_name(council=child.placing_council)
    )
    return NoticeContent(
        kind_label=kind.label,
        subject_line=_subject_line(kind, area=area, council=council),
        date_label=_DATE_LABEL[kind],
        effective_date=effective_at.astimezone(LONDON).date(),
        child_name=child_display_name(first_name=child.first_name, last_name=child.last_name),
        setting_name=episode.setting.name,
        setting_postcode=episode.setting.postcode,
        area_name=area,
        placing_council_name=council,
        subject_path=reverse("episode_detail", args=[episode.id]),
        subject_link_text="View the episode: last seen, updates and return",
        # "Child safe" tells agencies to stand down: chasing its acknowledgement is noise.
        chase_acknowledgement=kind != AlertKind.FOUND,
    )


def police_receive_away_alerts(*, organisation: Organisation) -> bool:
    """A force receives away alerts only when it has asked for them (default: no)."""
    policy = AlertPolicy.objects.filter(organisation=organisation).first()
    return policy.receives_away_alerts if policy is not None else False


def police_alerted(*, kind: str, reported_to_police: bool, police: Organisation) -> bool:
    if kind == EpisodeKind.MISSING or reported_to_police:
        return True
    return police_receive_away_alerts(organisation=police)


def alert_recipients(
    *,
    episode: Episode,
    police: Organisation | None = None,
    councils: dict[str, Organisation] | None = None,
) -> list[Organisation]:
    """Placing council, host council (once) and, when alerted, the police force of the area.
    ``police``, ``councils``: the force's organisation and the councils' (by council code),
    when the caller has already looked them up (``organisations_for_area``)."""
    if (
        councils is None
        or episode.placing_council_id not in councils
        or episode.host_council_id not in councils
    ):
        councils = organisations_for_councils(
            councils=[episode.placing_council, episode.host_council]
        )
    recipients = [councils[episode.placing_council_id]]
    host = councils[episode.host_council_id]
    if host.pk != recipients[0].pk:
        recipients.append(host)
    if episode.police_alerted:
        if police is None or police.police_force_id != episode.host_police_force_id:
            police = organisation_for_police_force(police_force=episode.host_police_force)
        recipients.append(police)
    return recipients


def _notice(
    *,
    episode: Episode,
    event: str,
    recipient: Organisation,
    sender: Organisation | None,
    effective_at: dt.datetime,
    actor: User | None,
    first: bool = False,
    contents: dict[str, Any] | None = None,
) -> Notice:
    """The episode's notice for this event and recipient, created once. ``first``: the
    episode was created in this transaction, so it has no notices yet (one query fewer per
    recipient on the busiest path). ``contents``: the content already built for this kind,
    shared by every recipient of the event (it names no recipient), so that the council
    names it reads are looked up once per event, not once per recipient."""
    if not first:
        link = (
            EpisodeNotice.objects.filter(episode=episode, event=event, recipient=recipient)
            .select_related("notice")
            .first()
        )
        if link is not None:
            return link.notice
    kind = NOTICE_KIND[(event, episode.kind)]
    notice = notice_create(
        kind=kind,
        subject_type=SUBJECT_TYPE,
        subject_id=episode.id,
        idempotency_key=episode_notice_key(
            episode_id=episode.id, kind=kind, recipient_id=recipient.id
        ),
        child=episode.child,
        recipient=recipient,
        sender=sender,
        due_at=current_time() + dt.timedelta(minutes=conf.alert_due_minutes()),
        actor=actor,
        content=_content(episode=episode, kind=kind, effective_at=effective_at, cache=contents),
    )
    EpisodeNotice.objects.create(episode=episode, event=event, recipient=recipient, notice=notice)
    return notice


def _content(
    *, episode: Episode, kind: str, effective_at: dt.datetime, cache: dict[str, Any] | None
) -> Any:
    if cache is None:
        return episode_notice_content(episode=episode, kind=kind, effective_at=effective_at)
    if kind not in cache:
        cache[kind] = episode_notice_content(episode=episode, kind=kind, effective_at=effective_at)
    return cache[kind]


def notices_for_episode_reported(
    *,
    episode: Episode,
    actor: User | None,
    first: bool = False,
    police: Organisation | None = None,
    councils: dict[str, Organisation] | None = None,
) -> list[Notice]:
    """The alerts of a report. ``first``: the episode was created in this transaction, so
    it has no notices yet, and they are written together (``notices_create``: a fixed number
    of statements for the three agencies). ``police``: the force's organisation, when the
    caller has already looked it up; ``councils``: the councils', by council code."""
    sender = (actor.organisation if actor else None) or episode.setting.provider
    recipients = alert_recipients(episode=episode, police=police, councils=councils)
    if first:
        kind = NOTICE_KIND[(AlertEvent.REPORTED, episode.kind)]
        # The placing council is the first recipient: its name is the one the alert gives.
        content = episode_notice_content(
            episode=episode,
            kind=kind,
            effective_at=episode.last_seen_at,
            placing_council=recipients[0],
        )
        due_at = current_time() + dt.timedelta(minutes=conf.alert_due_minutes())
        notices = notices_create(
            [
                NoticeRequest(
                    kind=kind,
                    subject_type=SUBJECT_TYPE,
                    subject_id=episode.id,
                    idempotency_key=episode_notice_key(
                        episode_id=episode.id, kind=kind, recipient_id=recipient.id
                    ),
                    child=episode.child,
                    recipient=recipient,
                    sender=sender,
                    due_at=due_at,
                    actor=actor,
                    content=content,
                )
                for recipient in recipients
            ]
        )
        links = insert_rows(
            [
                EpisodeNotice(
                    episode=episode, event=AlertEvent.REPORTED, recipient=recipient, notice=notice
                )
                for recipient, notice in zip(recipients, notices, strict=True)
            ]
        )
        # The episode is new, so these are all its links: the report's answer lists them
        # without reading them back (``api.selectors.episode_reported_for_api``, issue 13).
        episode.reported_links = links  # type: ignore[attr-defined]
        return notices
    return [
        _notice(
            episode=episode,
            event=AlertEvent.REPORTED,
            recipient=recipient,
            sender=sender,
            effective_at=episode.last_seen_at,
            actor=actor,
            contents={},
        )
        for recipient in recipients
    ]


def notices_for_episode_closed(*, episode: Episode, actor: User | None) -> list[Notice]:
    """ "Child safe" to every organisation that received the alert."""
    assert episode.returned_at is not None
    sender = (actor.organisation if actor else None) or episode.setting.provider
    told = [
        link.recipient
        for link in EpisodeNotice.objects.filter(
            episode=episode, event=AlertEvent.REPORTED
        ).select_related("recipient")
    ]
    contents: dict[str, Any] = {}
    return [
        _notice(
            episode=episode,
            event=AlertEvent.CLOSED,
            recipient=recipient,
            sender=sender,
            effective_at=episode.returned_at,
            actor=actor,
            contents=contents,
        )
        for recipient in told
    ]
