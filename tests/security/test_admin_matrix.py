"""Administration in the authorisation matrix, generated from the access policy.

For every kind of organisation × role it may hold × involvement with the matrix child
(``SUBJECTS``), through Sightline's own pages:

* their own organisation's people, a colleague's page and their organisation's audit open
  exactly when ``ORGANISATION_POLICY`` lets the role manage people or view the organisation's
  audit (``Action.MANAGE_PEOPLE``, ``Action.VIEW_ORGANISATION_AUDIT``); otherwise "Page not
  found";
* their own organisation's contacts (the numbers children's records show, issue 14) open
  exactly when it lets the role keep them (``Action.MANAGE_CONTACTS``);
* another organisation's people, person, audit and contacts are "Page not found" to everyone;
* nobody changes their own role, nor another organisation's person's: the posted change is
  refused and the role stays as it was.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from sightline.access.policy import Action, may
from sightline.organisations.models import Organisation, OrganisationKind, Role, User
from tests import factories
from tests.security.world import SUBJECTS, Subject, World

pytestmark = pytest.mark.django_db


def _other(world: World, subject: Subject) -> Organisation:
    """An organisation that is not the subject's own."""
    own = world.org(subject)
    if own.pk != world.placing.pk:
        return world.placing
    return world.orgs[(OrganisationKind.POLICE, None)]


def _a_person_of(org: Organisation) -> User:
    role = Role.ANALYST  # every kind of organisation holds analysts
    return factories.user(org, role)


def _status(client: Any, name: str, *args: Any) -> int:
    return client.get(reverse(name, args=args)).status_code


def test_each_subject_administers_exactly_what_the_policy_declares(matrix_world: World) -> None:
    w = matrix_world
    wrong = []
    people_seen = 0
    contacts_seen = 0
    for subject in SUBJECTS:
        user = w.users[subject]
        own, other = w.org(subject), _other(w, subject)
        colleague, stranger = _a_person_of(own), _a_person_of(other)
        client = factories.signed_in(user)
        manage = 200 if may(user, Action.MANAGE_PEOPLE) else 404
        audit = 200 if may(user, Action.VIEW_ORGANISATION_AUDIT) else 404
        contacts = 200 if may(user, Action.MANAGE_CONTACTS) else 404
        people_seen += manage == 200
        contacts_seen += contacts == 200
        found = {
            "own people": (_status(client, "people_list", own.pk), manage),
            "a colleague": (_status(client, "person_detail", colleague.pk), manage),
            "own audit": (_status(client, "organisation_audit", own.pk), audit),
            "other people": (_status(client, "people_list", other.pk), 404),
            "other person": (_status(client, "person_detail", stranger.pk), 404),
            "other audit": (_status(client, "organisation_audit", other.pk), 404),
            "own contacts": (_status(client, "organisation_contacts", own.pk), contacts),
            "other contacts": (_status(client, "organisation_contacts", other.pk), 404),
        }
        for what, (got, expected) in found.items():
            if got != expected:
                wrong.append(f"{subject.id}: {what} answered {got}, the policy says {expected}")
        # Nobody lifts themself, nor reaches into another organisation.
        for person, role in ((user, Role.ADMINISTRATOR), (stranger, Role.ADMINISTRATOR)):
            before = User.objects.get(pk=person.pk).role
            client.post(reverse("person_role", args=[person.pk]), {"role": role})
            after = User.objects.get(pk=person.pk).role
            if after != before:
                wrong.append(f"{subject.id}: changed the role of {person.get_username()}")
    assert people_seen, "no subject in the matrix manages people: the matrix is empty"
    assert contacts_seen > people_seen, "no manager in the matrix keeps contacts"
    assert not wrong, "\n".join(wrong)
