"""`sightline api-key create|list|revoke`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sightline.api.models import ApiKey
from sightline.api.services import api_key_authenticate
from tests import factories

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("api-key", *args, stdout=out)
    return out.getvalue()


def test_create_prints_the_key_once_and_stores_only_a_hash():
    stockport = factories.council_org("356")

    out = run("create", "--organisation", "356", "--name", "Case system")

    key_line = out.strip().splitlines()[-1]
    assert key_line.startswith("sl_")
    key = ApiKey.objects.get()
    assert (key.organisation, key.name, key.role) == (stockport, "Case system", "social_worker")
    assert "only time the key is shown" in out
    secret = key_line.split("_", 2)[2]
    assert secret not in key.secret_hash
    assert api_key_authenticate(token=key_line) == key.user
    # Never shown again.
    listing = run("list")
    assert key.prefix in listing and secret not in listing and "Case system" in listing


def test_create_with_a_role_for_a_police_force_by_code():
    factories.police_org("E23000005")
    run("create", "--organisation", "E23000005", "--role", "police_missing_officer")
    assert ApiKey.objects.get().role == "police_missing_officer"


def test_create_for_a_provider_named_by_its_slug():
    provider = factories.provider_org(name="Brightwater Care Ltd")
    run("create", "--organisation", "brightwater-care-ltd")
    key = ApiKey.objects.get()
    assert (key.organisation, key.role) == (provider, "home_manager")


def test_an_unknown_organisation_or_a_wrong_role_is_a_command_error():
    factories.police_org("E23000005")
    with pytest.raises(CommandError, match="No organisation"):
        run("create", "--organisation", "Atlantis")
    with pytest.raises(CommandError, match="role"):
        run("create", "--organisation", "E23000005", "--role", "social_worker")
    assert not ApiKey.objects.exists()


def test_revoke():
    factories.council_org("356")
    run("create", "--organisation", "356")
    key = ApiKey.objects.get()

    out = run("revoke", key.prefix)

    assert "Revoked" in out
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "revoked" in run("list")
    with pytest.raises(CommandError):
        run("revoke", "ffffffff")
