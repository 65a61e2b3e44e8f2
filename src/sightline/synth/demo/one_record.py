"""One record, many agencies (issue 17) on one child of the demo, so that its pages are not
empty: the chronology written by four agencies (police intelligence marked for the placing
council only, then corrected), an exploitation screening, a strategy meeting whose decisions
became tasks for three agencies, the child's own words and plan, and two parents (one a risk
to the child, restricted).

The child is one every sign-in of the tour sees and who is not missing now: placed by
Southwark (``sw.southwark``; else Manchester, ``nominated.manchester``) in Greater Manchester
Police's area (``police.gmp``), in a Brightwater home (``staff.brightwater``,
``manager.brightwater``; else in Stockport, whose ``coordinator.stockport`` then speaks for
the host), the first by 903 CHILD id. A seed that places no such child gets none of this
(the default seed does: ``tests/synth/test_demo.py``). Everything is written
through the services as a user would (access checked, language checked, audited), a few
dozen rows: the demo's load time does not move. No randomness: the texts are fixed and the
times count back from the moment of loading.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sightline.access.policy import Action, allowed_involvements
from sightline.casework.services import ActionInput, AttendeeInput, strategy_meeting_record
from sightline.chronology.services import chronology_entry_add, chronology_entry_supersede
from sightline.core.timeutil import now as current_time
from sightline.core.timeutil import today as london_today
from sightline.exploitation.services import IndicatorInput, screening_record
from sightline.family.services import child_statement_record, parent_record, plan_version_record
from sightline.missing.models import Episode
from sightline.placements.models import Placement
from sightline.synth.demo.state import _State

# The sign-ins of the tour (README, "Who is doing what" and the chronology).
SOCIAL_WORKER = "sw.southwark"
PLACING_FALLBACK = "nominated.manchester"
POLICE = "police.gmp"
HOME_STAFF = "staff.brightwater"
HOME_MANAGER = "manager.brightwater"
COORDINATOR = "coordinator.stockport"

SEEN = "Seen getting into a grey car with an older man outside Stockport station at 11pm."
CORRECTED = "Seen getting into a grey car with two older men outside Stockport station at 11pm."


class _OneRecord(_State):
    users: dict[str, Any]

    def _one_record(self, recorded: list[tuple[Any, Placement]]) -> None:
        chosen = self._featured_child(recorded)
        if chosen is None:
            return
        child, sw, home_staff, home_manager = chosen
        police = self.users[POLICE]
        coordinator = self.users[COORDINATOR]
        now = current_time()

        def ago(days: float, hour: int = 0) -> dt.datetime:
            return now - dt.timedelta(days=days, hours=hour)

        # The chronology, from four agencies.
        chronology_entry_add(
            actor=sw,
            child=child,
            entry_type="contact",
            significance="routine",
            occurred_at=ago(20, 3),
            text="Visited at the home. Talked about school, football and seeing family.",
        )
        chronology_entry_add(
            actor=home_staff,
            child=child,
            entry_type="concern",
            significance="significant",
            occurred_at=ago(12, 2),
            text="Came back after midnight with a new phone and would not say who gave it.",
        )
        intelligence = chronology_entry_add(
            actor=police,
            child=child,
            entry_type="intelligence_summary",
            significance="significant",
            occurred_at=ago(9, 5),
            text=SEEN,
            restricted=True,
            visible_to=[sw.organisation],
        )
        chronology_entry_supersede(
            actor=police,
            entry=intelligence,
            entry_type="intelligence_summary",
            significance="significant",
            occurred_at=ago(9, 5),
            text=CORRECTED,
            restricted=True,
            visible_to=[sw.organisation],
        )
        chronology_entry_add(
            actor=coordinator,
            child=child,
            entry_type="information_shared",
            significance="routine",
            occurred_at=ago(8, 1),
            text="Shared the missing episodes from Stockport homes with the placing council.",
        )

        # An exploitation screening by the placing council (moderate: referred to the panel).
        screening_record(
            actor=sw,
            child=child,
            indicators=[
                IndicatorInput("criminal.cars", "current", "Police intelligence summary"),
                IndicatorInput("online.secretive", "current", "Home's daily log"),
                IndicatorInput("criminal.drugs_cash", "current", "Home's daily log"),
            ],
            danger_statement="We are worried that older men are grooming the child with gifts "
            "and lifts, to exploit them.",
            safety_goal="The child is home every night and tells staff where they are going.",
            learning_disability=False,
        )

        # The strategy meeting: its decisions are tasks for three agencies.
        today = london_today()
        strategy_meeting_record(
            actor=sw,
            child=child,
            held_at=ago(7, 4),
            decisions="The social worker visits this week; the police share what they know "
            "about the car; the home reviews the safety plan.",
            minutes="Concern about the new phone and the car seen at the station. The child's "
            "wish to stay at school and keep seeing family was heard first.",
            attendees=[
                AttendeeInput(organisation=sw.organisation, person=sw),
                AttendeeInput(organisation=police.organisation, person=police),
                AttendeeInput(organisation=home_manager.organisation, person=home_manager),
            ],
            actions=[
                ActionInput("visit", "Visit at the home", sw.organisation, sw, today),
                ActionInput(
                    "information",
                    "Share what is known about the grey car",
                    police.organisation,
                    police,
                    today + dt.timedelta(days=3),
                ),
                ActionInput(
                    "safety_plan",
                    "Review the safety plan",
                    home_manager.organisation,
                    home_manager,
                    today + dt.timedelta(days=5),
                ),
            ],
        )

        # The child's own words, their plan (written with them) and their parents.
        for topic, words, days in (
            ("wishes", "I want to stay at this school and see my little brother on Saturdays.", 20),
            ("worries", "I don't like it when people I don't know message me.", 20),
            ("priorities", "Get back to football training and pass my maths exam.", 6),
        ):
            child_statement_record(
                actor=sw,
                child=child,
                topic=topic,
                occasion="visit",
                words=words,
                said_at=ago(days, 3),
                said_to="Allocated social worker",
            )
        plan_version_record(
            actor=sw,
            child=child,
            summary="Stay at the home and at school; weekly visits; football on Tuesdays; "
            "contact with brother on Saturdays, supervised by the home.",
            child_took_part=True,
            child_views="Happy with football and Saturdays; wants fewer meetings.",
            carers_took_part="Key worker at the home",
            agencies=[sw.organisation, home_manager.organisation],
        )
        parent_record(
            actor=sw,
            child=child,
            name=f"Jo {child.last_name}",
            relationship="mother",
            contact_preference="email",
            email="jo.parent@example.invalid",
            parental_responsibility=True,
        )
        parent_record(
            actor=sw,
            child=child,
            name=f"Lee {child.last_name}",
            relationship="father",
            contact_preference="post",
            restricted=True,
            restriction_reason="Court order: no contact. Never contact, never share.",
        )

    def _featured_child(self, recorded: list[tuple[Any, Placement]]) -> tuple[Any, ...] | None:
        """The child, the placing council's sign-in, and who speaks for the home (its staff
        and manager, or the host council's coordinator): see the module's docstring. Ranked
        from the placements the load holds; the policy then confirms the first that every
        sign-in may act on (asked about one or two children, not every one)."""
        police, coordinator = self.users[POLICE], self.users[COORDINATOR]
        home = (self.users[HOME_STAFF], self.users[HOME_MANAGER])
        placing = {
            self.users[u].organisation.council_id: (rank, self.users[u])
            for rank, u in enumerate((SOCIAL_WORKER, PLACING_FALLBACK))
        }
        missing = set(
            Episode.objects.filter(returned_at__isnull=True).values_list("child_id", flat=True)
        )
        candidates = []
        for plan, placement in recorded:
            child = placement.child
            if (
                plan.kind != "current"
                or child.pk in missing
                or child.placing_council_id not in placing
                or placement.host_police_force_id != police.organisation.police_force_id
            ):
                continue
            rank, placer = placing[child.placing_council_id]
            if placement.setting.provider_id == home[0].organisation_id:
                candidates.append((rank, plan.child.ref, (child, placer, *home)))
            elif placement.host_council_id == coordinator.organisation.council_id:
                candidates.append(
                    (2 + rank, plan.child.ref, (child, placer, coordinator, coordinator))
                )
        for _rank, _ref, chosen in sorted(candidates, key=lambda c: (c[0], c[1])):
            child, placer, speaker, owner = chosen
            if (
                allowed_involvements(placer, child, Action.MANAGE_PARENTS)
                and allowed_involvements(police, child, Action.RECORD_MEETING)
                and allowed_involvements(speaker, child, Action.ADD_CHRONOLOGY_ENTRY)
                and allowed_involvements(owner, child, Action.VIEW_CASE_TASK)
            ):
                return chosen
        return None
