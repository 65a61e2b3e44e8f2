"""Updates are appended with who supplied each fact; risk grades keep their list's version."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.missing.models import (
    Episode,
    EpisodeUpdate,
    FoundBy,
    RiskGrade,
    RiskGradeList,
    Task,
    TaskKind,
    UpdateKind,
)
from sightline.missing.selectors import episode_current_risk, episode_updates
from sightline.missing.services import episode_close, episode_update, risk_grade_list_in_force
from tests.missing.conftest import MONDAY, World, report

pytestmark = pytest.mark.django_db


def test_the_shipped_lists_are_loaded_by_the_data_migration():
    lists = {
        grade_list.version: list(grade_list.grades.order_by("order").values_list("code", "is_high"))
        for grade_list in RiskGradeList.objects.all()
    }
    assert lists == {
        "2016": [("no_apparent", False), ("low", False), ("medium", False), ("high", True)],
        "2021": [("very_low", False), ("low", False), ("medium", False), ("high", True)],
    }
    assert risk_grade_list_in_force(on=dt.date(2018, 5, 1)).version == "2016"
    assert risk_grade_list_in_force(on=dt.date(2026, 2, 2)).version == "2021"


def test_updates_are_appended_with_who_supplied_each_fact(world: World, at_monday):
    episode = report(world)
    sighting = episode_update(
        actor=world.home_staff,
        episode=episode,
        kind=UpdateKind.SIGHTING,
        text="Seen near the bus station",
        supplied_by="A bus driver, by phone",
        supplied_at=MONDAY - dt.timedelta(minutes=20),
    )
    with time_machine.travel(MONDAY + dt.timedelta(hours=2), tick=False):
        change = episode_update(
            actor=world.officer,
            episode=episode,
            kind=UpdateKind.RISK_CHANGE,
            text="Seen getting into a car with two adults",
            risk_grade="high",
            supplied_by="PS 88, Greater Manchester Police",
        )
    info = episode_update(
        actor=world.social_worker,
        episode=episode,
        kind="information",
        text="Has a friend in Levenshulme",
        supplied_by="Social worker",
    )
    assert list(episode_updates(episode=episode)) == [sighting, info, change]
    assert sighting.supplied_at == MONDAY - dt.timedelta(minutes=20)
    assert sighting.recorded_at == MONDAY
    assert change.recorded_by == world.officer
    assert change.recorded_by_organisation == world.police
    assert change.risk_grade_list_version == "2021"
    assert episode_current_risk(episode=episode) == change.risk_grade

    # The report's own grade is unchanged: nothing is overwritten.
    episode.refresh_from_db()
    assert episode.risk_grade is not None and episode.risk_grade.code == "medium"
    assert episode.risk_grade_supplied_by == "PC 1234, Greater Manchester Police"

    # High risk: one review task for the placing council's team manager, however often.
    with time_machine.travel(MONDAY + dt.timedelta(hours=3), tick=False):
        episode_update(
            actor=world.officer,
            episode=episode,
            kind=UpdateKind.RISK_CHANGE,
            risk_grade="high",
            supplied_by="PS 88",
        )
    (task,) = Task.objects.filter(kind=TaskKind.HIGH_RISK_REVIEW)
    assert (task.assignee, task.assignee_role, task.created_from) == (
        world.placing,
        "team_manager",
        episode,
    )


def test_after_the_return_only_information_can_be_added(world: World, at_monday):
    episode = report(world)
    episode_close(
        actor=world.home_staff,
        episode=episode,
        returned_at=MONDAY,
        where_postcode="SK4 2AB",
        found_by=FoundBy.SELF,
    )
    with pytest.raises(ValidationError) as late:
        episode_update(
            actor=world.home_staff,
            episode=episode,
            kind=UpdateKind.SIGHTING,
            text="Seen",
            supplied_by="Staff",
        )
    assert late.value.field == "kind"
    episode_update(
        actor=world.home_staff,
        episode=episode,
        kind=UpdateKind.INFORMATION,
        text="Said they stayed with a friend",
        supplied_by="Key worker",
    )
    assert EpisodeUpdate.objects.count() == 1


def test_an_update_needs_its_facts(world: World, at_monday):
    episode = report(world)
    cases = [
        ({"kind": "rumour", "text": "x", "supplied_by": "y"}, "kind"),
        ({"kind": "sighting", "text": "x", "supplied_by": " "}, "supplied_by"),
        ({"kind": "sighting", "text": "", "supplied_by": "y"}, "text"),
        ({"kind": "risk_change", "supplied_by": "y"}, "risk_grade"),
        ({"kind": "sighting", "text": "x", "supplied_by": "y", "risk_grade": "low"}, "kind"),
    ]
    for values, field in cases:
        with pytest.raises(ValidationError) as error:
            episode_update(actor=world.home_staff, episode=episode, **values)
        assert error.value.field == field, values
    with pytest.raises(NotFoundOrNotAllowed):
        episode_update(
            actor=world.other_officer,
            episode=episode,
            kind="sighting",
            text="x",
            supplied_by="y",
        )
    assert not EpisodeUpdate.objects.exists()


def test_a_report_with_a_risk_grade_needs_who_gave_it(world: World, at_monday):
    # The rule is the service's, so every door (form, API, command) refuses the same way.
    for grade in ("medium", RiskGrade.objects.filter(code="high").first()):
        with pytest.raises(ValidationError) as error:
            report(world, risk_grade=grade, risk_grade_supplied_by=" ")
        assert (error.value.field, error.value.message) == (
            "risk_grade_supplied_by",
            "Enter who gave the risk grade.",
        )
    assert not Episode.objects.exists()
    assert report(world, risk_grade=None, risk_grade_supplied_by="").risk_grade is None


def test_a_new_list_applies_from_its_date_and_old_grades_keep_theirs(world: World, at_monday):
    old = report(world)
    assert old.risk_grade_list_version == "2021"
    assert old.risk_grade is not None and old.risk_grade.list.version == "2021"
    episode_close(
        actor=world.home_staff,
        episode=old,
        returned_at=MONDAY,
        where_postcode="SK4 2AB",
        found_by=FoundBy.SELF,
    )
    newer = RiskGradeList.objects.create(
        version="2026", name="Test list", effective_from=dt.date(2026, 2, 3)
    )
    RiskGrade.objects.create(list=newer, code="medium", label="Medium risk", order=1)
    with time_machine.travel(MONDAY + dt.timedelta(days=1), tick=False):
        episode = report(world, risk_grade="medium")
    assert episode.risk_grade_list_version == "2026"
    old.refresh_from_db()
    assert old.risk_grade_list_version == "2021"
    # The report may also leave the grade for the police to give later.
    assert episode.risk_grade is not None


def test_a_far_date_is_refused_with_a_message_not_a_crash():
    # Found by fuzzing the API: year 1 cannot be converted to London time.
    from sightline.missing.services import _aware

    with pytest.raises(ValidationError) as error:
        _aware(dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.UTC), field="last_seen_at")
    assert error.value.field == "last_seen_at"
    assert "real date" in error.value.message
