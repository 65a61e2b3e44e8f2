"""Compliance: did each agency send the notices it owed, on time, and were they acknowledged?

Reads only. Each table is one selector returning a ``ComplianceTable`` of plain values; the
page and the CSV download render the same rows (``docs/compliance.md`` defines every figure).
Tables hold no names and no dates of birth: children appear by their 903 CHILD id and
Sightline id, agencies by name and code.

Which tables an organisation sees depends on its kind:

* a council sees itself as a **placing council** (its out-of-area placements, the notices it
  sent, on time by month) and as a **host council** (other councils' children placed in its
  area, the notices it received, and who it learned of late);
* a police force sees the children placed in its area and the notices it received.

Every table covers a period of whole months: the current month and the 11 before it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from sightline.access.policy import Action, organisation_may
from sightline.core.calendar import LONDON, start_of_day
from sightline.notifications.models import Notice
from sightline.notifications.status import (
    Status,
    acknowledged_on_time,
    notice_status,
    sent_on_time,
)
from sightline.organisations.models import Organisation, OrganisationKind
from sightline.placements.models import Placement
from sightline.placements.notices import SUBJECT_TYPE, PlacementNoticeKind, placement_notice_due

__all__ = ["Status", "acknowledged_on_time", "notice_status", "sent_on_time"]

PERIOD_MONTHS = 12

# The notices a placement owes, as opposed to escalations about them.
PLACEMENT_NOTICE_KINDS = (
    PlacementNoticeKind.PLACEMENT,
    PlacementNoticeKind.ADMISSION,
    PlacementNoticeKind.DISCHARGE,
)


class Format(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    PERCENT = "percent"
    DATE = "date"
    DATETIME = "datetime"
    YES_NO = "yes/no"
    STATUS = "status"  # a short status shown as a GOV.UK tag


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    format: Format = Format.TEXT
    on_page: bool = True  # False: in the CSV only (ids, references, exact times)
    empty: str = ""  # what the page says when there is no value


@dataclass(frozen=True)
class ComplianceTable:
    slug: str
    caption: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    empty: str

    @property
    def page_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.on_page)


@dataclass(frozen=True)
class Period:
    """Whole months, from the first day of ``months[0]`` to ``end`` (today)."""

    months: tuple[dt.date, ...]
    end: dt.date

    @property
    def start(self) -> dt.date:
        return self.months[0]

    @property
    def starts_at(self) -> dt.datetime:
        return start_of_day(self.start)


def period_ending(day: dt.date, *, months: int = PERIOD_MONTHS) -> Period:
    first = day.replace(day=1)
    found = []
    for back in range(months - 1, -1, -1):
        index = first.year * 12 + first.month - 1 - back
        found.append(dt.date(index // 12, index % 12 + 1, 1))
    return Period(months=tuple(found), end=day)


def _local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(LONDON).date()


def _month_of(at: dt.datetime) -> dt.date:
    return _local_date(at).replace(day=1)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _running_in(placements: QuerySet[Placement], period: Period) -> QuerySet[Placement]:
    """Placements running at any time in the period, or recorded ahead of their start."""
    return placements.filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start))


def _with_notices(placements: QuerySet[Placement], notices: QuerySet[Notice]) -> list[Placement]:
    """The placements, each with ``owed_notices``: its notices among ``notices``, oldest first
    (the outbox keys a notice by subject, not by a foreign key, so this is the prefetch)."""
    found = list(
        placements.select_related(
            "child__placing_council", "setting", "host_council", "host_police_force"
        ).order_by("-start_date", "child__child_ref")
    )
    by_placement: dict[Any, list[Notice]] = {p.id: [] for p in found}
    if by_placement:
        for notice in notices.filter(
            subject_type=SUBJECT_TYPE, subject_id__in=list(by_placement)
        ).order_by("-created_at"):
            by_placement[notice.subject_id].append(notice)
    for p in found:
        p.owed_notices = by_placement[p.id]  # type: ignore[attr-defined]
    return found


def _first(
    notices: Iterable[Notice], *, kind: str, recipient_kind: str | None = None
) -> Notice | None:
    """The first notice of a kind (to a kind of organisation) among a placement's notices."""
    for notice in notices:
        if notice.kind == kind and (
            recipient_kind is None or notice.recipient.kind == recipient_kind
        ):
            return notice
    return None


def _owed(placement: Placement) -> list[Notice]:
    return placement.owed_notices  # type: ignore[attr-defined]  # Prefetch to_attr


def _acknowledged_by(notice: Notice | None) -> str:
    """Who acknowledged, and when: a user, or the name and role given through the signed
    link e-mailed to an agency not on Sightline."""
    if notice is None or notice.acknowledged_at is None:
        return ""
    at = notice.acknowledged_at.astimezone(LONDON)
    return f"{notice.acknowledged_by_text}, {at.day} {at:%B %Y} at {at:%H:%M}"


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


# --- Placing council -----------------------------------------------------------------------

PLACING_PLACEMENT_COLUMNS = (
    Column("placement_id", "Placement id", on_page=False),
    Column("child_id", "Sightline child id", on_page=False),
    Column("child_ref", "903 CHILD id"),
    Column("placing_council_code", "Placing council code", on_page=False),
    Column("host_council", "Host council"),
    Column("host_council_code", "Host council code", on_page=False),
    Column("host_police_force", "Police force"),
    Column("start_date", "Start date", Format.DATE),
    Column("end_date", "End date", Format.DATE, empty="Current"),
    Column("emergency", "Emergency placement", Format.YES_NO, on_page=False),
    Column("host_notice_reference", "Host council notice reference", on_page=False),
    Column("host_notice_due", "Host council notice due", Format.DATETIME, on_page=False),
    Column("host_notice_sent", "Host council notice sent", Format.DATETIME, on_page=False),
    Column("host_notice_on_time", "Host council notice sent on time", Format.YES_NO),
    Column(
        "host_notice_acknowledged",
        "Host council notice acknowledged",
        Format.DATETIME,
        on_page=False,
    ),
    Column("host_notice_status", "Host council notice", Format.STATUS),
    Column("police_notice_reference", "Police notice reference", on_page=False),
    Column("police_notice_sent", "Police notice sent", Format.DATETIME, on_page=False),
    Column(
        "police_notice_acknowledged", "Police notice acknowledged", Format.DATETIME, on_page=False
    ),
    Column("police_notice_status", "Police notice", Format.STATUS),
    Column(
        "host_notice_acknowledged_by",
        "Host council acknowledged by",
        empty="Not yet",
    ),
)


def placing_council_placements(
    *, organisation: Organisation, period: Period, now: dt.datetime
) -> ComplianceTable:
    """The council's children placed outside its area at any time in the period (or from a
    later date), with the placement notice each owed the host council and the police force."""
    council_id = organisation.council_id
    placements = _running_in(
        Placement.objects.filter(child__placing_council_id=council_id, out_of_area=True), period
    )
    notices = Notice.objects.filter(kind=PlacementNoticeKind.PLACEMENT).select_related(
        "recipient", "acknowledged_by"
    )
    forces_off = set(
        Organisation.objects.filter(
            kind=OrganisationKind.POLICE, notice_policy__receives_placement_notices=False
        ).values_list("police_force_id", flat=True)
    )
    rows = []
    for p in _with_notices(placements, notices):
        no_police_notice = (
            Status.NOT_REQUIRED if p.host_police_force_id in forces_off else Status.NOT_SENT
        )
        host = _first(
            _owed(p), kind=PlacementNoticeKind.PLACEMENT, recipient_kind=OrganisationKind.COUNCIL
        )
        police = _first(
            _owed(p), kind=PlacementNoticeKind.PLACEMENT, recipient_kind=OrganisationKind.POLICE
        )
        rows.append(
            {
                "placement_id": p.id,
                "child_id": p.child_id,
                "child_ref": p.child.child_ref,
                "placing_council_code": p.child.placing_council_id,
                "host_council": p.host_council.name,
                "host_council_code": p.host_council_id,
                "host_police_force": p.host_police_force.name,
                "start_date": p.start_date,
                "end_date": p.end_date,
                "emergency": _yes_no(p.is_emergency),
                "host_notice_reference": host.reference if host else "",
                "host_notice_due": host.due_at
                if host
                else placement_notice_due(start_date=p.start_date, is_emergency=p.is_emergency),
                "host_notice_sent": host.created_at if host else None,
                "host_notice_on_time": _yes_no(sent_on_time(host) if host else False),
                "host_notice_acknowledged": host.acknowledged_at if host else None,
                "host_notice_status": notice_status(host, now=now) if host else Status.NOT_SENT,
                "host_notice_acknowledged_by": _acknowledged_by(host),
                "police_notice_reference": police.reference if police else "",
                "police_notice_sent": police.created_at if police else None,
                "police_notice_acknowledged": police.acknowledged_at if police else None,
                "police_notice_status": notice_status(police, now=now)
                if police
                else no_police_notice,
            }
        )
    return ComplianceTable(
        slug="placing-placements",
        caption="Children we placed outside our area",
        columns=PLACING_PLACEMENT_COLUMNS,
        rows=rows,
        empty="Your council has no out-of-area placements in the last 12 months.",
    )


MONTH_COLUMNS = (
    Column("month", "Month", on_page=False),
    Column("month_name", "Month"),
)

PLACING_MONTH_COLUMNS = (
    *MONTH_COLUMNS,
    Column("due", "Notices due", Format.NUMBER),
    Column("sent_on_time", "Sent on time", Format.NUMBER),
    Column("sent_late", "Sent late", Format.NUMBER),
    Column("not_sent", "Not sent", Format.NUMBER),
    Column("acknowledged", "Acknowledged", Format.NUMBER),
    Column("overdue", "Awaiting acknowledgement, overdue", Format.NUMBER),
    Column("percent_on_time", "Sent on time (%)", Format.PERCENT, empty="No notices due"),
)


def _month_rows(period: Period) -> dict[dt.date, Counter[str]]:
    return {month: Counter() for month in period.months}


def _month_table_rows(
    counts: dict[dt.date, Counter[str]], keys: Iterable[str]
) -> list[dict[str, Any]]:
    rows = []
    for month in sorted(counts, reverse=True):
        row: dict[str, Any] = {
            "month": f"{month:%Y-%m}",
            "month_name": f"{month:%B %Y}",
        }
        row.update({key: counts[month][key] for key in keys})
        rows.append(row)
    return rows


def placing_council_by_month(
    *, organisation: Organisation, period: Period, now: dt.datetime
) -> ComplianceTable:
    """The placement and discharge notices the council owed, by the month they were due."""
    counts = _month_rows(period)
    notices = Notice.objects.filter(
        sender=organisation,
        kind__in=[PlacementNoticeKind.PLACEMENT, PlacementNoticeKind.DISCHARGE],
        due_at__gte=period.starts_at,
    )
    for notice in notices:
        month = _month_of(notice.due_at)
        if month not in counts:
            continue  # due after this month
        c = counts[month]
        c["due"] += 1
        c["sent_on_time" if sent_on_time(notice) else "sent_late"] += 1
        if notice.acknowledged_at is not None:
            c["acknowledged"] += 1
        elif notice.ack_due_at < now:
            c["overdue"] += 1
    # Out-of-area placements with no placement notice at all: due, and not sent.
    unsent = Placement.objects.filter(
        child__placing_council_id=organisation.council_id,
        out_of_area=True,
        start_date__gte=period.start - dt.timedelta(days=14),
    ).exclude(
        Exists(
            Notice.objects.filter(
                subject_type=SUBJECT_TYPE,
                subject_id=OuterRef("pk"),
                kind=PlacementNoticeKind.PLACEMENT,
            )
        )
    )
    for placement in unsent:
        due = placement_notice_due(
            start_date=placement.start_date, is_emergency=placement.is_emergency
        )
        month = _month_of(due)
        if month in counts and due < now:
            counts[month]["due"] += 1
            counts[month]["not_sent"] += 1
    keys = ("due", "sent_on_time", "sent_late", "not_sent", "acknowledged", "overdue")
    rows = _month_table_rows(counts, keys)
    for row in rows:
        row["percent_on_time"] = _percent(row["sent_on_time"], row["due"])
    return ComplianceTable(
        slug="placing-months",
        caption="Notices we owed, by month due",
        columns=PLACING_MONTH_COLUMNS,
        rows=rows,
        empty="",
    )


# --- Host council --------------------------------------------------------------------------

HOST_PLACEMENT_COLUMNS = (
    Column("placement_id", "Placement id", on_page=False),
    Column("child_id", "Sightline child id", on_page=False),
    Column("child_ref", "903 CHILD id"),
    Column("placing_council", "Placing council"),
    Column("placing_council_code", "Placing council code", on_page=False),
    Column("setting_urn", "Setting Ofsted URN", on_page=False),
    Column("start_date", "Start date", Format.DATE),
    Column("end_date", "End date", Format.DATE, on_page=False),
    Column("placing_notice_reference", "Placing council notice reference", on_page=False),
    Column("placing_notice_due", "Placing council notice due", Format.DATETIME, on_page=False),
    Column(
        "placing_notice_received",
        "Placing council's notice",
        Format.DATE,
        empty=Status.NONE_RECEIVED,
    ),
    Column(
        "placing_notice_acknowledged",
        "Placing council notice acknowledged",
        Format.DATETIME,
        on_page=False,
    ),
    Column("admission_notice_reference", "Admission notice reference", on_page=False),
    Column(
        "admission_notice_received",
        "Home's admission notice",
        Format.DATE,
        empty=Status.NONE_RECEIVED,
    ),
    Column(
        "admission_notice_acknowledged",
        "Admission notice acknowledged",
        Format.DATETIME,
        on_page=False,
    ),
    Column("learned", "How we learned", Format.STATUS),
    Column("learned_late_reason", "Why late", empty=""),
)


class LearnedLate(enum.StrEnum):
    NEITHER = "No notice from the placing council or the home"
    NO_PLACING_NOTICE = "No notice from the placing council"
    NO_ADMISSION_NOTICE = "No admission notice from the home"
    HOME_FIRST = "The home's notice arrived before the placing council's"


def learned_late(*, placing: Notice | None, admission: Notice | None) -> LearnedLate | None:
    """Why the host council learned of a child late, or None when it was told in time.

    Late: either notice is missing, or the home's admission notice arrived first.
    """
    if placing is None and admission is None:
        return LearnedLate.NEITHER
    if placing is None:
        return LearnedLate.NO_PLACING_NOTICE
    if admission is None:
        return LearnedLate.NO_ADMISSION_NOTICE
    if admission.created_at < placing.created_at:
        return LearnedLate.HOME_FIRST
    return None


def host_council_placements(
    *, organisation: Organisation, period: Period, now: dt.datetime
) -> ComplianceTable:
    """Children other councils placed in this council's area at any time in the period, with
    the placing council's notice and the home's admission notice side by side."""
    placements = _running_in(
        Placement.objects.filter(host_council_id=organisation.council_id, out_of_area=True),
        period,
    )
    notices = Notice.objects.filter(
        recipient=organisation,
        kind__in=[PlacementNoticeKind.PLACEMENT, PlacementNoticeKind.ADMISSION],
    )
    rows = []
    for p in _with_notices(placements, notices):
        placing = _first(_owed(p), kind=PlacementNoticeKind.PLACEMENT)
        admission = _first(_owed(p), kind=PlacementNoticeKind.ADMISSION)
        late = learned_late(placing=placing, admission=admission)
        rows.append(
            {
                "placement_id": p.id,
                "child_id": p.child_id,
                "child_ref": p.child.child_ref,
                "placing_council": p.child.placing_council.name,
                "placing_council_code": p.child.placing_council_id,
                "setting_urn": p.setting.urn,
                "setting": p.setting.name,
                "start_date": p.start_date,
                "end_date": p.end_date,
                "placing_notice_reference": placing.reference if placing else "",
                "placing_notice_due": placing.due_at if placing else None,
                "placing_notice_received": placing.created_at if placing else None,
                "placing_notice_acknowledged": placing.acknowledged_at if placing else None,
                "admission_notice_reference": admission.reference if admission else "",
                "admission_notice_received": admission.created_at if admission else None,
                "admission_notice_acknowledged": admission.acknowledged_at if admission else None,
                "learned": Status.LEARNED_LATE if late else Status.IN_TIME,
                "learned_late_reason": str(late) if late else "",
            }
        )
    return ComplianceTable(
        slug="host-placements",
        caption="Children other councils placed in our area",
        columns=HOST_PLACEMENT_COLUMNS,
        rows=rows,
        empty="No other council placed a child in your area in the last 12 months.",
    )


RECEIVED_MONTH_COLUMNS = (
    *MONTH_COLUMNS,
    Column("received", "Notices received", Format.NUMBER),
    Column("acknowledged", "Acknowledged", Format.NUMBER),
    Column("acknowledged_on_time", "Acknowledged on time", Format.NUMBER),
    Column("awaiting", "Awaiting acknowledgement", Format.NUMBER),
    Column("overdue", "Of which overdue", Format.NUMBER),
    Column(
        "percent_acknowledged_on_time",
        "Acknowledged on time (%)",
        Format.PERCENT,
        empty="No notices received",
    ),
)


def notices_received_by_month(
    *, organisation: Organisation, period: Period, now: dt.datetime, slug: str
) -> ComplianceTable:
    """Placement, admission and discharge notices the organisation received, by month."""
    counts = _month_rows(period)
    notices = Notice.objects.filter(
        recipient=organisation,
        kind__in=PLACEMENT_NOTICE_KINDS,
        created_at__gte=period.starts_at,
    )
    for notice in notices:
        month = _month_of(notice.created_at)
        if month not in counts:
            continue
        c = counts[month]
        c["received"] += 1
        if notice.acknowledged_at is not None:
            c["acknowledged"] += 1
            if acknowledged_on_time(notice):
                c["acknowledged_on_time"] += 1
        else:
            c["awaiting"] += 1
            if notice.ack_due_at < now:
                c["overdue"] += 1
    keys = ("received", "acknowledged", "acknowledged_on_time", "awaiting", "overdue")
    rows = _month_table_rows(counts, keys)
    for row in rows:
        row["percent_acknowledged_on_time"] = _percent(row["acknowledged_on_time"], row["received"])
    return ComplianceTable(
        slug=slug,
        caption="Notices we received, by month received",
        columns=RECEIVED_MONTH_COLUMNS,
        rows=rows,
        empty="",
    )


# --- Police force --------------------------------------------------------------------------

POLICE_PLACEMENT_COLUMNS = (
    Column("placement_id", "Placement id", on_page=False),
    Column("child_id", "Sightline child id", on_page=False),
    Column("child_ref", "903 CHILD id"),
    Column("placing_council", "Placing council"),
    Column("placing_council_code", "Placing council code", on_page=False),
    Column("host_council", "Host council"),
    Column("host_council_code", "Host council code", on_page=False),
    Column("start_date", "Start date", Format.DATE),
    Column("end_date", "End date", Format.DATE, empty="Current"),
    Column("notice_reference", "Notice reference", on_page=False),
    Column("notice_received", "Notice received", Format.DATE, empty=Status.NONE_RECEIVED),
    Column("notice_acknowledged", "Notice acknowledged", Format.DATETIME, on_page=False),
    Column("notice_status", "Notice", Format.STATUS),
)


def police_force_placements(
    *, organisation: Organisation, period: Period, now: dt.datetime
) -> ComplianceTable:
    """Children placed in the force's area from outside their council's area at any time in
    the period (the placements that owe the force a notice), with the notice received."""
    placements = _running_in(
        Placement.objects.filter(
            host_police_force_id=organisation.police_force_id, out_of_area=True
        ),
        period,
    )
    notices = Notice.objects.filter(recipient=organisation, kind=PlacementNoticeKind.PLACEMENT)
    rows = []
    for p in _with_notices(placements, notices):
        notice = _first(_owed(p), kind=PlacementNoticeKind.PLACEMENT)
        rows.append(
            {
                "placement_id": p.id,
                "child_id": p.child_id,
                "child_ref": p.child.child_ref,
                "placing_council": p.child.placing_council.name,
                "placing_council_code": p.child.placing_council_id,
                "host_council": p.host_council.name,
                "host_council_code": p.host_council_id,
                "start_date": p.start_date,
                "end_date": p.end_date,
                "notice_reference": notice.reference if notice else "",
                "notice_received": notice.created_at if notice else None,
                "notice_acknowledged": notice.acknowledged_at if notice else None,
                "notice_status": notice_status(notice, now=now) if notice else Status.NONE_RECEIVED,
            }
        )
    return ComplianceTable(
        slug="police-placements",
        caption="Children placed in our force area by other councils",
        columns=POLICE_PLACEMENT_COLUMNS,
        rows=rows,
        empty="No child was placed in your force area from outside their council's area in "
        "the last 12 months.",
    )


# --- Which tables an organisation sees -----------------------------------------------------


TableBuilder = Callable[..., ComplianceTable]


@dataclass(frozen=True)
class SectionSpec:
    heading: str
    tables: tuple[tuple[str, TableBuilder], ...]


def _received_by_month(slug: str) -> TableBuilder:
    def build(**args: Any) -> ComplianceTable:
        return notices_received_by_month(**args, slug=slug)

    return build


COUNCIL_SECTIONS = (
    SectionSpec(
        "As the placing council",
        (
            ("placing-months", placing_council_by_month),
            ("placing-placements", placing_council_placements),
        ),
    ),
    SectionSpec(
        "As the host council",
        (
            ("host-months", _received_by_month("host-months")),
            ("host-placements", host_council_placements),
        ),
    ),
)
POLICE_SECTIONS = (
    SectionSpec(
        "Notices to the force",
        (
            ("police-months", _received_by_month("police-months")),
            ("police-placements", police_force_placements),
        ),
    ),
)


def _sections_for(organisation: Organisation | None) -> tuple[SectionSpec, ...]:
    if organisation is None:
        return ()
    if organisation.kind == OrganisationKind.COUNCIL and organisation.council_id:
        return COUNCIL_SECTIONS
    if organisation.kind == OrganisationKind.POLICE and organisation.police_force_id:
        return POLICE_SECTIONS
    return ()


def has_compliance_view(organisation: Organisation | None) -> bool:
    """Councils and police forces have compliance views; other organisations have none."""
    return organisation_may(organisation, Action.VIEW_COMPLIANCE)


@dataclass(frozen=True)
class Section:
    heading: str
    tables: tuple[ComplianceTable, ...]


def compliance_sections(
    *, organisation: Organisation | None, period: Period, now: dt.datetime
) -> list[Section]:
    """Every compliance table for an organisation, in sections, by its kind."""
    return [
        Section(
            spec.heading,
            tuple(
                build(organisation=organisation, period=period, now=now) for _, build in spec.tables
            ),
        )
        for spec in _sections_for(organisation)
    ]


def compliance_table(
    *, organisation: Organisation | None, slug: str, period: Period, now: dt.datetime
) -> ComplianceTable | None:
    """One of the organisation's compliance tables (for its CSV), or None if it has no such
    table."""
    for spec in _sections_for(organisation):
        for name, build in spec.tables:
            if name == slug:
                return build(organisation=organisation, period=period, now=now)
    return None
