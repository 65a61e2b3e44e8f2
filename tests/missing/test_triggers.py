"""Trigger rules: N episodes within M days → a strategy discussion for the placing council."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sightline.missing.models import Episode, FoundBy, Task, TaskKind
from sightline.missing.services import episode_close, trigger_config_set
from sightline.missing.triggers import strategy_discussion_check
from tests.missing.conftest import World, report

pytestmark = pytest.mark.django_db

# Episodes start from Tuesday 6 January 2026 (the placement started the day before) and are
# all reported, in order, on 20 April 2026.
BASE = dt.datetime(2026, 1, 6, 0, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 4, 20, 12, 0, tzinfo=dt.UTC)


def record(world: World, starts: list[dt.datetime], *, kind: str = "missing") -> list[Episode]:
    """Report each episode and record the return 30 minutes later, in order."""
    episodes = []
    for start in sorted(starts):
        episode = report(
            world,
            kind=kind,
            last_seen_at=start,
            risk_grade=None,
            reported_to_police=False,
            police_reference="",
        )
        episode_close(
            actor=world.home_staff,
            episode=episode,
            returned_at=start + dt.timedelta(minutes=30),
            where_postcode="SK4 2AB",
            found_by=FoundBy.SELF,
        )
        episodes.append(episode)
    return episodes


def some_window_holds(starts: list[dt.datetime], *, episodes: int, days: int) -> bool:
    """The rule, stated independently: some window [s, s + M days) holds N starts or more."""
    span = dt.timedelta(days=days)
    return any(sum(1 for t in starts if s <= t < s + span) >= episodes for s in starts)


def strategy_tasks(world: World) -> int:
    return Task.objects.filter(child=world.child, kind=TaskKind.STRATEGY_DISCUSSION).count()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    hours=st.lists(st.integers(min_value=0, max_value=24 * 100), max_size=7, unique=True),
    episodes=st.integers(min_value=2, max_value=4),
    days=st.integers(min_value=1, max_value=30),
)
def test_a_strategy_task_exists_iff_some_window_holds_enough_episodes(
    world: World, hours: list[int], episodes: int, days: int
):
    starts = [BASE + dt.timedelta(hours=h) for h in hours]
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        trigger_config_set(
            actor=world.team_manager,
            council=world.placing.council,
            episodes=episodes,
            days=days,
        )
        recorded = record(world, starts)
        expected = some_window_holds(starts, episodes=episodes, days=days)
        assert (strategy_tasks(world) > 0) == expected
        assert strategy_tasks(world) <= 1  # the open task covers later episodes
        # Idempotent: applying the rule again to every episode creates nothing.
        before = strategy_tasks(world)
        for episode in recorded:
            strategy_discussion_check(episode=episode)
        assert strategy_tasks(world) == before
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    ("last_gap", "expected"),
    [
        (dt.timedelta(days=30), False),  # 30 days apart is not within 30 days
        (dt.timedelta(days=30) - dt.timedelta(seconds=1), True),
    ],
)
def test_the_default_is_three_within_30_days(world: World, last_gap, expected):
    with time_machine.travel(NOW, tick=False):
        episodes = record(world, [BASE, BASE + dt.timedelta(days=10), BASE + last_gap])
    tasks = Task.objects.filter(kind=TaskKind.STRATEGY_DISCUSSION)
    assert tasks.exists() == expected
    if expected:
        (task,) = tasks
        assert task.created_from == episodes[-1]
        assert task.assignee == world.placing
        assert task.assignee_role == "team_manager"
        assert task.detail == "3 or more episodes within 30 days"


def test_away_episodes_count_only_when_the_council_says_so(world: World):
    starts = [BASE, BASE + dt.timedelta(days=1), BASE + dt.timedelta(days=2)]
    with time_machine.travel(NOW, tick=False):
        record(world, starts, kind="away")
        assert strategy_tasks(world) == 0
        trigger_config_set(
            actor=world.team_manager,
            council=world.placing.council,
            episodes=3,
            days=30,
            include_away=True,
        )
        record(world, [BASE + dt.timedelta(days=3)], kind="away")
        assert strategy_tasks(world) == 1


def test_only_council_managers_set_the_triggers(world: World):
    from sightline.core.errors import NotFoundOrNotAllowed, ValidationError

    for who in (world.social_worker, world.coordinator, world.officer):
        with pytest.raises(NotFoundOrNotAllowed):
            trigger_config_set(actor=who, council=world.placing.council, episodes=2, days=7)
    with pytest.raises(ValidationError) as zero:
        trigger_config_set(
            actor=world.team_manager, council=world.placing.council, episodes=0, days=7
        )
    assert zero.value.field == "episodes"
