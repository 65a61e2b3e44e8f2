"""Every operation needs a valid API key in ``Authorization: Bearer``; anything else is 401."""

from __future__ import annotations

import pytest

from sightline.api.models import ApiKey
from sightline.api.services import api_key_revoke
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

UNAUTHORISED = {
    "errors": [
        {
            "field": "Authorization",
            "record": None,
            "message": "Send a valid API key in the Authorization header: "
            "'Authorization: Bearer <key>'.",
        }
    ]
}


def _bad_keys(world):
    good = world.keys["manchester"]
    prefix = good.split("_")[1]
    return {
        "no header": None,
        "empty key": "",
        "wrong secret": f"sl_{prefix}_{'x' * 43}",
        "unknown prefix": "sl_00000000_" + good.split("_", 2)[2],
        "not a key": "hello",
        "truncated": good[:-1],
    }


@pytest.mark.parametrize("path", ["/children", "/notices"])
def test_reads_without_a_valid_key_are_401(world, path):
    for name, key in _bad_keys(world).items():
        response = ApiClient(key).get(path)
        assert response.status_code == 401, name
        assert response.json() == UNAUTHORISED, name
        assert response["WWW-Authenticate"].startswith("Bearer"), name


def test_writes_without_a_valid_key_are_401_and_write_nothing(world):
    for name, key in _bad_keys(world).items():
        response = ApiClient(key).post("/placements", {"start_date": "2025-01-01"})
        assert response.status_code == 401, name
        assert response.json() == UNAUTHORISED


def test_a_key_sent_with_another_scheme_is_401(world):
    response = ApiClient(None).get("/children", Authorization=f"Token {world.keys['manchester']}")
    assert response.status_code == 401


def test_a_revoked_key_is_401_at_once(world):
    api = world.api("manchester")
    assert api.get("/children").status_code == 200
    prefix = world.keys["manchester"].split("_")[1]

    api_key_revoke(prefix=prefix, actor=None)

    assert api.get("/children").status_code == 401
    key = ApiKey.objects.get(prefix=prefix)
    assert key.is_revoked and not key.user.is_active


def test_using_a_key_records_when_it_was_last_used(world):
    prefix = world.keys["kent"].split("_")[1]
    assert ApiKey.objects.get(prefix=prefix).last_used_at is None
    world.api("kent").get("/children")
    assert ApiKey.objects.get(prefix=prefix).last_used_at is not None


def test_the_schema_is_public(world):
    response = ApiClient(None).get("/openapi.json")
    assert response.status_code == 200


def test_a_key_whose_service_user_changed_role_is_401(world):
    """An administrator could change a key's service user on the people page (it is not their
    own account): the key then no longer acts at all, in neither role (security review)."""
    api = world.api("manchester")
    assert api.get("/children").status_code == 200
    key = ApiKey.objects.get(prefix=world.keys["manchester"].split("_")[1])
    key.user.role = "administrator" if key.role != "administrator" else "social_worker"
    key.user.save(update_fields=["role"])

    assert api.get("/children").status_code == 401
