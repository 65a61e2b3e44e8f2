"""Reading a loaded data set back into its summary: sign-ins, counts and the calibration
figures, measured from the database rather than from the plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sightline.exploitation.models import ConcernLink
from sightline.geography.models import Council
from sightline.organisations.models import OrganisationKind
from sightline.placements.models import Sector
from sightline.synth.demo.dataset import _councils_involved, _organisations_involved, _rows
from sightline.synth.demo.plan import (
    AGE_BANDS,
    HOST_CODE,
    NORTH_WEST,
    SIGN_IN_PLAN,
    TARGET_MALE,
    TARGET_OUT_OF_AREA,
    TARGET_OVER_20_MILES,
    TARGET_PLACES_PER_HOME,
    TARGET_PRIVATE,
)
from sightline.synth.demo.report import CalibrationFigure, DemoSignIn, DemoSummary
from sightline.synth.demo.screening import significant_home
from sightline.synth.demo.state import _age
from sightline.synth.models import DemoDataset


def _share(values: Sequence[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def _summarise(dataset: DemoDataset, *, password: str, created: bool) -> DemoSummary:
    ref = dataset.reference_date
    placements = list(
        _rows(dataset, "placements.placement").select_related(
            "setting", "setting__council", "child", "child__placing_council", "host_council"
        )
    )
    homes = [
        s
        for s in _rows(dataset, "placements.setting").select_related("council")
        if s.place_type == "K2"
    ]
    in_homes = [p for p in placements if p.end_date is None and p.setting.place_type == "K2"]
    measured = [p for p in placements if p.distance_miles is not None]
    hosted = [p for p in in_homes if p.host_council.dfe_code == HOST_CODE]
    ages = [_age(p.child.date_of_birth, ref) for p in in_homes]
    distances = [float(p.distance_miles or 0) for p in in_homes]
    council_ids = _councils_involved(dataset)
    organisations = _organisations_involved(dataset)
    episodes = list(_rows(dataset, "missing.episode").select_related("child"))
    missing = [e for e in episodes if e.missing_code == "M"]
    calibration = (
        CalibrationFigure(
            "Children in homes placed outside their council",
            TARGET_OUT_OF_AREA,
            _share([p.out_of_area for p in in_homes]),
            "share",
            "Hansard 2018",
        ),
        CalibrationFigure(
            "Placements more than 20 miles from home",
            TARGET_OVER_20_MILES,
            _share([(p.distance_miles or 0) > 20 for p in measured]),
            "share",
            "DfE 2015",
        ),
        CalibrationFigure(
            "Average distance from home, children in homes",
            36.0,
            sum(distances) / len(distances) if distances else 0.0,
            "miles",
            "unverified national figure; a Greater Manchester demo is more local",
        ),
        CalibrationFigure(
            "Children in homes who are boys",
            TARGET_MALE,
            _share([p.child.sex == "M" for p in in_homes]),
            "share",
            "brief",
        ),
        CalibrationFigure(
            "Children in homes aged 16 or 17",
            AGE_BANDS[-1][2],
            _share([a >= 16 for a in ages]),
            "share",
            "brief: 56% of missing incidents are of children aged 16+",
        ),
        CalibrationFigure(
            "Children in homes aged 12 to 17",
            1 - AGE_BANDS[0][2],
            _share([12 <= a <= 17 for a in ages]),
            "share",
            "brief: most children in homes are 12-17",
        ),
        CalibrationFigure(
            "Homes run privately",
            TARGET_PRIVATE,
            _share([s.sector == Sector.PRIVATE for s in homes]),
            "share",
            "Ofsted 2025",
        ),
        CalibrationFigure(
            "Registered places per home",
            TARGET_PLACES_PER_HOME,
            sum(s.registered_places or 0 for s in homes) / len(homes) if homes else 0.0,
            "places",
            "Ofsted 2025",
        ),
        CalibrationFigure(
            "Homes in the North West",
            0.26,
            _share([s.council.region_code == NORTH_WEST for s in homes]),
            "share",
            "Ofsted: 26% of homes nationally; the demo is centred on Greater Manchester",
        ),
        CalibrationFigure(
            "Children in homes placed by North West councils",
            0.18,
            _share([p.child.placing_council.region_code == NORTH_WEST for p in in_homes]),
            "share",
            "DfE: 18% of looked-after children nationally",
        ),
        CalibrationFigure(
            "Children in Stockport homes placed by other councils",
            0.73,
            _share([p.child.placing_council.dfe_code != HOST_CODE for p in hosted]),
            "share",
            "seed: 73% of children missing from Stockport homes",
        ),
        CalibrationFigure(
            "Missing incidents lasting 2 days or less",
            0.90,
            # Of the incidents that have ended: those open now have no length yet.
            _share(
                [
                    e.returned_at - e.last_seen_at <= dt.timedelta(days=2)
                    for e in missing
                    if e.returned_at is not None
                ]
            ),
            "share",
            "DfE 2022 (brief section 5)",
        ),
        CalibrationFigure(
            "Missing incidents of children aged 16 or over",
            0.56,
            _share([_age(e.child.date_of_birth, e.mis_start) >= 16 for e in missing]),
            "share",
            "DfE CLA 2025 (brief section 5)",
        ),
    )
    users = {
        u.username: u for u in _rows(dataset, "organisations.user").select_related("organisation")
    }
    sign_ins = [
        DemoSignIn(
            username=plan.username,
            password=password,
            role=plan.role,
            organisation_name=str(users[plan.username].organisation),
        )
        for plan in SIGN_IN_PLAN
        if plan.username in users
    ]
    return DemoSummary(
        seed=dataset.seed,
        reference_date=ref,
        created=created,
        fingerprint=dataset.fingerprint,
        councils=len(council_ids),
        police_forces=len(
            set(
                Council.objects.filter(ons_code__in=council_ids).values_list(
                    "police_force_id", flat=True
                )
            )
        ),
        organisations=len(organisations),
        providers=sum(1 for o in organisations if o.kind == OrganisationKind.PROVIDER),
        homes=len(homes),
        registered_places=sum(s.registered_places or 0 for s in homes),
        children=_rows(dataset, "children.child").count(),
        children_in_homes=len(in_homes),
        placements=len(placements),
        ended_placements=sum(1 for p in placements if p.end_date is not None),
        users=len(users),
        missing_episodes=len(missing),
        away_episodes=len(episodes) - len(missing),
        return_interviews=_rows(dataset, "missing.returninterview").count(),
        calibration=calibration,
        sign_ins=sign_ins,
        matching_home=significant_home(dataset.records.get("children.child", [])),
        exploitation_network=ConcernLink.objects.filter(
            concern_id__in=dataset.records.get("exploitation.concern", [])
        )
        .values("child_id")
        .distinct()
        .count(),
    )


# --- Printing ------------------------------------------------------------------------------
