"""The escalation and due-date passes find late rows through an index, not by reading every
notice ever sent (issue 13: 0.42-0.50 s a pass at 2 million notices without one).

The tables here are small, so the planner would rightly read them whole; sequential scans are
switched off for the plan (PostgreSQL), which leaves a sequential scan only where no index
serves the query's filter.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from sightline.missing.models import OUTSTANDING_INTERVIEW, ReturnInterview, TaskKind
from sightline.notifications.escalation import (
    notices_not_acknowledged_in_time,
    notices_not_sent_in_time,
    urgent_notices_not_acknowledged_in_time,
)
from sightline.notifications.models import Notice
from tests.notifications.conftest import World, record_out_of_area

pytestmark = pytest.mark.django_db


def index_on(model: type[Model], columns: list[str]) -> str:
    """The name of the index on exactly these columns of the model's table."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    for name, info in constraints.items():
        if info["index"] and not info["primary_key"] and info["columns"] == columns:
            return name
    raise AssertionError(f"no index on {model._meta.db_table}{columns}")


def plan(queryset: QuerySet) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
        try:
            return queryset.explain()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_seqscan")
    return queryset.explain()


def plan_with(queryset: QuerySet, *, model: type[Model], index: str) -> str:
    """The plan, where the named index is the only plain index of the model's table: which of
    two indexes that both answer a query the planner prefers on a near-empty table depends on
    the statistics earlier tests left (it failed so once in a full run). Whether the index
    *can* answer the query is what matters. PostgreSQL's DDL rolls back with the savepoint."""
    if connection.vendor != "postgresql":
        return plan(queryset)
    with transaction.atomic():
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            for name, info in constraints.items():
                plain = info["index"] and not info["primary_key"] and not info["unique"]
                if plain and name != index:
                    cursor.execute(f'DROP INDEX "{name}"')
        found = plan(queryset)
        transaction.set_rollback(True)
    return found


def overdue_interviews(now: dt.datetime) -> QuerySet:
    # The filter of missing.services.interviews_escalate_overdue.
    return (
        ReturnInterview.objects.filter(status__in=OUTSTANDING_INTERVIEW, due_at__lt=now)
        .exclude(tasks__kind=TaskKind.INTERVIEW_OVERDUE)
        .order_by("due_at")
        .values_list("pk", flat=True)
    )


def test_the_late_notice_passes_read_the_deadline_indexes(world: World):
    record_out_of_area(world)
    now = timezone.now() + dt.timedelta(days=30)

    name = "notice_unacknowledged_due"
    not_acknowledged = plan_with(
        notices_not_acknowledged_in_time(now=now).values_list("pk"), model=Notice, index=name
    )
    assert name in not_acknowledged, not_acknowledged

    name = "notice_due_at"
    not_sent = plan_with(
        notices_not_sent_in_time(now=now).values_list("pk"), model=Notice, index=name
    )
    assert name in not_sent, not_sent

    name = "notice_urgent_unacknowledged"
    urgent = plan_with(
        urgent_notices_not_acknowledged_in_time(now=now).values_list("pk"), model=Notice, index=name
    )
    assert name in urgent, urgent

    name = index_on(ReturnInterview, ["status", "due_at"])
    interviews = plan_with(overdue_interviews(now), model=ReturnInterview, index=name)
    assert name in interviews, interviews


def test_the_indexes_hold_the_deadline_columns():
    assert index_on(Notice, ["due_at"]) == "notice_due_at"
    assert index_on(Notice, ["ack_due_at"]) == "notice_unacknowledged_due"
    assert index_on(Notice, ["urgent_ack_due_at"]) == "notice_urgent_unacknowledged"


def test_the_urgent_banner_and_lane_read_their_partial_index(world: World):
    from sightline.notifications.selectors import urgent_waiting

    record_out_of_area(world)
    if connection.vendor == "postgresql":
        # The plain (recipient, created_at) index answers the same query, and which of the two
        # the planner prefers on a near-empty table depends on the statistics earlier tests
        # left. Whether the partial index *can* answer it (its predicate implied by the
        # query) is what matters: drop the table's other plain indexes inside this test's
        # transaction (PostgreSQL's DDL rolls back with it) and the plan must use it.
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, Notice._meta.db_table)
            for name, info in constraints.items():
                plain = info["index"] and not info["primary_key"] and not info["unique"]
                if plain and name != "notice_urgent_waiting":
                    cursor.execute(f'DROP INDEX "{name}"')
    lane = plan(urgent_waiting(organisation=world.host).values_list("pk"))
    assert "notice_urgent_waiting" in lane, lane
