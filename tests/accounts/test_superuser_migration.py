"""Migration ``organisations 0002``: superusers who belong to an organisation lose the flag
(and the admin's staff flag) and stay their organisation's administrators; a superuser of no
organisation, a platform operator, keeps it. Then the constraint holds."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from sightline.organisations.models import Role, User

BEFORE = [("organisations", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_superusers_of_an_organisation_become_its_administrators():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Organisation = old.get_model("organisations", "Organisation")
        OldUser = old.get_model("organisations", "User")
        org = Organisation.objects.create(kind="provider", name="Brightwater Care Ltd")
        OldUser.objects.create(
            username="admin.brightwater",
            organisation=org,
            role=Role.ADMINISTRATOR,
            is_superuser=True,
            is_staff=True,
        )
        OldUser.objects.create(username="operator", is_superuser=True, is_staff=True)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    admin = User.objects.get(username="admin.brightwater")
    assert (admin.role, admin.is_superuser, admin.is_staff) == (Role.ADMINISTRATOR, False, False)
    operator = User.objects.get(username="operator")
    assert (operator.is_superuser, operator.is_staff) == (True, True)
    admin.is_superuser = True
    with pytest.raises(IntegrityError), transaction.atomic():
        admin.save()
