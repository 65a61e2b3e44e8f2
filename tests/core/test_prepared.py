"""Reads whose SQL is built once per process (``core.prepared``, ADR 53): the same rows as
the queryset, for other values; not prepared when the build reads a value behind the
helper's back; and the access check and the navigation's counts really are prepared."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.db.models import Value
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sightline.access.policy import Action, access_child
from sightline.api.models import IdempotencyRecord
from sightline.children.models import Child
from sightline.core.navigation import count_all
from sightline.core.prepared import (
    is_prepared,
    prepared,
    prepared_clear,
    prepared_sql,
    prepared_update,
    update_sql,
)
from sightline.organisations.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh() -> None:
    prepared_clear()


def _born_after(*, council_id: int, after: dt.date):
    return Child.objects.filter(placing_council_id=council_id, date_of_birth__gt=after).order_by(
        "child_ref"
    )


def test_a_prepared_read_gives_the_querysets_rows_for_any_values():
    stockport, manchester = f.council("356"), f.council("352")
    ours = [f.child("356"), f.child("356")]
    theirs = f.child("352")
    for council, expected in ((stockport, ours), (manchester, [theirs])):
        for after in (dt.date(2000, 1, 1), dt.date(2011, 1, 1)):
            rows = prepared("test.born", _born_after, council_id=council.pk, after=after)
            assert list(rows) == list(_born_after(council_id=council.pk, after=after))
            assert list(rows) == (expected if after.year == 2000 else [])
    assert is_prepared("test.born")
    with CaptureQueriesContext(connection) as captured:
        prepared("test.born", _born_after, council_id=stockport.pk, after=dt.date(2000, 1, 1))
    assert len(captured) == 1  # built from the cache: one statement, no second build


def test_a_build_that_reads_the_clock_itself_is_not_prepared_and_stays_right():
    child = f.child("356")

    def created_before_now(*, council_id: int):  # ``timezone.now()`` behind the helper's back
        return Child.objects.filter(placing_council_id=council_id, created_at__lt=timezone.now())

    rows = prepared("test.clock", created_before_now, council_id=child.placing_council_id)
    assert list(rows) == [child]
    assert not is_prepared("test.clock")


def test_prepared_sql_puts_this_requests_time_in_its_slots():
    from sightline.core.timeutil import now

    def build() -> tuple[str, list[object]]:
        return "SELECT %s", [now()]

    first = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(first, tick=False):
        assert prepared_sql(("test.time",), build)[1] == [first]
    with time_machine.travel(first + dt.timedelta(minutes=5), tick=False):
        assert prepared_sql(("test.time",), build)[1] == [first + dt.timedelta(minutes=5)]
    assert is_prepared(("test.time",))


def test_the_access_check_and_the_navigation_counts_are_prepared():
    worker = f.user(f.council_org("356"), Role.SOCIAL_WORKER)
    child = f.child("356")
    for _ in range(2):
        assert access_child(worker, child.pk, action=Action.VIEW, purpose="test").child == child
    assert is_prepared("access.child_involved")
    request = RequestFactory().get("/")
    request.user = worker
    counts = count_all(request, worker)
    assert counts == count_all(request, worker)
    assert counts["missing_now"] == 0
    assert any(key[0] == "core.navigation" and entry.ok for key, entry in _entries())


def _entries():
    from sightline.core import prepared as module

    return [(key[0], entry) for key, entry in module._cache().items()]


def test_a_tuple_of_ids_is_a_slot_each_and_its_length_part_of_the_key():
    a, b, c = f.child("356"), f.child("352"), f.child("356")

    def of(*, ids: tuple[object, ...]):
        return Child.objects.filter(pk__in=ids).order_by("child_ref")

    for chosen in ((a, b), (b, c), (c,), (a, b, c)):
        rows = prepared("test.in", of, ids=tuple(x.pk for x in chosen))
        assert list(rows) == sorted(chosen, key=lambda x: x.child_ref)
    assert is_prepared("test.in")


def test_a_tuple_of_strings_named_in_text_is_a_slot_each():
    from sightline.notifications.models import AddressStatus, InboxAddress

    made = {
        address: InboxAddress.objects.create(address=address, status=status)
        for address, status in (
            ("a@one.example", AddressStatus.VERIFIED),
            ("b@two.example", AddressStatus.BOUNCING),
            ("c@three.example", AddressStatus.PENDING),
        )
    }

    def of(*, addresses: tuple[str, ...]):
        return InboxAddress.objects.filter(address__in=addresses).values_list("address", "status")

    for chosen in (("a@one.example", "b@two.example"), ("b@two.example", "none@x.example")):
        rows = prepared("test.text_in", of, text=("addresses",), addresses=chosen)
        assert sorted(rows) == sorted(of(addresses=chosen))
        assert {a for a, _ in rows} == {a for a in chosen if a in made}
    assert is_prepared("test.text_in")
    # One statement for both pairs: the addresses are slots, only their number is in the key.
    (entry,) = [e for k, e in _entries() if k == "test.text_in"]
    assert [leaf for leaf, _ in entry.slots] == [("addresses", 0), ("addresses", 1)]
    # Not named in ``text``: the strings are part of the key, each tuple its own statement.
    rows = prepared("test.text_key", of, addresses=("c@three.example",))
    assert rows == [("c@three.example", AddressStatus.PENDING)]
    keyed = next(e for k, e in _entries() if k == "test.text_key")
    # A string the caller gave stays a parameter (in the key, not written into the SQL).
    assert keyed.slots == ((None, "c@three.example"),)


def _renamed(*, council_id: int, after: dt.date, at: dt.datetime) -> tuple[str, list]:
    return update_sql(
        Child.objects.filter(placing_council_id=council_id, date_of_birth__gt=after),
        updated_at=at,
    )


def test_a_prepared_update_changes_the_rows_the_querysets_update_would():
    stockport, manchester = f.council("356"), f.council("352")
    ours, theirs = f.child("356"), f.child("352")
    moments = [timezone.now() - dt.timedelta(days=d) for d in (3, 2, 1)]
    for council, child, at in ((stockport, ours, moments[0]), (manchester, theirs, moments[1])):
        changed = prepared_update(
            "test.touch", _renamed, council_id=council.pk, after=dt.date(2000, 1, 1), at=at
        )
        assert changed == 1
        child.refresh_from_db()
        assert child.updated_at == at
    assert is_prepared("test.touch")
    with CaptureQueriesContext(connection) as captured:
        changed = prepared_update(
            "test.touch",
            _renamed,
            council_id=stockport.pk,
            after=dt.date(2030, 1, 1),
            at=moments[2],
        )
    assert changed == 0  # nobody born after 2030: the date reached the SQL as a value
    assert len(captured) == 1
    ours.refresh_from_db()
    assert ours.updated_at == moments[0]


def _answered(*, pk, status: int) -> tuple[str, list]:
    return update_sql(IdempotencyRecord.objects.filter(pk=pk), response_status=status)


def test_an_integer_slot_keeps_the_size_the_orm_gives_its_column():
    """psycopg 3 is sent a small integer column's value as ``Int2`` (the ORM's
    ``adapt_integerfield_value``): the slot must send it so, or the statement is never
    prepared on PostgreSQL (built on every call instead)."""
    record = IdempotencyRecord.objects.create(
        organisation=f.provider_org(), key="k", method="POST", path="/p", request_hash="h"
    )
    for status in (201, 422):
        assert prepared_update("test.answered", _answered, pk=record.pk, status=status) == 1
        record.refresh_from_db()
        assert record.response_status == status
    assert is_prepared("test.answered")


def _named(*, council_id: str):
    # The names and the flag are constants of the build, not values: the SQL holds them.
    return (
        Child.objects.filter(
            placing_council_id=council_id,
            last_name__in=("O'Neill", "50% Hart"),
            placing_council__is_current=True,
        )
        .exclude(first_name__startswith="Z%_")
        .annotate(flagged=Value(True))
    )


def test_constant_strings_and_flags_are_written_into_the_sql_on_postgresql():
    """PostgreSQL's generic plan of a prepared statement does not know its parameters'
    values: the worker's "anything due?" with its statuses sent as parameters was planned as
    a scan of every delivery ever made (ADR 64, amended). The constants are literals in the
    SQL there, quoted, and a ``%`` in one does not upset the placeholders; the rows are the
    queryset's."""
    from sightline.notifications.delivery import _any_due

    def named(last: str, first: str = "Alex") -> Child:
        child = f.child("356")
        Child.objects.filter(pk=child.pk).update(last_name=last, first_name=first)
        return child

    council = f.council("356")
    wanted = [named("O'Neill"), named("50% Hart")]
    named("Hart")
    named("O'Neill", "Z%_y")
    for _ in range(2):
        rows = prepared("test.named", _named, council_id=council.pk)
        assert sorted(c.pk for c in rows) == sorted(c.pk for c in wanted)
        assert sorted(rows, key=lambda c: c.pk) == sorted(
            _named(council_id=council.pk), key=lambda c: c.pk
        )
    assert is_prepared("test.named")
    prepared("notifications.any_due", _any_due, at=timezone.now())
    named = next(e for k, e in _entries() if k == "test.named")
    due = next(e for k, e in _entries() if k == "notifications.any_due")
    if connection.vendor == "postgresql":
        assert "'O''Neill'" in named.sql and "'50%% Hart'" in named.sql
        assert 'true AS "flagged"' in named.sql
        assert "'created'" in due.sql and "'temporary-failure'" in due.sql
        # The council's code is the caller's: in the key, but a parameter still, so that one
        # statement serves every council. The moment is a value, sent apart.
        assert named.slots == ((None, "E08000007"),) and "E08000007" not in named.sql
        assert [leaf for leaf, _ in due.slots] == ["at"]
    else:  # SQLite plans every statement afresh: its constants stay parameters
        assert "O''Neill" not in named.sql and "'created'" not in due.sql
        assert (None, "O'Neill") in named.slots
