"""Ways a prepared read (ADR 53) could return wrong rows, found by review, each refused now:
a condition dropped for the stand-ins, a value derived from a slot taken for a constant, a
shape chosen by a slot's value, and a queryset chained after preparation."""

from __future__ import annotations

import datetime as dt

import pytest

from sightline.children.models import Child
from sightline.core.prepared import prepared, prepared_clear
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh() -> None:
    prepared_clear()


def _of_council(*, council_id: str, after: dt.date):
    return Child.objects.filter(placing_council_id=council_id, date_of_birth__gt=after)


def test_a_prepared_read_gives_rows_not_a_queryset_to_chain_on():
    """A filter chained on the prepared queryset ran its cached SQL, whatever it filtered
    (and a delete through it deleted every row of the read): the rows come back as a list."""
    a, b = f.child("356"), f.child("356")
    for _ in range(2):  # prepared, then served from the cache
        rows = prepared(
            "review.chain", _of_council, council_id=a.placing_council_id, after=dt.date(1900, 1, 1)
        )
        assert isinstance(rows, list) and set(rows) == {a, b}


def _born_in_year_of(*, council_id: str, on: dt.date):
    # A value derived from a slot (the year): the same in both stand-in builds 1 time in ~80
    return Child.objects.filter(placing_council_id=council_id, date_of_birth__year=on.year)


def test_a_value_derived_from_a_slot_is_frozen_when_the_stand_ins_share_it():
    child = f.child("356")
    on = child.date_of_birth
    wrong = 0
    for _ in range(200):
        prepared_clear()
        rows = prepared("review.year", _born_in_year_of, council_id=child.placing_council_id, on=on)
        if list(rows) != [child]:
            wrong += 1
    assert wrong == 0  # was: a handful of preparations froze a 1901-1983 year as a constant


SWITCH = dt.date(2024, 4, 1)


def _rule_in_force(*, council_id: str, on: dt.date):
    # A shape chosen by a slot's value: both stand-ins (1901-1983) take the old branch.
    children = Child.objects.filter(placing_council_id=council_id)
    if on >= SWITCH:
        return children.filter(date_of_birth__gt=on - dt.timedelta(days=18 * 366))
    return children


def test_a_shape_chosen_by_a_date_slot_is_the_stand_ins_shape():
    young = f.child("356")
    old = f.child("356")
    Child.objects.filter(pk=old.pk).update(date_of_birth=dt.date(1990, 1, 1))
    on = dt.date(2026, 12, 6)
    expected = set(_rule_in_force(council_id=young.placing_council_id, on=on))
    rows = prepared("review.shape", _rule_in_force, council_id=young.placing_council_id, on=on)
    assert set(rows) == expected  # was: the old child is returned too


def _statuses_below(*, organisation_id, status: int):
    from sightline.api.models import IdempotencyRecord

    return IdempotencyRecord.objects.filter(
        organisation_id=organisation_id, response_status__lt=status
    ).order_by("response_status")


def test_an_int_slot_on_a_small_integer_column_drops_the_condition_on_postgresql():
    """An int slot's stand-in (10**12..10**15) is out of a PositiveSmallIntegerField's range on
    PostgreSQL (not SQLite, whose range is 64-bit): Django's IntegerLessThan turns it into
    FullResultSet and leaves the condition out of the SQL, in both builds alike, so the cached
    read has no condition at all (an exact lookup in an OR drops its branch the same way)."""
    from sightline.api.models import IdempotencyRecord

    org = f.council_org("356")
    for status in (200, 500):
        IdempotencyRecord.objects.create(
            organisation=org,
            key=f"k{status}",
            method="POST",
            path="/",
            request_hash="h",
            response_status=status,
        )
    rows = prepared("review.int", _statuses_below, organisation_id=org.pk, status=300)
    assert [r.response_status for r in rows] == [200]  # was, on PostgreSQL: [200, 500]
