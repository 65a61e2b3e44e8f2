"""Per-person alerts: which kinds of notice reach a person, how (e-mail or text message
through GOV.UK Notify) and when (their on-duty hours, London time).

A subscription only ever adds a delivery: the organisation's contact points and team inbox
still get every notice (``services._targets_from``). Whether a person is on duty is decided
when the notice is created, so that the outbox rows say, once, who was sent what
(``docs/notices.md``, ADR "Per-user alert subscriptions").
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.calendar import LONDON
from sightline.core.errors import ValidationError
from sightline.core.prepared import prepared
from sightline.notifications import conf
from sightline.notifications.models import AlertPreferences, AlertSubscription, Channel
from sightline.notifications.urgency import kind_labels
from sightline.organisations.models import User

logger = logging.getLogger(__name__)

# The channels a person may choose.
PERSONAL_CHANNELS = (Channel.EMAIL, Channel.SMS)

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

MOBILE_ERROR = "Enter a UK mobile phone number, like 07700 900 982 or +44 7700 900 982"
_MOBILE = re.compile(r"(?:\+44|0044|44|0)(7\d{9})")


def uk_mobile(value: str, *, field: str = "mobile") -> str:
    """A UK mobile number as +447..., from the ways people write one (spaces, dashes,
    brackets, 07..., +44 7..., 0044 7...). Anything else is refused, naming the field."""
    compact = re.sub(r"[\s\-().]", "", value or "")
    match = _MOBILE.fullmatch(compact)
    if not match:
        raise ValidationError(MOBILE_ERROR, field=field)
    return f"+44{match.group(1)}"


def on_duty(preferences: AlertPreferences | None, *, at: dt.datetime) -> bool:
    """Whether a person is on duty at ``at``, by their days and hours in London.

    No preferences, or no hours: every hour of the days chosen. A window that ends before it
    starts crosses midnight and belongs to the day it starts on: Friday 22:00 to 07:00 covers
    Saturday 06:59, and Monday 22:00 to 07:00 does not cover Monday 06:59.
    """
    if preferences is None:
        return True
    local = at.astimezone(LONDON)
    days = {int(d) for d in preferences.days}
    start, end = preferences.starts_at, preferences.ends_at
    if start is None or end is None:
        return local.weekday() in days
    now = local.time().replace(tzinfo=None)
    if start <= end:
        return local.weekday() in days and start <= now < end
    if now >= start:
        return local.weekday() in days
    if now < end:
        return (local.weekday() - 1) % 7 in days
    return False


@dataclass(frozen=True)
class PersonalTarget:
    user_id: int
    channel: str
    address: str


def _subscriptions_of(
    *, organisations: tuple[uuid.UUID, ...], kinds: tuple[str, ...]
) -> QuerySet[AlertSubscription]:
    return (
        AlertSubscription.objects.filter(
            kind__in=kinds, user__organisation_id__in=organisations, user__is_active=True
        )
        .select_related("user", "user__alert_preferences")
        .order_by("user__username", "channel")
    )


def personal_targets(
    *, recipients: set[uuid.UUID], kinds: set[str], at: dt.datetime
) -> dict[tuple[uuid.UUID, str], list[PersonalTarget]]:
    """The people of these organisations who asked for these kinds of notice and are on duty
    at ``at``, with where each is sent: one query. Texts are left out while GOV.UK Notify is
    switched off, and e-mails and texts of people without an address or a mobile."""
    found: dict[tuple[uuid.UUID, str], list[PersonalTarget]] = {}
    if not recipients or not kinds:
        return found
    # Its SQL built once per process and number of recipients (ADR 53).
    rows = prepared(
        "notifications.personal_targets",
        _subscriptions_of,
        organisations=tuple(sorted(recipients)),
        kinds=tuple(sorted(kinds)),
    )
    for row in rows:
        user = row.user
        preferences = getattr(user, "alert_preferences", None)
        if not on_duty(preferences, at=at):
            continue
        if row.channel == Channel.SMS:
            address = preferences.mobile if preferences is not None else ""
            if address and not conf.notify_enabled():
                logger.warning("text message to user=%s skipped: Notify is switched off", user.pk)
                continue
        else:
            address = user.email.strip()
        if not address or user.organisation_id is None:
            continue
        found.setdefault((user.organisation_id, row.kind), []).append(
            PersonalTarget(user_id=user.pk, channel=row.channel, address=address)
        )
    return found


# --- Selectors ------------------------------------------------------------------------------


def alert_preferences_of(*, user: User) -> AlertPreferences | None:
    return AlertPreferences.objects.filter(user=user).first()


def alert_subscriptions_of(*, user: User) -> set[tuple[str, str]]:
    return set(AlertSubscription.objects.filter(user=user).values_list("kind", "channel"))


# --- Services -------------------------------------------------------------------------------


def _days(days: Iterable[int | str]) -> str:
    chosen: set[int] = set()
    for day in days:
        try:
            number = int(day)
        except (TypeError, ValueError):
            number = -1
        if not 0 <= number <= 6:
            raise ValidationError("Select the days you are on duty", field="days")
        chosen.add(number)
    if not chosen:
        raise ValidationError("Select at least one day you are on duty", field="days")
    return "".join(str(d) for d in sorted(chosen))


def alert_preferences_set(
    *,
    actor: User,
    subscriptions: Iterable[tuple[str, str]],
    mobile: str = "",
    days: Iterable[int | str] = range(7),
    starts_at: dt.time | None = None,
    ends_at: dt.time | None = None,
) -> AlertPreferences:
    """Set the signed-in person's own alerts: the kinds and channels they want, their mobile
    and their on-duty days and hours. Replaces what they had; all or nothing.

    Refused, naming the field: an unknown kind or channel, a text message without a UK
    mobile, a mobile that is not one, no day, a start without an end (or the reverse), and
    a window that starts and ends at the same time.
    """
    if not actor.is_active or actor.organisation_id is None:
        raise ValidationError("Only people of an organisation receive alerts", field="user")
    known = kind_labels()
    wanted: set[tuple[str, str]] = set()
    for kind, channel in subscriptions:
        if kind not in known:
            raise ValidationError(f"{kind!r} is not a kind of alert", field="kinds")
        if channel not in PERSONAL_CHANNELS:
            raise ValidationError("Choose e-mail or text message", field="channels")
        wanted.add((str(kind), str(channel)))
    number = uk_mobile(mobile) if mobile.strip() else ""
    if any(channel == Channel.SMS for _, channel in wanted) and not number:
        raise ValidationError(
            "Enter a mobile phone number to receive text messages", field="mobile"
        )
    if any(channel == Channel.EMAIL for _, channel in wanted) and not actor.email.strip():
        raise ValidationError(
            "Your account has no e-mail address: ask your administrator to add one",
            field="channels",
        )
    day_digits = _days(days)
    if (starts_at is None) != (ends_at is None):
        field = "ends_at" if ends_at is None else "starts_at"
        raise ValidationError("Enter both the time you start and the time you end", field=field)
    if starts_at is not None and starts_at == ends_at:
        raise ValidationError(
            "The time you end must be different from the time you start (leave both empty "
            "for all day)",
            field="ends_at",
        )
    with transaction.atomic():
        preferences, _ = AlertPreferences.objects.select_for_update().get_or_create(user=actor)
        preferences.mobile = number
        preferences.days = day_digits
        preferences.starts_at = starts_at
        preferences.ends_at = ends_at
        preferences.save()
        AlertSubscription.objects.filter(user=actor).exclude(
            pk__in=[
                s.pk
                for s in AlertSubscription.objects.filter(user=actor)
                if (s.kind, s.channel) in wanted
            ]
        ).delete()
        have = alert_subscriptions_of(user=actor)
        AlertSubscription.objects.bulk_create(
            AlertSubscription(user=actor, kind=kind, channel=channel)
            for kind, channel in sorted(wanted - have)
        )
        audit_append(
            actor=actor,
            verb=AuditVerb.ALERT_SUBSCRIPTIONS_CHANGED,
            obj=preferences,
            organisation=actor.organisation,
            payload={
                "subscriptions": sorted(f"{k}:{c}" for k, c in wanted),
                "mobile": bool(number),
                "days": day_digits,
                "hours": starts_at is not None,
            },
        )
    logger.info(
        "alert preferences user=%s subscriptions=%s hours=%s",
        actor.pk,
        len(wanted),
        starts_at is not None,
    )
    return preferences
