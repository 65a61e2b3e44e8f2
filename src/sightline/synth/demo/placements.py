"""Placements: their dates first (current, earlier and ended ones), then writing settings,
children and placements through the domain services, as live data is written."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sightline.children.services import child_create
from sightline.geography.models import Council
from sightline.organisations.models import Role
from sightline.placements.models import Placement, Sector
from sightline.placements.services import placement_record, setting_create
from sightline.synth.demo.plan import (
    HOST_CODE,
    SHARE_EARLIER_FOSTER,
    SHARE_EARLIER_GAP,
    SHARE_EMERGENCY,
    SHARE_WITH_EARLIER,
    SHARE_WITH_TWO_EARLIER,
    TARGET_OUT_OF_AREA,
)
from sightline.synth.demo.state import (
    _PlacementPlan,
    _SettingPlan,
    _State,
    _years_after,
    _years_before,
)


class _Placements(_State):
    """Placement dates and who lives in their own council's area; then the records."""

    # Placements: dates first, then which setting.

    def _plan_placements(self) -> None:
        rng, ref = self.rng, self.ref
        for child in self.children:
            if not child.in_care:
                if child.date_of_birth <= _years_before(ref, 18):  # left care at 18
                    end = _years_after(child.date_of_birth, 18)
                    start = end - dt.timedelta(days=rng.randrange(300, 900))
                else:  # went home
                    end = ref - dt.timedelta(days=rng.randrange(30, 300))
                    start = end - dt.timedelta(days=rng.randrange(60, 400))
                self.placements.append(_PlacementPlan(child, "left", "K2", start, end))
                continue
            start = max(
                ref - dt.timedelta(days=rng.randrange(7, 600)),
                _years_after(child.date_of_birth, 9),
            )
            later = _PlacementPlan(
                child, "current", "K2", start, None, emergency=rng.random() < SHARE_EMERGENCY
            )
            self.placements.append(later)
            earlier = 0
            if rng.random() < SHARE_WITH_EARLIER:
                earlier = 2 if rng.random() < SHARE_WITH_TWO_EARLIER else 1
            for _ in range(earlier):
                gap = rng.random() < SHARE_EARLIER_GAP
                end = later.start - dt.timedelta(days=rng.randrange(14, 240) if gap else 0)
                begin = end - dt.timedelta(days=rng.randrange(30, 540))
                if begin < _years_after(child.date_of_birth, 5):
                    break
                place_type = "U6" if rng.random() < SHARE_EARLIER_FOSTER else "K2"
                later = _PlacementPlan(
                    child,
                    "earlier",
                    place_type,
                    begin,
                    end if gap else None,
                    emergency=rng.random() < SHARE_EMERGENCY,
                    follows=later,
                )
                self.placements.append(later)

        # Which children in homes live in their own council's area: as many as the target
        # says, among those whose council has homes with room. Children who could only be
        # placed far away outside it come first, as county councils keep their own close:
        # that leaves the 20-mile quota room to work with.
        current = [p for p in self.placements if p.kind == "current"]
        room: dict[str, int] = defaultdict(int)
        for home in self.homes:
            room[home.council.ons_code] += home.places or 0
        in_area = round((1 - TARGET_OUT_OF_AREA) * len(current))

        def only_far_away(placement: _PlacementPlan) -> bool:
            child = placement.child
            return all(
                self._miles(child.home, h.place) > 20
                for h in self.homes
                if h.council != child.council
            )

        # Then the national share of Stockport's own: the host at the heart uses its homes
        # for its own children too (the seed's 73% is of children missing from its homes).
        host_children = [p for p in current if p.child.council.dfe_code == HOST_CODE]
        host_first = set(
            rng.sample(host_children, round((1 - TARGET_OUT_OF_AREA) * len(host_children)))
        )

        def priority(placement: _PlacementPlan) -> tuple[bool, bool]:
            return only_far_away(placement), placement in host_first

        for placement in sorted(rng.sample(current, len(current)), key=priority, reverse=True):
            council = placement.child.council.ons_code
            placement.in_area = in_area > 0 and room[council] > 0
            if placement.in_area:
                in_area -= 1
                room[council] -= 1

    # Writing through the services.

    def _record(self) -> list[tuple[_PlacementPlan, Placement]]:
        settings_used = [*self.homes, *(f for fs in self.fosters.values() for f in fs if f.used)]
        for setting_plan in settings_used:
            setting_plan.setting = setting_create(
                name=setting_plan.name,
                postcode=setting_plan.place.postcode,
                sector=setting_plan.sector,
                place_type=setting_plan.place_type,
                provider=setting_plan.provider,
                urn=setting_plan.urn,
                registered_places=setting_plan.places,
            )
            self._register(setting_plan.setting)
        for child_plan in self.children:
            child_plan.child = child_create(
                placing_council=child_plan.council,
                child_ref=child_plan.ref,
                first_name=child_plan.first_name,
                last_name=child_plan.last_name,
                date_of_birth=child_plan.date_of_birth,
                sex=child_plan.sex,
                ethnicity=child_plan.ethnicity,
            )
            self._register(child_plan.child)
        actors = {
            user.organisation.council_id: user
            for user in self.users.values()
            if user.organisation
            and user.organisation.council_id
            and user.role in {Role.SOCIAL_WORKER, Role.NOMINATED_OFFICER}
        }
        recorded: list[tuple[_PlacementPlan, Placement]] = []
        # Oldest first, so that recording a move ends the placement before it.
        for plan in sorted(self.placements, key=lambda p: (p.child.ref, p.start)):
            assert plan.child.child is not None and plan.setting and plan.setting.setting
            placement = placement_record(
                actor=actors.get(plan.child.council.ons_code),
                child=plan.child.child,
                setting=plan.setting.setting,
                start_date=plan.start,
                end_date=plan.end,
                place_type=plan.place_type,
                place_provider=_provider_code(plan.setting, plan.child.council),
                home_postcode=plan.child.home.postcode,
                is_emergency=plan.emergency,
                # History is recorded without notices; the current placements owe theirs.
                send_notices=plan.end is None,
            )
            self._register(placement)
            recorded.append((plan, placement))
        return recorded


def _provider_code(setting: _SettingPlan, placing: Council) -> str:
    if setting.sector == Sector.PRIVATE:
        return "PR4"
    if setting.sector == Sector.VOLUNTARY:
        return "PR5"
    return "PR1" if setting.council == placing else "PR2"
