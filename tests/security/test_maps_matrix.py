"""The maps in the authorisation matrix: every kind of organisation × role × involvement
against the three map pages (issue 14).

A map shows homes and 1 km squares, with the children counted there named in its table, so
each map must name the world's child exactly when the list it is drawn from would, and only
for a role the policy lets see the child:

- "where our children are placed": the placing council (its "Children we placed" list);
- "children's homes in our force area": the force of the home's area;
- "where missing children were found": the organisations that see the child's episodes on
  their missing pages (placing and host council, the alerted force of the area, the home's
  provider). A grant opens the child's record, not these lists.

An organisation without a map (a police force's council map, any map of a role that sees no
child) answers "Page not found", as a record the user may not see does.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from sightline.access.policy import Action, Involvement
from sightline.organisations.models import OrganisationKind
from tests import factories
from tests.security.world import SUBJECTS, SURNAME, Subject, World

pytestmark = pytest.mark.django_db

# Each map: the kind of organisation that has it (None: any that sees children) and the
# involvements whose list the map is drawn from.
MAPS: dict[str, tuple[str | None, set[Involvement]]] = {
    "map_placements": (OrganisationKind.COUNCIL, {Involvement.PLACING_COUNCIL}),
    "map_force": (OrganisationKind.POLICE, {Involvement.HOST_POLICE}),
    "map_found": (
        None,
        {
            Involvement.PLACING_COUNCIL,
            Involvement.HOST_COUNCIL,
            Involvement.HOST_POLICE,
            Involvement.PROVIDER,
        },
    ),
}


def _has_map(subject: Subject, name: str) -> bool:
    """The kind of organisation has the map and the role sees children at all."""
    from sightline.access.policy import POLICY

    kind, _ = MAPS[name]
    return kind in (None, subject.kind) and bool(POLICY[Action.VIEW].get(subject.role))


@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_each_map_names_the_child_exactly_when_its_list_and_the_policy_do(
    matrix_world: World, subject: Subject
) -> None:
    client = factories.signed_in(matrix_world.users[subject])
    wrong = []
    for name, (_, involvements) in MAPS.items():
        with transaction.atomic():
            response = client.get(reverse(name))
            transaction.set_rollback(True)
        expected_status = 200 if _has_map(subject, name) else 404
        named = SURNAME in response.content.decode()
        expected_named = (
            expected_status == 200
            and subject.may(Action.VIEW)
            and subject.involvement in involvements
        )
        if response.status_code != expected_status:
            wrong.append(f"{name}: {response.status_code}, expected {expected_status}")
        elif named != expected_named:
            wrong.append(f"{name}: {'names' if named else 'does not name'} the child")
        if named:
            # Never the child's exact place: the found postcode is not on the page.
            assert "SK4 2AB" not in response.content.decode()
    assert wrong == []


def test_the_world_puts_the_child_on_every_map(matrix_world: World) -> None:
    """Each map names the child for someone, so the matrix above proves something."""
    shown = set()
    for subject in SUBJECTS:
        if subject.involvement is None or not subject.may(Action.VIEW):
            continue
        client = factories.signed_in(matrix_world.users[subject])
        for name in MAPS:
            with transaction.atomic():
                response = client.get(reverse(name))
                transaction.set_rollback(True)
            if response.status_code == 200 and SURNAME in response.content.decode():
                shown.add(name)
        if shown == set(MAPS):
            break
    assert shown == set(MAPS)
