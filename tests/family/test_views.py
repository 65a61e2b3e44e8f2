"""The staff pages through the front door: forms call the same services (the language check
with its confirmation, errors against the field), and the policy decides who gets a page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.family.models import ChildStatement, Parent, PlanVersion
from tests import factories

pytestmark = pytest.mark.django_db

FLAGGED = "She is putting herself at risk by going out."
WORDS = "I want to see my nan more. Nobody listens."


def _statement(**extra):
    return {
        "words": WORDS,
        "topic": "wishes",
        "occasion": "review",
        "said_date_0": "2",
        "said_date_1": "3",
        "said_date_2": "2026",
        "said_time": "4pm",
        "said_to": "Independent reviewing officer",
        **extra,
    }


def test_the_childs_words_open_the_family_page_and_the_note_is_language_checked(family_world):
    w = family_world
    client = factories.signed_in(w.home_staff)
    url = reverse("family_statement_new", args=[w.child.id])
    warned = client.post(url, _statement(context=FLAGGED))
    assert warned.status_code == 400 and "consider" in warned.content.decode()
    assert not ChildStatement.objects.exists()
    seen = warned.context["form"].data["language_seen"]
    saved = client.post(
        url, _statement(context=FLAGGED, language_confirmed="on", language_seen=seen)
    )
    assert saved.status_code == 302
    statement = ChildStatement.objects.get()
    assert statement.words == WORDS and statement.said_to == "Independent reviewing officer"
    page = client.get(reverse("family_overview", args=[w.child.id])).content.decode()
    assert page.index("I want to see my nan more.") < page.index("Their plan")
    # The child's own words are never checked: a flagged phrase in them saves at once.
    assert client.post(url, _statement(words=FLAGGED)).status_code == 302


def test_a_missing_answer_is_an_error_against_its_field(family_world):
    client = factories.signed_in(family_world.social_worker)
    response = client.post(
        reverse("family_plan_new", args=[family_world.child.id]),
        {"summary": "A plan", "child_took_part": "yes"},
    )
    assert response.status_code == 400
    assert "Enter what the child said about the plan" in response.content.decode()
    assert not PlanVersion.objects.exists()


def test_a_plan_version_and_a_parent_are_saved_through_the_forms(family_world):
    w = family_world
    client = factories.signed_in(w.social_worker)
    response = client.post(
        reverse("family_plan_new", args=[w.child.id]),
        {
            "summary": "Weekly football",
            "child_took_part": "yes",
            "child_views": "I chose it",
            "agencies": [str(w.home_staff.organisation_id)],
        },
    )
    assert response.status_code == 302
    assert list(PlanVersion.objects.get().agencies.all()) == [w.home_staff.organisation]
    response = client.post(
        reverse("family_parent_new", args=[w.child.id]),
        {
            "name": "Jordan Example",
            "relationship": "father",
            "parental_responsibility": "no",
            "contact_preference": "phone",
            "phone": "",
            "restricted": "no",
        },
    )
    assert response.status_code == 400
    assert "Enter the phone number" in response.content.decode()
    response = client.post(
        reverse("family_parent_new", args=[w.child.id]),
        {
            "name": "Jordan Example",
            "relationship": "father",
            "parental_responsibility": "no",
            "contact_preference": "phone",
            "phone": "07700 900000",
            "restricted": "yes",
            "restriction_reason": "Court order",
        },
    )
    parent = Parent.objects.get()
    assert response.status_code == 302 and parent.restricted
    detail = client.get(reverse("family_parent", args=[parent.id])).content.decode()
    assert "never contacted" in detail and "Invite them" not in detail
    assert AuditEvent.objects.filter(verb=AuditVerb.PARENT_RECORDED).count() == 1


def test_outsiders_get_page_not_found(family_world):
    w = family_world
    parent = w.parent()
    for user in (w.police, w.other_council):
        client = factories.signed_in(user)
        assert client.get(reverse("family_overview", args=[w.child.id])).status_code == 404
        assert client.get(reverse("family_parent", args=[parent.id])).status_code == 404
    home = factories.signed_in(w.home_staff)
    assert home.get(reverse("family_overview", args=[w.child.id])).status_code == 200
    assert home.get(reverse("family_parent_invite", args=[parent.id])).status_code == 404


def test_the_record_opens_with_the_childs_words_and_refreshes_when_they_change(family_world):
    """The voice is a cached section of the record (ADR 24): a new statement is in the
    record's version, so it shows on the next request within the same minute."""
    import datetime as dt

    import time_machine

    from sightline.family.services import child_statement_record

    w = family_world
    client = factories.signed_in(w.social_worker)
    url = reverse("child_detail", args=[w.child.id])
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, 5, tzinfo=dt.UTC), tick=False):
        first = client.get(url).content.decode()
        assert "In their own words" in first and "Nothing the child has said" in first
        assert "1</strong> social worker" not in first
        child_statement_record(
            actor=w.social_worker,
            child=w.child,
            topic="worries",
            occasion="visit",
            words="I miss my dog.",
            said_at=dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC),
            said_to="Allocated social worker",
        )
        second = client.get(url).content.decode()
    assert "I miss my dog." in second
    assert second.index("I miss my dog.") < second.index("Contacts")
    home = factories.signed_in(w.home_staff).get(url).content.decode()
    assert "I miss my dog." in home  # the home hears the child too
