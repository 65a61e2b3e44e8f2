"""The history of missing and away episodes and their return home interviews, before the
reference date."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal
from typing import Any

from sightline.audit.services import AuditEntry, audit_append_many
from sightline.audit.verbs import AuditVerb
from sightline.core.calendar import LONDON
from sightline.placements.models import Placement
from sightline.synth.demo.episodes import _Episodes, _missing_hours
from sightline.synth.demo.plan import (
    DISTANCE_BAND_UPPER_MILES,
    HOME_PLACE_TYPE,
    MISSING_DISTANCE_IRR,
    MISSING_IRR_16_PLUS,
    MISSING_IRR_NOT_A_HOME,
    MISSING_PRONE_16_PLUS,
    MISSING_PRONE_ELSEWHERE,
    MISSING_PRONE_IN_HOMES,
    MISSING_RATE_CAP,
    MISSING_RATE_MEAN,
    MISSING_RATE_SHAPE,
)
from sightline.synth.demo.state import _age, _PlacementPlan


class _History(_Episodes):
    """Episodes and interviews for the placements recorded, from their own random stream."""

    def _missing_history(self, recorded: list[tuple[_PlacementPlan, Placement]]) -> None:
        """Episodes that ended before the reference date, with their return home interviews,
        so that a fresh demo has a history to show on children's timelines and in the
        evidence pages (Q1, Q2, Q6, Q7).

        Written as records, like the SSDA903 import: no alerts for the past, and no
        interview left outstanding (the worker would escalate it the moment the demo
        starts). Drawn from a random stream of its own, so the children and placements are
        the same as without it."""
        rng = random.Random(f"{self.seed}-missing")  # noqa: S311 - synthetic, reproducible
        staff = self.users["staff.brightwater"]
        actors = {u.organisation_id: u for u in self.users.values() if u.organisation_id}
        fallback = self.users["coordinator.stockport"]
        prone: dict[str, float] = {}
        written: dict[Any, int] = {}
        ends = dict(
            Placement.objects.filter(pk__in=[p.pk for _, p in recorded]).values_list(
                "pk", "end_date"
            )
        )
        in_homes = {p.child.ref for p, _ in recorded if p.place_type == HOME_PLACE_TYPE}
        for plan, placement in recorded:
            child_plan = plan.child
            if child_plan.ref not in prone:
                # A minority of children go missing, some of them very often.
                share = (
                    MISSING_PRONE_IN_HOMES
                    if child_plan.ref in in_homes
                    else MISSING_PRONE_ELSEWHERE
                )
                if _age(child_plan.date_of_birth, self.ref) >= 16:
                    share *= MISSING_PRONE_16_PLUS
                draw = rng.gammavariate(MISSING_RATE_SHAPE, MISSING_RATE_MEAN / MISSING_RATE_SHAPE)
                prone[child_plan.ref] = min(draw, MISSING_RATE_CAP) if rng.random() < share else 0.0
            rate = prone[child_plan.ref]
            # A placement followed by a move was ended when the next was recorded.
            ended = ends[placement.pk] or plan.end
            last_day = min(ended or self.ref, self.ref - dt.timedelta(days=4))
            if rate == 0 or last_day <= plan.start:
                continue
            assert child_plan.child is not None and plan.setting and plan.setting.setting
            # Drawn at the rate for 16 and over, then thinned on the days the child was
            # younger, so the ratio follows the child's age on each day.
            rate *= MISSING_IRR_16_PLUS * _distance_irr(placement.distance_miles)
            if plan.place_type != HOME_PLACE_TYPE:
                rate *= MISSING_IRR_NOT_A_HOME
            days = (last_day - plan.start).days
            count = _poisson(rng, rate * days / 365.25)
            provider = plan.setting.setting.provider
            # The home's staff where the demo has a sign-in at the home, else the placing
            # council's (or, for councils without one, the Stockport coordinator's).
            if provider is not None and provider.pk == staff.organisation_id:
                actor = staff
            else:
                actor = actors.get(self.council_orgs[child_plan.council.dfe_code].pk, fallback)
            starts = sorted(rng.randrange(days) for _ in range(count))
            free_from = dt.datetime.combine(plan.start, dt.time(0), tzinfo=LONDON)
            for offset in starts:
                day = plan.start + dt.timedelta(days=offset)
                if _age(child_plan.date_of_birth, day) < 16 and (
                    rng.random() >= 1 / MISSING_IRR_16_PLUS
                ):
                    continue
                seen = dt.datetime.combine(
                    day, dt.time(rng.randint(14, 23), rng.choice((0, 15, 30, 45))), tzinfo=LONDON
                )
                if seen <= free_from:
                    continue  # one episode at a time
                returned = seen + dt.timedelta(hours=_missing_hours(rng))
                limit = dt.datetime.combine(last_day, dt.time(23, 0), tzinfo=LONDON)
                returned = min(returned, limit)
                if returned <= seen:
                    continue
                free_from = returned + dt.timedelta(hours=1)
                self._history_episode(
                    rng, plan=plan, placement=placement, actor=actor, seen=seen, returned=returned
                )
                written[child_plan.child.pk] = written.get(child_plan.child.pk, 0) + 1
        # Written as records, not through the services: one audit event per child says so,
        # as an SSDA903 import's event does for the rows it writes.
        audit_append_many(
            actor=None,
            verb=AuditVerb.DEMO_HISTORY_RECORDED,
            entries=[
                AuditEntry(obj="demo", child=child_id, payload={"episodes": count})
                for child_id, count in written.items()
            ],
            purpose="Synthetic demo history",
        )


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _distance_irr(miles: Decimal | None) -> float:
    """The planted incidence-rate ratio for the placement's distance band, as in synthetic
    England (``sightline synth england --distance-irr``)."""
    if miles is None:
        return 1.0
    for upper, irr in zip(DISTANCE_BAND_UPPER_MILES, MISSING_DISTANCE_IRR, strict=False):
        if miles <= upper:
            return irr
    return MISSING_DISTANCE_IRR[-1]
