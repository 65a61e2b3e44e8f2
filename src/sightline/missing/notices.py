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

from sightline.core.timeutil import now as current_time
from sightline.missing import conf
from sightline.missing.models import AlertEvent, AlertPolicy, Episode, EpisodeKind, EpisodeNotice
from sightline.notifications.deadlines import LONDON
from sightline.notifications.models import Notice, NoticeKind
from sightline.notifications.services import (
    NoticeWhere,
    notice_create,
    organisation_for_council,
    organisation_for_police_force,
)
from sightline.organisations.models import Organisation, User

NOTICE_KIND: dict[tuple[str, str], str] = {
    (AlertEvent.REPORTED, EpisodeKind.MISSING): NoticeKind.MISSING,
    (AlertEvent.REPORTED, EpisodeKind.AWAY): NoticeKind.AWAY,
    (AlertEvent.CLOSED, EpisodeKind.MISSING): NoticeKind.FOUND,
    (AlertEvent.CLOSED, EpisodeKind.AWAY): NoticeKind.FOUND,
}


def police_receive_away_alerts(*, organisation: Organisation) -> bool:
    """A force receives away alerts only when it has asked for them (default: no)."""
    policy = AlertPolicy.objects.filter(organisation=organisation).first()
    return policy.receives_away_alerts if policy is not None else False


def police_alerted(*, kind: str, reported_to_police: bool, police: Organisation) -> bool:
    if kind == EpisodeKind.MISSING or reported_to_police:
        return True
    return police_receive_away_alerts(organisation=police)


def alert_recipients(*, episode: Episode) -> list[Organisation]:
    """Placing council, host council (once) and, when alerted, the police force of the area."""
    recipients = [organisation_for_council(council=episode.placing_council)]
    host = organisation_for_council(council=episode.host_council)
    if host.pk != recipients[0].pk:
        recipients.append(host)
    if episode.police_alerted:
        recipients.append(organisation_for_police_force(police_force=episode.host_police_force))
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
) -> Notice:
    """The episode's notice for this event and recipient, created once. ``first``: the
    episode was created in this transaction, so it has no notices yet (one query fewer per
    recipient on the busiest path)."""
    if not first:
        link = (
            EpisodeNotice.objects.filter(episode=episode, event=event, recipient=recipient)
            .select_related("notice")
            .first()
        )
        if link is not None:
            return link.notice
    setting = episode.setting
    notice = notice_create(
        kind=NOTICE_KIND[(event, episode.kind)],
        child=episode.child,
        # Not the placement: the engine keeps one notice per placement, kind and recipient,
        # and a child can go missing from one placement many times.
        placement=None,
        recipient=recipient,
        sender=sender,
        due_at=current_time() + dt.timedelta(minutes=conf.alert_due_minutes()),
        actor=actor,
        where=NoticeWhere(
            setting_name=setting.name,
            setting_postcode=setting.postcode,
            area_name=episode.host_council.name,
            effective_date=effective_at.astimezone(LONDON).date(),
        ),
    )
    EpisodeNotice.objects.create(episode=episode, event=event, recipient=recipient, notice=notice)
    return notice


def notices_for_episode_reported(
    *, episode: Episode, actor: User | None, first: bool = False
) -> list[Notice]:
    sender = (actor.organisation if actor else None) or episode.setting.provider
    return [
        _notice(
            episode=episode,
            event=AlertEvent.REPORTED,
            recipient=recipient,
            sender=sender,
            effective_at=episode.last_seen_at,
            actor=actor,
            first=first,
        )
        for recipient in alert_recipients(episode=episode)
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
    return [
        _notice(
            episode=episode,
            event=AlertEvent.CLOSED,
            recipient=recipient,
            sender=sender,
            effective_at=episode.returned_at,
            actor=actor,
        )
        for recipient in told
    ]
