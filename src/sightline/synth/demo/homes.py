"""Children's homes and foster households, and which one each placement is in: the 20-mile
share is met by choosing settings, not by chance."""

from __future__ import annotations

import random

from sightline.placements.models import Sector, Setting
from sightline.synth import names
from sightline.synth.demo.plan import (
    COUNCIL_PLAN,
    FOSTER_HOUSEHOLDS_PER_COUNCIL,
    GREATER_MANCHESTER_FORCE,
    GREATER_MANCHESTER_WEIGHT,
    HOST_CODE,
    HOST_WEIGHT,
    LEAD_PROVIDER_HOMES_ELSEWHERE,
    LEAD_PROVIDER_HOMES_IN_HOST,
    LEFT_CARE,
    PLACES_WEIGHTS,
    TARGET_OVER_20_MILES,
    VOLUNTARY_HOMES,
)
from sightline.synth.demo.state import _PlacementPlan, _quota, _SettingPlan, _State, _unique


class _Homes(_State):
    """Homes and their providers, names, URNs and places; then each placement's setting."""

    def _plan_homes(self) -> None:
        rng = self.rng
        for plan in COUNCIL_PLAN:
            council = self.councils[plan.dfe_code]
            if plan.homes:
                for place in self._sample(council, plan.homes):
                    self.homes.append(_SettingPlan(len(self.homes), council, place, "K2"))
            self.fosters[plan.dfe_code] = [
                _SettingPlan(
                    1000 + len(self.fosters) * 100 + n,
                    council,
                    place,
                    "U6",
                    sector=Sector.COUNCIL,
                    provider=self.council_orgs[plan.dfe_code],
                    name=f"{council.name} foster household {n + 1}",
                )
                for n, place in enumerate(self._sample(council, FOSTER_HOUSEHOLDS_PER_COUNCIL))
            ]

        # Council-run homes: the first few homes in each council that runs any.
        unassigned: list[_SettingPlan] = []
        for plan in COUNCIL_PLAN:
            in_council = [h for h in self.homes if h.council.dfe_code == plan.dfe_code]
            for home in in_council[: plan.council_homes]:
                home.sector = Sector.COUNCIL
                home.provider = self.council_orgs[plan.dfe_code]
            unassigned.extend(in_council[plan.council_homes :])
        lead, *other_private, voluntary = self.providers
        in_host = [h for h in unassigned if h.council.dfe_code == HOST_CODE]
        for home in rng.sample(in_host, LEAD_PROVIDER_HOMES_IN_HOST):
            home.sector, home.provider = Sector.PRIVATE, lead
        elsewhere = [h for h in unassigned if h.council.dfe_code != HOST_CODE]
        for home in rng.sample(elsewhere, VOLUNTARY_HOMES):
            home.sector, home.provider = Sector.VOLUNTARY, voluntary
        elsewhere = [h for h in elsewhere if h.provider is None]
        for home in rng.sample(elsewhere, LEAD_PROVIDER_HOMES_ELSEWHERE):
            home.sector, home.provider = Sector.PRIVATE, lead
        for home in unassigned:
            if home.provider is None:
                home.sector, home.provider = Sector.PRIVATE, rng.choice(other_private)

        used_names: set[str] = {""}  # "" is a rejected draw
        used_urns = set(Setting.objects.exclude(urn="").values_list("urn", flat=True))
        total = sum(PLACES_WEIGHTS.values())
        places = _quota(rng, len(self.homes), [(n, w / total) for n, w in PLACES_WEIGHTS.items()])
        for home, registered in zip(self.homes, places, strict=True):
            home.name = _unique(used_names, lambda: _home_name(rng))
            # Real URNs run SC000001-SC499999 and then 7-digit numbers: SC9 is never real.
            home.urn = _unique(used_urns, lambda: f"SC9{rng.randrange(100_000):05d}")
            home.places = registered

        # Enough room for every child in a home, with some to spare for choice.
        wanted = round(1.25 * (sum(p.children for p in COUNCIL_PLAN) - LEFT_CARE))
        while sum(h.places or 0 for h in self.homes) < wanted:
            home = rng.choice([h for h in self.homes if (h.places or 0) < 6])
            home.places = (home.places or 0) + 1

    def _candidates(self, placement: _PlacementPlan) -> list[_SettingPlan]:
        child = placement.child
        if placement.place_type == "U6":
            return self.fosters[child.council.dfe_code]
        homes = self.homes
        if placement.kind == "current":
            homes = [h for h in homes if (h.council == child.council) == placement.in_area]
        later = placement.follows.setting if placement.follows else None
        return [h for h in homes if h is not later]

    def _host_weight(self, placement: _PlacementPlan, home: _SettingPlan) -> int:
        if home.council.dfe_code == HOST_CODE and home.council != placement.child.council:
            return HOST_WEIGHT
        if home.council.police_force_id == GREATER_MANCHESTER_FORCE:
            return GREATER_MANCHESTER_WEIGHT
        return 1

    def _choose_settings(self) -> None:
        """Pick each placement's setting so that the share more than 20 miles from home
        comes out at the target: placements that can only be far (or only near) count as
        they must; the rest are far with the probability that meets the remaining quota."""
        rng = self.rng
        order = (
            [p for p in self.placements if p.kind == "current" and p.in_area]
            + [p for p in self.placements if p.kind == "current" and not p.in_area]
            + [p for p in self.placements if p.kind != "current"]
        )
        # Earlier placements need the setting of the placement they came before.
        order.sort(key=lambda p: _depth(p))
        far_options: dict[int, set[bool]] = {}
        for placement in order:
            # An earlier placement's candidates exclude the later one's setting, unknown yet;
            # one setting more or less does not change whether both classes are possible.
            options = {
                self._miles(placement.child.home, s.place) > 20 for s in self._candidates(placement)
            }
            far_options[id(placement)] = options
        forced_far = sum(1 for o in far_options.values() if o == {True})
        flexible = sum(1 for o in far_options.values() if len(o) == 2)
        far_wanted = max(0, round(TARGET_OVER_20_MILES * len(order)) - forced_far)

        for placement in order:
            options = far_options[id(placement)]
            if len(options) == 2:
                want_far = rng.random() < far_wanted / flexible if flexible else False
                flexible -= 1
            else:
                want_far = True in options
            candidates = [
                s for s in self._candidates(placement) if placement.kind != "current" or s.free > 0
            ]
            if not candidates:
                raise RuntimeError("The demo homes have no room left; raise their places.")
            matching = [
                s
                for s in candidates
                if (self._miles(placement.child.home, s.place) > 20) == want_far
            ] or candidates
            weights = [
                self._host_weight(placement, s) * (s.free if placement.kind == "current" else 1)
                for s in matching
            ]
            chosen = rng.choices(matching, weights=weights)[0]
            placement.setting = chosen
            chosen.used = True
            if placement.kind == "current":
                chosen.occupied += 1
            if len(options) == 2 and self._miles(placement.child.home, chosen.place) > 20:
                far_wanted -= 1


def _depth(placement: _PlacementPlan) -> int:
    depth = 0
    while placement.follows is not None:
        placement = placement.follows
        depth += 1
    return depth


def _home_name(rng: random.Random) -> str:
    stem, ending = rng.choice(names.HOME_NAME_STEMS), rng.choice(names.HOME_NAME_ENDINGS)
    if stem[-1] == ending[0] or stem + ending == "Hollywood":  # not "Willowwood"
        return ""
    return f"{stem}{ending} {rng.choice(names.HOME_NAME_KINDS)}"
