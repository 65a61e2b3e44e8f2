"""Emergency-access reviews in the authorisation matrix, generated from the access policy.

An officer of a force involved with nobody (Kent Police, the matrix world's uninvolved force)
breaks the glass on the matrix child, placed by Southwark. Then, for every kind of
organisation × role it may hold × involvement with the child (``SUBJECTS``):

* a reviewer is exactly a person of the placing council whose role ``ORGANISATION_POLICY``
  lets review emergency access (``Action.REVIEW_EMERGENCY_ACCESS``): ``may_review`` says so,
  the review page offers them the form and the service takes their review;
* a colleague of the officer (Kent Police) in a role that reviews emergency access reads who
  and when, is offered no form, and the service refuses their review with a message;
* anyone else gets the same "Page not found" as for a use that does not exist, and the
  service the same ``NotFoundOrNotAllowed``.

The page is then posted by one of each, and only the reviewer's review is saved.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from sightline.access.breakglass import break_glass_open, break_glass_review, may_review
from sightline.access.models import AccessGrant, BreakGlassReview, ReviewOutcome
from sightline.access.policy import Action, roles_that_may
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.organisations.models import OrganisationKind, Role
from tests import factories
from tests.security.world import SUBJECTS, Subject, World

pytestmark = pytest.mark.django_db

REASON = "Kent Police were told the child may be with a wanted adult in Canterbury tonight."
NOTE = "Checked the call log with the force control room: the call came in at 21:10."


def _title(response: Any) -> str:
    """The page's title (the rest differs between any two responses: nonces, tokens)."""
    text = response.content.decode()
    return text[text.find("<title>") : text.find("</title>")]


def _use(world: World) -> AccessGrant:
    kent = world.orgs[(OrganisationKind.POLICE, None)]
    officer = factories.user(kent, Role.POLICE_MISSING_OFFICER)
    return break_glass_open(user=officer, child_id=world.child.id, justification=REASON)


def _role_of(subject: Subject, world: World, grant: AccessGrant) -> str:
    """What ``POLICY`` makes this subject of the use: reviewer, colleague or stranger."""
    org = world.org(subject)
    if subject.role not in roles_that_may(Action.REVIEW_EMERGENCY_ACCESS, kind=org.kind):
        return "stranger"
    if org.pk == grant.organisation_id:
        return "colleague"
    return "reviewer" if org.pk == world.placing.pk else "stranger"


def test_the_matrix_has_reviewers_colleagues_and_strangers(matrix_world: World) -> None:
    grant = _use(matrix_world)
    found = {_role_of(s, matrix_world, grant) for s in SUBJECTS}
    assert found == {"reviewer", "colleague", "stranger"}


def test_each_subject_reviews_exactly_what_the_policy_declares(matrix_world: World) -> None:
    w = matrix_world
    grant = _use(w)
    page = reverse("emergency_access_review", args=[grant.id])
    nowhere = reverse("emergency_access_review", args=[uuid.uuid4()])
    wrong = []
    for subject in SUBJECTS:
        user = w.users[subject]
        expected = _role_of(subject, w, grant)
        if may_review(user, grant) != (expected == "reviewer"):
            wrong.append(f"{subject.id}: may_review says {may_review(user, grant)}")
        client = factories.signed_in(user)
        response = client.get(page)
        absent = client.get(nowhere)
        if expected == "stranger":
            if (response.status_code, _title(response)) != (404, _title(absent)):
                wrong.append(f"{subject.id}: a stranger got {response.status_code}")
        else:
            offered = 'name="outcome"' in response.content.decode()
            if response.status_code != 200 or offered != (expected == "reviewer"):
                wrong.append(f"{subject.id}: {expected} got {response.status_code}, {offered=}")
        # The service gives the same answers (rolled back: one review per use).
        try:
            with transaction.atomic():
                break_glass_review(
                    actor=user, grant_id=grant.id, outcome=ReviewOutcome.JUSTIFIED, note=NOTE
                )
                transaction.set_rollback(True)
            outcome = "reviewer"
        except ValidationError:
            outcome = "colleague"
        except NotFoundOrNotAllowed:
            outcome = "stranger"
        if outcome != expected:
            wrong.append(f"{subject.id}: the service treated a {expected} as a {outcome}")
    assert not wrong, "\n".join(wrong)


def test_only_the_reviewers_post_is_saved(matrix_world: World) -> None:
    w = matrix_world
    grant = _use(w)
    page = reverse("emergency_access_review", args=[grant.id])
    by_role: dict[str, Subject] = {}
    for subject in SUBJECTS:
        by_role.setdefault(_role_of(subject, w, grant), subject)
    form = {"outcome": ReviewOutcome.NOT_JUSTIFIED, "note": NOTE}

    stranger = factories.signed_in(w.users[by_role["stranger"]]).post(page, form)
    assert stranger.status_code == 404
    colleague = factories.signed_in(w.users[by_role["colleague"]]).post(page, form)
    assert colleague.status_code == 200
    assert not BreakGlassReview.objects.filter(grant=grant).exists()

    reviewer = w.users[by_role["reviewer"]]
    response = factories.signed_in(reviewer).post(page, form)
    assert response.status_code == 302
    review = BreakGlassReview.objects.get(grant=grant)
    assert (review.reviewed_by, review.outcome) == (reviewer, ReviewOutcome.NOT_JUSTIFIED)
