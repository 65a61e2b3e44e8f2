"""One missing or away episode of the history and its return home interview, written as
records (like the SSDA903 import): no alerts for the past, no interview left outstanding."""

from __future__ import annotations

import datetime as dt
import random

from sightline.core.calendar import LONDON
from sightline.missing.models import (
    SSDA903_MISSING_CODE,
    Episode,
    EpisodeKind,
    FoundBy,
    InterviewEvent,
    InterviewStatus,
    ReturnInterview,
    RiskGrade,
    RiskGradeList,
)
from sightline.organisations.models import User
from sightline.placements.models import Placement
from sightline.synth.demo.plan import (
    FOLLOW_UPS,
    FOUND_PLACES,
    GRADE_WEIGHTS,
    LAST_SEEN_PLACES,
    PULL_FACTORS,
    PUSH_FACTORS,
    RETURN_CONDITIONS,
    SHARE_AWAY,
    SHARE_DECLINED,
    SHARE_FOUND_NEAR_HOME,
    SHARE_INDEPENDENT,
    SHARE_NO_INTERVIEW_RECORD,
    SHARE_OFFERED_IN_TIME,
)
from sightline.synth.demo.state import _PlacementPlan, _State


class _Episodes(_State):
    """An episode and its interview, drawn from the history's random stream."""

    def _history_episode(
        self,
        rng: random.Random,
        *,
        plan: _PlacementPlan,
        placement: Placement,
        actor: User,
        seen: dt.datetime,
        returned: dt.datetime,
    ) -> Episode:
        child = plan.child.child
        assert child is not None
        away = rng.random() < SHARE_AWAY
        kind = EpisodeKind.AWAY if away else EpisodeKind.MISSING
        home = plan.child.home
        found_home = (
            not away
            and placement.out_of_area
            and home.council is not None
            and rng.random() < SHARE_FOUND_NEAR_HOME
        )
        found_by = (
            FoundBy.POLICE
            if found_home
            else rng.choice((FoundBy.SELF, FoundBy.SELF, FoundBy.SELF, FoundBy.CARERS))
        )
        grade = None if away else self._grade(rng, on=seen.astimezone(LONDON).date())
        found_postcode = home.postcode if found_home else (placement.setting.postcode or "")
        episode = Episode.objects.create(
            child=child,
            kind=kind,
            missing_code=SSDA903_MISSING_CODE[kind],
            placement=placement,
            setting_id=placement.setting_id,
            placing_council=child.placing_council,
            host_council_id=placement.host_council_id,
            host_police_force_id=placement.host_police_force_id,
            last_seen_at=seen,
            last_seen_place=rng.choice(LAST_SEEN_PLACES),
            reported_to_police=not away,
            police_reference="" if away else f"MP-{seen:%y%m%d}-{rng.randrange(1000, 9999)}",
            risk_grade=grade,
            risk_grade_list_version=grade.list.version if grade else "",
            risk_grade_supplied_by="Police missing-person unit" if grade else "",
            police_alerted=not away,
            reported_at=seen + dt.timedelta(minutes=rng.choice((30, 45, 60, 90, 120))),
            reported_by=actor,
            reported_by_organisation=actor.organisation,
            mis_start=seen.astimezone(LONDON).date(),
            returned_at=returned,
            mis_end=returned.astimezone(LONDON).date(),
            found_postcode=found_postcode,
            found_place=("Near the family home" if found_home else rng.choice(FOUND_PLACES)),
            condition=rng.choice(RETURN_CONDITIONS),
            found_council=home.council if found_home else None,
            found_police_force=home.police_force if found_home else None,
            found_outside_host_area=True if found_home else None,
            found_in_other_force_area=(
                (home.police_force is not None)
                and home.police_force.pk != placement.host_police_force_id
                if found_home
                else None
            ),
            found_by=found_by,
            closed_at=returned,
            closed_by=actor,
        )
        self._register(episode)
        if not (away or rng.random() < SHARE_NO_INTERVIEW_RECORD):
            self._history_interview(rng, episode=episode, actor=actor)
        return episode

    def _grade(self, rng: random.Random, *, on: dt.date) -> RiskGrade:
        """A police risk grade from the list in force on the day, mostly low or medium."""
        if not self.grade_lists:
            for grade_list in RiskGradeList.objects.order_by("effective_from"):
                grades = {g.code: g for g in grade_list.grades.select_related("list")}
                self.grade_lists.append((grade_list.effective_from, grades))
        in_force = [grades for since, grades in self.grade_lists if since <= on]
        grades = in_force[-1] if in_force else self.grade_lists[0][1]
        codes = [code for code in GRADE_WEIGHTS if code in grades]
        return grades[rng.choices(codes, weights=[GRADE_WEIGHTS[c] for c in codes])[0]]

    def _history_interview(self, rng: random.Random, *, episode: Episode, actor: User) -> None:
        """Offered (mostly within 72 hours), then held or declined: never left open."""
        assert episode.returned_at is not None
        service = self.council_orgs[episode.placing_council.dfe_code]
        returned = episode.returned_at
        offered = returned + dt.timedelta(
            hours=rng.uniform(2, 70)
            if rng.random() < SHARE_OFFERED_IN_TIME
            else rng.uniform(73, 200)
        )
        declined = rng.random() < SHARE_DECLINED
        closed = offered + dt.timedelta(hours=rng.uniform(1, 48))
        if closed.date() >= self.ref:
            return  # would still be open on the reference date
        interview = ReturnInterview.objects.create(
            child=episode.child,
            service=service,
            assigned_by_rule="Demo history: the placing council holds return interviews",
            due_at=returned + dt.timedelta(hours=72),
            status=InterviewStatus.DECLINED if declined else InterviewStatus.COMPLETED,
            offered_at=offered,
            declined_at=closed if declined else None,
            declined_reason="Did not want to talk about it" if declined else "",
            completed_at=None if declined else closed,
            interviewer_name="" if declined else "Return interview worker",
            interviewer_organisation=None if declined else service,
            independent=None if declined else rng.random() < SHARE_INDEPENDENT,
            push_factors="" if declined else rng.choice(PUSH_FACTORS),
            pull_factors="" if declined else rng.choice(PULL_FACTORS),
            follow_up_actions="" if declined else rng.choice(FOLLOW_UPS),
            where_and_with_whom="" if declined else episode.found_place,
            created_by=actor,
        )
        interview.episodes.add(episode)
        events = [
            (
                InterviewStatus.TO_OFFER,
                returned,
                f"Created on return; assigned to organisation {service.id}",
            ),
            (InterviewStatus.OFFERED, offered, ""),
            (interview.status, closed, ""),
        ]
        InterviewEvent.objects.bulk_create(
            InterviewEvent(interview=interview, status=status, at=at, actor=actor, detail=detail)
            for status, at, detail in events
        )
        self._register(interview)


def _missing_hours(rng: random.Random) -> float:
    """How long an episode lasts: most end the same night, 9 in 10 within two days."""
    draw = rng.random()
    if draw < 0.62:
        return rng.uniform(1, 20)
    if draw < 0.92:
        return rng.uniform(20, 48)
    return rng.uniform(48, 24 * 7)
