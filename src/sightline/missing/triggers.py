"""Rules that turn episodes into tasks for the placing council (configurable per council).

* **Repeated episodes**: N episodes within M days (default 3 within 30) → a strategy
  discussion. "Within M days" means the first and the last of them started less than M × 24
  hours apart. The rule looks at every window that contains the new episode, so an episode
  recorded late (out of order) is counted as well as one recorded at once.
* **High risk**: a risk grade marked high, at the report or in an update → a review task.
* **Found in another force area** → a prompt to complete an exploitation screening.

Each rule creates its task once per triggering episode (a database constraint backs it). A
strategy discussion is not created again while one is still open for the child: the open one
covers the new episode too.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from sightline.core.calendar import LONDON, add_working_days, end_of_day
from sightline.core.prepared import prepared
from sightline.core.timeutil import now as current_time
from sightline.geography.models import Council
from sightline.missing.models import (
    Episode,
    EpisodeKind,
    Task,
    TaskKind,
    TaskStatus,
    TriggerConfig,
)
from sightline.organisations.models import Role
from sightline.organisations.services import organisation_for_council

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Triggers:
    episodes: int = 3
    days: int = 30
    include_away: bool = False
    high_risk_task: bool = True
    exploitation_prompt: bool = True
    task_due_working_days: int = 2


def _config_of(*, council_id: str) -> QuerySet[TriggerConfig]:
    # As ``.first()`` reads it: ordered by its primary key, one row.
    return TriggerConfig.objects.filter(council_id=council_id).order_by("pk")[:1]


def triggers_for(*, council: Council) -> Triggers:
    # Its SQL built once per process (ADR 53): every report and return reads it.
    rows = prepared(
        "missing.trigger_config", _config_of, text=("council_id",), council_id=council.pk
    )
    config = rows[0] if rows else None
    if config is None:
        return Triggers()
    return Triggers(
        episodes=config.episodes,
        days=config.days,
        include_away=config.include_away,
        high_risk_task=config.high_risk_task,
        exploitation_prompt=config.exploitation_prompt,
        task_due_working_days=config.task_due_working_days,
    )


def repeated_within(
    starts: list[dt.datetime], *, episodes: int, days: int, including: dt.datetime | None = None
) -> bool:
    """Whether some ``episodes`` of these start times lie less than ``days`` days apart (and,
    given ``including``, whether some such group includes that start time)."""
    ordered = sorted(starts)
    span = dt.timedelta(days=days)
    for i in range(len(ordered) - episodes + 1):
        first, last = ordered[i], ordered[i + episodes - 1]
        if last - first >= span:
            continue
        if including is None or first <= including <= last:
            return True
    return False


def _task_due(rules: Triggers, at: dt.datetime) -> dt.datetime:
    return end_of_day(add_working_days(at.astimezone(LONDON).date(), rules.task_due_working_days))


def _task_create(
    *, kind: str, episode: Episode, rules: Triggers, detail: str, role: str = Role.TEAM_MANAGER
) -> Task | None:
    """Create the task once per kind and episode; None when it already exists."""
    if Task.objects.filter(kind=kind, created_from=episode).exists():
        return None
    try:
        with transaction.atomic():
            task = Task.objects.create(
                kind=kind,
                child=episode.child,
                assignee=organisation_for_council(council=episode.placing_council),
                assignee_role=role,
                due_at=_task_due(rules, current_time()),
                created_from=episode,
                detail=detail[:300],
            )
    except IntegrityError:  # another worker created it meanwhile
        return None
    logger.info(
        "task id=%s kind=%s child=%s episode=%s", task.id, kind, episode.child_id, episode.id
    )
    return task


def _starts_near(
    *, child_id: uuid.UUID, kinds: tuple[str, ...], after: dt.datetime, before: dt.datetime
) -> QuerySet[Episode, dt.datetime]:
    return Episode.objects.filter(
        child_id=child_id,
        kind__in=kinds,
        last_seen_at__gt=after,
        last_seen_at__lt=before,
    ).values_list("last_seen_at", flat=True)


def strategy_discussion_check(*, episode: Episode) -> Task | None:
    """Apply the repeated-episodes rule for a newly recorded episode."""
    rules = triggers_for(council=episode.placing_council)
    kinds = [EpisodeKind.MISSING, EpisodeKind.AWAY] if rules.include_away else [EpisodeKind.MISSING]
    if episode.kind not in kinds:
        return None
    span = dt.timedelta(days=rules.days)
    nearby = prepared(
        "missing.nearby_episodes",
        _starts_near,
        child_id=episode.child_id,
        kinds=tuple(kinds),
        after=episode.last_seen_at - span,
        before=episode.last_seen_at + span,
    )
    if not repeated_within(
        nearby, episodes=rules.episodes, days=rules.days, including=episode.last_seen_at
    ):
        return None
    if Task.objects.filter(
        child_id=episode.child_id, kind=TaskKind.STRATEGY_DISCUSSION, status=TaskStatus.OPEN
    ).exists():
        return None
    return _task_create(
        kind=TaskKind.STRATEGY_DISCUSSION,
        episode=episode,
        rules=rules,
        detail=f"{rules.episodes} or more episodes within {rules.days} days",
    )


def high_risk_check(*, episode: Episode, is_high: bool) -> Task | None:
    if not is_high:
        return None
    rules = triggers_for(council=episode.placing_council)
    if not rules.high_risk_task:
        return None
    return _task_create(
        kind=TaskKind.HIGH_RISK_REVIEW,
        episode=episode,
        rules=rules,
        detail="Graded high risk while missing or away",
    )


def exploitation_prompt_check(*, episode: Episode) -> Task | None:
    rules = triggers_for(council=episode.placing_council)
    if not episode.found_in_other_force_area or not rules.exploitation_prompt:
        return None
    return _task_create(
        kind=TaskKind.EXPLOITATION_SCREENING,
        episode=episode,
        rules=rules,
        detail="Found in another police force area",
        role=Role.SOCIAL_WORKER,
    )
