"""The family's services: the child's words kept as said, the plan versioned with who took
part, parents' restrictions enforced, continuity counted, chronology rows."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.family.models import ChildStatement, ParentInvitation, ParentSharing, PlanVersion
from sightline.family.selectors import (
    ReturnedWorkers,
    WorkerPeriod,
    chronology_items,
    combined_worker_periods,
    continuity_for_child,
    continuity_from,
    parents_contactable,
    social_worker_count,
)
from sightline.family.services import (
    child_statement_record,
    parent_code_send,
    parent_invite,
    parent_sharing_record,
    parent_update,
    plan_version_record,
)
from sightline.language.models import LanguageFlag
from sightline.placements.models import Contact, ContactRole
from sightline.placements.services import placement_end
from tests import factories

pytestmark = pytest.mark.django_db

SAID = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
# A phrase the language list flags (victim-blaming about a child).
FLAGGED = "She is putting herself at risk by going out."


def _statement(world, **kw):
    values = {
        "actor": world.social_worker,
        "child": world.child,
        "topic": "wishes",
        "occasion": "visit",
        "words": "I want to stay at this school. Putting myself at risk? No.",
        "said_at": SAID,
        "said_to": "Allocated social worker",
    }
    return child_statement_record(**{**values, **kw})


def test_the_childs_words_are_kept_as_said_and_audited(family_world):
    statement = _statement(family_world)
    assert ChildStatement.objects.get().words.startswith("I want to stay")
    event = AuditEvent.objects.get(verb=AuditVerb.CHILD_STATEMENT_RECORDED)
    assert event.payload == {"topic": "wishes", "occasion": "visit", "language_flags": 0}
    assert (event.object_id, event.child_id) == (str(statement.id), family_world.child.id)
    assert "stay" not in str(event.payload)


def test_a_professionals_note_is_language_checked_and_kept_once_confirmed(family_world):
    with pytest.raises(ValidationError) as refused:
        _statement(family_world, context=FLAGGED)
    assert refused.value.field == "context" and refused.value.record == "Child's words"
    assert not ChildStatement.objects.exists()
    statement = _statement(family_world, context=FLAGGED, language_confirmed=True)
    assert LanguageFlag.objects.filter(record_id=str(statement.id), field="context").exists()


def test_bad_input_names_the_record_and_field(family_world):
    with pytest.raises(ValidationError) as bad:
        _statement(family_world, topic="gossip")
    assert (bad.value.record, bad.value.field) == ("Child's words", "topic")
    with pytest.raises(ValidationError) as future:
        _statement(family_world, said_at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))
    assert future.value.field == "said_at"
    with pytest.raises(ValidationError) as nul:
        _statement(family_world, words="I said \x00 this")
    assert nul.value.field == "words"  # PostgreSQL cannot store a NUL: refused, not a 500


def test_only_those_the_policy_names_record_the_childs_words(family_world):
    _statement(family_world, actor=family_world.home_staff)
    _statement(family_world, actor=family_world.host_coordinator)
    for outsider in (family_world.police, family_world.other_council):
        with pytest.raises(NotFoundOrNotAllowed):
            _statement(family_world, actor=outsider)


def test_the_plan_is_versioned_with_who_took_part(family_world):
    w = family_world
    first = plan_version_record(
        actor=w.social_worker,
        child=w.child,
        summary="Stay at the home; weekly football.",
        child_took_part=True,
        child_views="I chose football.",
        agencies=[w.social_worker.organisation, w.home_staff.organisation],
    )
    second = plan_version_record(
        actor=w.team_manager, child=w.child, summary="Add a mentor.", child_took_part=False
    )
    assert (first.version, second.version) == (1, 2)
    assert PlanVersion.objects.count() == 2  # nothing overwritten
    assert first.agencies.count() == 2
    payloads = [e.payload for e in AuditEvent.objects.filter(verb=AuditVerb.PLAN_VERSION_RECORDED)]
    assert {p["version"] for p in payloads} == {1, 2}
    with pytest.raises(ValidationError) as no_views:
        plan_version_record(actor=w.social_worker, child=w.child, summary="x", child_took_part=True)
    assert no_views.value.field == "child_views"
    with pytest.raises(NotFoundOrNotAllowed):
        plan_version_record(actor=w.home_staff, child=w.child, summary="x", child_took_part=False)


def test_a_restricted_parent_is_never_contacted_and_never_shown_anything(
    family_world, smtp_server, django_capture_on_commit_callbacks
):
    w = family_world
    risky = w.parent(restricted=True)
    assert parents_contactable(child=w.child) == []
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError):
            parent_invite(actor=w.social_worker, parent=risky)
        with pytest.raises(ValidationError):
            parent_sharing_record(
                actor=w.social_worker,
                parent=risky,
                what="The plan",
                channel="email",
                shared_at=SAID,
            )
    assert smtp_server.received == []
    assert not ParentInvitation.objects.exists() and not ParentSharing.objects.exists()


def test_restricting_a_parent_ends_their_invitation_and_stops_codes(
    family_world, smtp_server, django_capture_on_commit_callbacks
):
    w = family_world
    parent = w.parent()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = parent_invite(actor=w.social_worker, parent=parent)
    assert len(smtp_server.received) == 1
    parent_update(
        actor=w.social_worker,
        parent=parent,
        contact_preference="email",
        email=parent.email,
        phone="",
        restricted=True,
        restriction_reason="Police advice after an incident",
    )
    invitation.refresh_from_db()
    assert invitation.ended_at is not None
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotFoundOrNotAllowed):
        parent_code_send(invitation_id=invitation.id, address=invitation.email)
    assert len(smtp_server.received) == 1  # nothing more sent
    ended = AuditEvent.objects.get(verb=AuditVerb.PARENT_INVITATION_ENDED)
    assert ended.payload == {"reason": "parent restricted"}


def test_what_was_shared_is_logged_with_when_and_by_whom(family_world):
    w = family_world
    parent = w.parent()
    sharing = parent_sharing_record(
        actor=w.home_staff,
        parent=parent,
        what="Photos from the trip",
        channel="phone",
        shared_at=SAID,
    )
    assert (sharing.shared_by, sharing.organisation) == (w.home_staff, w.home_staff.organisation)
    assert AuditEvent.objects.get(verb=AuditVerb.PARENT_SHARING_RECORDED).payload == {
        "channel": "phone"
    }


def _allocate(placement, name, *, by):
    Contact.objects.create(
        organisation=by.organisation,
        placement=placement,
        role=ContactRole.SOCIAL_WORKER,
        name=name,
        phone="020 7946 0000",
        last_confirmed_at=SAID,
    )


@time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC), tick=False)
def test_continuity_counts_social_workers_and_placements_in_the_last_12_months(family_world):
    w = family_world
    provider = w.home_staff.organisation
    # The world's placement started 2025-01-06; it ends, and two more follow.
    placement_end(actor=None, placement=w.placement, end_date=dt.date(2025, 3, 1))
    second = factories.placement(
        w.child, factories.setting(provider, postcode="SK4 2AB"), start=dt.date(2025, 3, 1)
    )
    placement_end(actor=None, placement=second, end_date=dt.date(2025, 9, 1))
    third = factories.placement(
        w.child, factories.setting(provider, postcode="SK4 2AB"), start=dt.date(2025, 9, 1)
    )
    _allocate(w.placement, "Sam Worker", by=w.social_worker)  # before the 12 months
    _allocate(second, "Kim Worker", by=w.social_worker)
    _allocate(third, "kim  WORKER", by=w.social_worker)  # the same person
    continuity = continuity_for_child(child=w.child)
    assert (continuity.placements, continuity.social_workers) == (2, 1)
    assert not continuity.from_returns


def test_the_903_counts_up_to_the_day_its_returns_cover_then_the_record():
    """The 2025 return covers to 31 March 2025: its two workers count there, and the record's
    allocations running across that day (Kim, the worker the 903 names by id) do not count
    twice; a worker the record allocated after it (Lee) does, and ends the 903's open one."""
    on = dt.date(2026, 2, 1)
    since = on - dt.timedelta(days=365)
    record = [
        WorkerPeriod("kim worker", dt.date(2024, 9, 1), dt.date(2025, 9, 1)),
        WorkerPeriod("lee worker", dt.date(2025, 9, 1), None),
    ]
    returned = ReturnedWorkers(
        periods=(
            WorkerPeriod("903:sw1", dt.date(2024, 1, 1), dt.date(2024, 9, 1)),
            WorkerPeriod("903:sw2", dt.date(2024, 9, 1), None),
        ),
        covered_until=dt.date(2025, 3, 31),
    )
    combined = combined_worker_periods(record=record, returned=returned)
    assert combined == [
        returned.periods[0],
        WorkerPeriod("903:sw2", dt.date(2024, 9, 1), dt.date(2025, 8, 31)),
        record[1],
    ]
    assert social_worker_count(combined, since=since, on=on) == 2  # sw2, Lee
    # Without the returns, the record alone: Kim and Lee.
    assert (
        social_worker_count(
            combined_worker_periods(record=record, returned=ReturnedWorkers()), since=since, on=on
        )
        == 2
    )
    continuity = continuity_from(placements=[], periods=record, returned=returned, on=on)
    assert (continuity.social_workers, continuity.from_returns) == (2, True)


def test_social_worker_count_counts_overlaps_once():
    since, on = dt.date(2025, 6, 1), dt.date(2026, 6, 1)
    periods = [
        WorkerPeriod("a", dt.date(2024, 1, 1), dt.date(2025, 5, 31)),  # ended before
        WorkerPeriod("b", dt.date(2025, 5, 1), dt.date(2025, 6, 1)),  # ends on the first day
        WorkerPeriod("b", dt.date(2025, 8, 1), None),
        WorkerPeriod("c", dt.date(2026, 6, 2), None),  # not started yet
    ]
    assert social_worker_count(periods, since=since, on=on) == 1


def test_chronology_items_carry_the_contract_keys_and_respect_the_policy(family_world):
    w = family_world
    _statement(w)
    plan_version_record(actor=w.social_worker, child=w.child, summary="Plan", child_took_part=False)
    parent_sharing_record(
        actor=w.social_worker,
        parent=w.parent(),
        what="The plan",
        channel="meeting",
        shared_at=SAID,
    )
    items = chronology_items(child=w.child, user=w.social_worker)
    assert [i["kind"] for i in items] == ["child's words", "information shared", "plan"]
    for item in items:
        assert set(item) == {
            "occurred_at",
            "kind",
            "label",
            "organisation_id",
            "significance",
            "url",
        }
        assert item["occurred_at"].tzinfo is not None
        assert "Jordan" not in item["label"] and "Alex" not in item["label"]
        assert item["significance"] in {"routine", "significant", "critical"}
    assert chronology_items(child=w.child, user=w.police) == []
    assert chronology_items(child=w.child, user=w.other_council) == []


def test_every_action_fits_the_access_record():
    """An access record keeps the name of the child-level action looked through: PostgreSQL
    refuses one longer than the column (SQLite does not), so it would be a 500 at the first
    look."""
    from sightline.access.models import AccessRecord
    from sightline.access.policy import POLICY

    limit = AccessRecord._meta.get_field("action").max_length
    assert [a.value for a in POLICY if len(a.value) > limit] == []
