"""API keys: created with a service user, stored as a keyed hash, authenticated, revoked."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from sightline.api.models import ApiKey
from sightline.api.selectors import organisation_find
from sightline.api.services import api_key_authenticate, api_key_create, api_key_revoke
from sightline.core.errors import ValidationError
from sightline.organisations.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

GMP = "E23000005"


def test_a_key_is_stored_as_a_salted_hash_and_acts_as_a_service_user():
    org = factories.council_org("356")
    key, text = api_key_create(organisation=org, name="Case system", actor=None)

    scheme, prefix, secret = text.split("_", 2)
    assert (scheme, prefix) == ("sl", key.prefix)
    assert len(secret) >= 43  # 256 random bits
    assert secret not in key.secret_hash and secret not in key.salt
    assert (
        key.secret_hash == hmac.new(key.salt.encode(), secret.encode(), hashlib.sha256).hexdigest()
    )
    user = key.user
    assert user.username == f"api:{prefix}"
    assert (user.organisation, user.role) == (org, Role.SOCIAL_WORKER)
    assert not user.has_usable_password()
    assert api_key_authenticate(token=text) == user


@pytest.mark.parametrize(
    ("org", "role"),
    [
        (lambda: factories.council_org("356"), Role.SOCIAL_WORKER),
        (lambda: factories.police_org(GMP), Role.POLICE_MISSING_OFFICER),
        (lambda: factories.provider_org(), Role.HOME_MANAGER),
    ],
)
def test_each_kind_of_organisation_has_a_default_role(org, role):
    key, _ = api_key_create(organisation=org(), actor=None)
    assert key.role == key.user.role == role


def test_a_role_the_organisation_cannot_hold_is_refused():
    with pytest.raises(ValidationError) as exc:
        api_key_create(organisation=factories.police_org(GMP), role=Role.SOCIAL_WORKER, actor=None)
    assert exc.value.field == "role"
    with pytest.raises(ValidationError):
        api_key_create(
            organisation=factories.council_org("356"), role=Role.HOME_MANAGER, actor=None
        )
    assert not ApiKey.objects.exists()


def test_an_administrator_key_is_given_only_when_asked_for():
    """ADR 38: a partner system that manages webhook subscriptions gets an administrator key,
    never by default; it sees no child."""
    council = factories.council_org("356")
    default, _ = api_key_create(organisation=council, actor=None)
    assert default.role == Role.SOCIAL_WORKER
    admin, _ = api_key_create(organisation=council, role=Role.ADMINISTRATOR, actor=None)
    assert admin.role == admin.user.role == Role.ADMINISTRATOR


def test_revoking_stops_the_key_and_keeps_its_user():
    key, text = api_key_create(organisation=factories.council_org("356"), actor=None)
    api_key_revoke(prefix=key.prefix, actor=None)
    assert api_key_authenticate(token=text) is None
    key.refresh_from_db()
    assert key.revoked_at is not None and not key.user.is_active


def test_organisations_are_found_by_id_code_or_name():
    stockport = factories.council_org("356")
    gmp = factories.police_org(GMP)
    home = factories.provider_org("Brightwater Care Ltd")
    assert organisation_find(ref=str(stockport.id)) == stockport
    assert organisation_find(ref="356") == stockport
    assert organisation_find(ref="e08000007") == stockport
    assert organisation_find(ref=GMP) == gmp
    assert organisation_find(ref="brightwater care ltd") == home
    with pytest.raises(ValidationError):
        organisation_find(ref="Nowhere Borough")
