"""The child's voice, plan and parents through the API: the same services as the pages
(the same answers to the same bad input), the same policy (404 for anyone else)."""

from __future__ import annotations

import pytest

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.family.models import ChildStatement, Parent, PlanVersion

pytestmark = pytest.mark.django_db

FLAGGED = "She is putting herself at risk by going out."


def _statement(world, **changes):
    return {
        "topic": "worries",
        "occasion": "visit",
        "words": "I don't like the new school.",
        "said_at": "2026-03-02T16:00:00Z",
        "said_to": "Key worker",
        **changes,
    }


def test_the_home_records_the_childs_words_and_the_council_reads_them(world):
    path = f"/children/{world.ada.id}/statements"
    created = world.api("brightwater").post(path, _statement(world))
    assert created.status_code == 201, created.content
    assert created.json()["words"] == "I don't like the new school."
    read = world.api("manchester").get(path)
    assert read.status_code == 200 and [s["said_to"] for s in read.json()] == ["Key worker"]
    assert AuditEvent.objects.filter(verb=AuditVerb.CHILD_STATEMENT_RECORDED).count() == 1


def test_flagged_professional_text_answers_422_naming_the_field_until_confirmed(world):
    path = f"/children/{world.ada.id}/statements"
    refused = world.api("manchester").post(path, _statement(world, context=FLAGGED))
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["field"] == "context" and "consider" in error["message"]
    assert not ChildStatement.objects.exists()
    confirmed = world.api("manchester").post(
        path, _statement(world, context=FLAGGED, language_confirmed=True)
    )
    assert confirmed.status_code == 201


def test_plan_versions_and_parents(world):
    plan = world.api("manchester").post(
        f"/children/{world.ada.id}/plan",
        {
            "summary": "Stay at Larch House",
            "child_took_part": True,
            "child_views": "I like it here",
            "agency_ids": [str(world.brightwater.id), str(world.gmp.id)],
        },
    )
    assert plan.status_code == 201, plan.content
    assert plan.json()["version"] == 1
    assert plan.json()["agencies"] == sorted([world.brightwater.name, world.gmp.name])
    stranger = world.api("manchester").post(
        f"/children/{world.ada.id}/plan",
        {"summary": "x", "child_took_part": False, "agency_ids": [str(world.kent.id)]},
    )
    assert stranger.status_code == 422
    assert stranger.json()["errors"][0]["field"] == "agency_ids"
    assert PlanVersion.objects.count() == 1
    parent = world.api("manchester").post(
        f"/children/{world.ada.id}/parents",
        {
            "name": "Pat Example",
            "relationship": "father",
            "contact_preference": "post",
            "restricted": True,
        },
    )
    assert parent.status_code == 422
    assert parent.json()["errors"][0]["field"] == "restriction_reason"
    parent = world.api("manchester").post(
        f"/children/{world.ada.id}/parents",
        {
            "name": "Pat Example",
            "relationship": "father",
            "contact_preference": "post",
            "restricted": True,
            "restriction_reason": "Court order",
        },
    )
    assert parent.status_code == 201 and Parent.objects.get().restricted
    listed = world.api("manchester").get(f"/children/{world.ada.id}/parents")
    assert [p["name"] for p in listed.json()] == ["Pat Example"]


@pytest.mark.parametrize("who", ["leeds", "kent", "gmp"])
def test_anyone_else_gets_404(world, who):
    for path in ("statements", "plan", "parents"):
        assert world.api(who).get(f"/children/{world.ada.id}/{path}").status_code == 404
    assert (
        world.api(who).post(f"/children/{world.ada.id}/statements", _statement(world)).status_code
        == 404
    )
    # The home may add the child's words, not the plan or the parents.
    assert (
        world.api("brightwater")
        .post(f"/children/{world.ada.id}/plan", {"summary": "x", "child_took_part": False})
        .status_code
        == 404
    )
