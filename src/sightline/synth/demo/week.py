"""The demo's present: notices with a history, safety profiles, and a week in progress.

After the placements and the missing history are written, this step makes the data set look
like a real week on the day the demo starts (issue 14): the placement notices were sent and
acknowledged over the months the placements started in (most on time, some late, some never
acknowledged), every child living in a home has a safety profile, a few children are missing
now, return home interviews fall due today and tasks are overdue. Each part draws from a
random stream of its own, so the children, placements and history stay as they were.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import struct
import zlib
from typing import Any

from django.core.files.base import ContentFile

from sightline.core.calendar import start_of_day
from sightline.core.timeutil import now as current_time
from sightline.missing.models import (
    Episode,
    InterviewEvent,
    InterviewStatus,
    ReturnInterview,
    SafetyProfileVersion,
    Task,
    TaskKind,
)
from sightline.missing.services.episodes import episode_report
from sightline.notifications.deadlines import acknowledgement_due
from sightline.notifications.models import (
    Delivery,
    DeliveryStatus,
    Notice,
    NoticeEvent,
    NoticeEventKind,
)
from sightline.placements.admissions import admission_record, can_record_admission
from sightline.placements.models import Placement
from sightline.synth.demo.episodes import _Episodes
from sightline.synth.demo.plan import (
    BUILDS,
    CLOTHING,
    HAIR,
    HOME_PLACE_TYPE,
    INTERVIEWS_DUE_TODAY,
    LAST_SEEN_PLACES,
    MISSING_NOW,
    PLACES_FREQUENTED,
    PROFILE_RISKS,
    SHARE_ACK_LATE,
    SHARE_ACK_ON_TIME,
    SHARE_ADMISSION_FIRST,
    SHARE_SENT_ON_TIME,
)
from sightline.synth.demo.state import _PlacementPlan

Recorded = list[tuple[_PlacementPlan, Placement]]


class _Week(_Episodes):
    def _notice_history(self, recorded: Recorded) -> None:
        """Date the current placements' notices as they would have been sent: the placing
        council's before the placement started (or late), the home's admission notice once
        the child arrived, each acknowledged on time, late or not at all."""
        rng = random.Random(f"{self.seed}-notices")  # noqa: S311 - synthetic, reproducible
        now = current_time()
        staff = self.users["staff.brightwater"]
        current = [p for plan, p in recorded if plan.kind == "current"]
        for placement in current:
            if can_record_admission(user=staff, placement=placement):
                admission_record(actor=staff, placement=placement)
        by_org: dict[Any, Any] = {}
        for user in self.users.values():
            by_org.setdefault(user.organisation_id, user)
        # Earlier placements followed by a move owed notices too (and a discharge notice).
        placements = [p for _plan, p in recorded]
        starts = {p.pk: p.start_date for p in placements}
        # In an order that does not depend on the random primary keys: same seed, same draws.
        order = {p.pk: (plan.child.ref, p.start_date) for plan, p in recorded}
        notices = sorted(
            Notice.objects.filter(subject_id__in=list(starts)).select_related("recipient"),
            key=lambda n: (order[n.subject_id], n.kind, n.recipient.name),
        )
        dated: list[Notice] = []
        for notice in notices:
            start = start_of_day(starts[notice.subject_id])
            if notice.kind == "admission":
                # Most homes tell the host council after the placing council has.
                hours = rng.uniform(-30, -2) if rng.random() < SHARE_ADMISSION_FIRST else 0
                sent = start + dt.timedelta(hours=hours or rng.uniform(9, 40))
            elif rng.random() < SHARE_SENT_ON_TIME:
                sent = notice.due_at - dt.timedelta(hours=rng.uniform(10, 72))
            else:
                sent = notice.due_at + dt.timedelta(hours=rng.uniform(30, 24 * 12))
            sent = min(sent, now - dt.timedelta(minutes=rng.randrange(20, 90)))
            ack_due = acknowledgement_due(created_at=sent)
            draw = rng.random()
            acked: dt.datetime | None = None
            if draw < SHARE_ACK_ON_TIME:
                acked = sent + (ack_due - sent) * rng.uniform(0.05, 0.6)
            elif draw < SHARE_ACK_ON_TIME + SHARE_ACK_LATE:
                acked = ack_due + dt.timedelta(hours=rng.uniform(3, 24 * 6))
            by = by_org.get(notice.recipient_id)
            if acked is not None and (acked >= now or by is None):
                acked = None  # not yet, or nobody in the demo to have done it
            notice.created_at, notice.ack_due_at = sent, ack_due
            notice.acknowledged_at, notice.acknowledged_by = acked, by if acked else None
            dated.append(notice)
        _date_notices(dated)

    def _safety_profiles(self, recorded: Recorded) -> None:
        """A safety profile for every child living in a home, recorded by the placing
        council's sign-in (or the Stockport coordinator's), with a drawn silhouette: never a
        photograph of anyone."""
        rng = random.Random(f"{self.seed}-profiles")  # noqa: S311 - synthetic, reproducible
        actors = {u.organisation_id: u for u in self.users.values() if u.organisation_id}
        fallback = self.users["coordinator.stockport"]
        now = current_time()
        for plan, _placement in recorded:
            if plan.kind != "current" or plan.place_type != HOME_PLACE_TYPE:
                continue
            child = plan.child.child
            assert child is not None
            actor = actors.get(self.council_orgs[plan.child.council.dfe_code].pk, fallback)
            height = rng.randrange(145, 186)
            profile = SafetyProfileVersion(
                child=child,
                version=1,
                description=(
                    f"About {height} cm, {rng.choice(BUILDS)} build, {rng.choice(HAIR)} hair."
                ),
                photo_taken_on=self.ref - dt.timedelta(days=rng.randrange(10, 200)),
                places_frequented=", ".join(rng.sample(PLACES_FREQUENTED, 2)),
                known_risks=rng.choice(PROFILE_RISKS),
                changed_fields="description,photo,places_frequented,known_risks",
                recorded_by=actor,
                recorded_by_organisation=actor.organisation,
                recorded_at=now - dt.timedelta(days=rng.randrange(1, 60)),
            )
            profile.photo.save(f"{child.child_ref.lower()}-silhouette.png", _silhouette(rng), False)
            profile.save()
            self._register(profile)

    def _this_week(self, recorded: Recorded) -> None:
        """Children missing now (reported through the service, so the alerts are in the
        inboxes at start), interviews due today and tasks overdue."""
        rng = random.Random(f"{self.seed}-week")  # noqa: S311 - synthetic, reproducible
        now = current_time()
        staff = self.users["staff.brightwater"]
        in_brightwater = sorted(
            (
                plan.child.ref,
                plan,
            )
            for plan, placement in recorded
            if plan.kind == "current"
            and plan.setting is not None
            and plan.setting.provider is not None
            and plan.setting.provider.pk == staff.organisation_id
        )
        missing_now: set[str] = set()
        for _ref, plan in rng.sample(in_brightwater, min(MISSING_NOW, len(in_brightwater))):
            assert plan.child.child is not None
            missing_now.add(str(plan.child.child.pk))
            episode = episode_report(
                actor=staff,
                child=plan.child.child,
                kind="missing",
                last_seen_at=now - dt.timedelta(minutes=rng.randrange(40, 60 * 20)),
                last_seen_place=rng.choice(LAST_SEEN_PLACES),
                clothing=rng.choice(CLOTHING),
                reported_to_police=True,
                police_reference=f"MP-{now:%y%m%d}-{rng.randrange(1000, 9999)}",
            )
            self._register(episode)
        # The latest episode of the children who went missing most: interview due today,
        # and the strategy discussion their repeats called for, overdue.
        current = {
            str(plan.child.child.pk): (plan, placement)
            for plan, placement in recorded
            if plan.kind == "current" and plan.child.child is not None
        }
        latest: dict[str, Any] = {}
        counts: dict[str, int] = {}
        for episode in (
            Episode.objects.filter(
                pk__in=self.records.get("missing.episode", []), returned_at__isnull=False
            )
            .select_related("child", "placing_council")
            .order_by("last_seen_at")
        ):
            key = str(episode.child_id)
            latest[key] = episode
            counts[key] = counts.get(key, 0) + 1
        repeaters = [
            key
            for key in sorted(counts, key=lambda k: (-counts[k], latest[k].child.child_ref))
            if key not in missing_now and key in current
        ]
        for key in repeaters[:3]:
            episode = latest[key]
            task = Task.objects.create(
                kind=TaskKind.STRATEGY_DISCUSSION,
                child=episode.child,
                assignee=self.council_orgs[episode.placing_council.dfe_code],
                due_at=now - dt.timedelta(days=rng.randrange(1, 5)),
                created_from=episode,
                detail=f"{counts[key]} episodes in the demo's history",
            )
            self._register(task)
        # Back three days ago: the return home interview is due today.
        due_today = 0
        for key in repeaters[3:]:
            plan, placement = current[key]
            due = start_of_day(self.ref) + dt.timedelta(hours=rng.randrange(15, 22))
            returned = due - dt.timedelta(hours=72)
            council_org = self.council_orgs[plan.child.council.dfe_code]
            actor = next(
                (u for u in self.users.values() if u.organisation_id == council_org.pk),
                self.users["coordinator.stockport"],
            )
            episode = self._history_episode(
                rng,
                plan=plan,
                placement=placement,
                actor=actor,
                seen=returned - dt.timedelta(hours=rng.uniform(3, 20)),
                returned=returned,
            )
            if episode.kind != "missing" or episode.interviews.exists():
                continue
            service = self.council_orgs[episode.placing_council.dfe_code]
            interview = ReturnInterview.objects.create(
                child=episode.child,
                service=service,
                assigned_by_rule="Demo: the placing council holds return interviews",
                due_at=due,
                status=InterviewStatus.TO_OFFER,
                created_by=actor,
            )
            interview.episodes.add(episode)
            InterviewEvent.objects.create(
                interview=interview,
                status=InterviewStatus.TO_OFFER,
                at=returned,
                actor=actor,
                detail=f"Created on return; assigned to organisation {service.id}",
            )
            self._register(interview)
            due_today += 1
            if due_today == INTERVIEWS_DUE_TODAY:
                break


def _date_notices(notices: list[Notice]) -> None:
    """Write the dates drawn for the notices, their deliveries (delivered a minute after
    sending, so the worker has nothing to send at start) and their events, in a few
    statements."""
    Notice.objects.bulk_update(
        notices, ["created_at", "ack_due_at", "acknowledged_at", "acknowledged_by"]
    )
    by_id = {n.pk: n for n in notices}
    deliveries = list(Delivery.objects.filter(notice__in=notices))
    for delivery in deliveries:
        sent = by_id[delivery.notice_id].created_at
        delivery.status = DeliveryStatus.DELIVERED
        delivery.created_at = sent
        delivery.sent_at = delivery.delivered_at = sent + dt.timedelta(minutes=1)
        delivery.next_attempt_at = None
    Delivery.objects.bulk_update(
        deliveries, ["status", "created_at", "sent_at", "delivered_at", "next_attempt_at"]
    )
    events = list(NoticeEvent.objects.filter(notice__in=notices))
    for event in events:
        event.at = by_id[event.notice_id].created_at
    NoticeEvent.objects.bulk_update(events, ["at"])
    NoticeEvent.objects.bulk_create(
        [
            NoticeEvent(
                notice_id=d.notice_id,
                delivery=d,
                event=NoticeEventKind.DELIVERED,
                at=by_id[d.notice_id].created_at + dt.timedelta(minutes=1),
            )
            for d in deliveries
        ]
        + [
            NoticeEvent(
                notice=n,
                event=NoticeEventKind.ACKNOWLEDGED,
                at=n.acknowledged_at,
                actor=n.acknowledged_by,
            )
            for n in notices
            if n.acknowledged_at is not None
        ]
    )


def _silhouette(rng: random.Random) -> ContentFile[bytes]:
    """A 120x150 grey head-and-shoulders silhouette as a PNG, drawn here: no real face."""
    return ContentFile(_silhouette_png(rng.choice((64, 80, 96, 112))))


@functools.cache
def _silhouette_png(shade: int) -> bytes:
    width, height = 120, 150
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            head = (x - 60) ** 2 / 28**2 + (y - 55) ** 2 / 34**2 <= 1
            body = y >= 100 and (x - 60) ** 2 / 55**2 + (y - 160) ** 2 / 62**2 <= 1
            row += bytes([shade] * 3) if head or body else b"\xdd\xdd\xdd"
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
