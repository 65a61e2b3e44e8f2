"""An account's role must be one its kind of organisation holds: the access policy pairs roles
with an organisation's involvement, so a mismatched role would mean something no one chose."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from sightline.organisations.models import ROLES_BY_KIND, OrganisationKind, Role, User
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_every_role_its_kind_holds_is_accepted():
    orgs = {
        OrganisationKind.COUNCIL: f.council_org("356"),
        OrganisationKind.POLICE: f.police_org("E23000005"),
        OrganisationKind.PROVIDER: f.provider_org(),
    }
    for kind, org in orgs.items():
        for role in ROLES_BY_KIND[kind]:
            User(username=f"u-{kind}-{role}", organisation=org, role=role).full_clean(
                exclude=["password"]
            )


@pytest.mark.parametrize(
    ("org", "role", "message"),
    [
        (
            "provider",
            Role.POLICE_MISSING_OFFICER,
            "Police missing-person officer is not a role in a children's home provider",
        ),
        ("police", Role.HOME_MANAGER, "Home manager is not a role in a police force"),
        ("council", Role.HOME_STAFF, "Home staff is not a role in a council children's services"),
    ],
)
def test_a_role_another_kind_of_organisation_holds_is_refused(org, role, message):
    organisation = {
        "provider": f.provider_org,
        "police": lambda: f.police_org("E23000005"),
        "council": lambda: f.council_org("356"),
    }[org]()
    with pytest.raises(ValidationError) as caught:
        User(username="mismatch", organisation=organisation, role=role).full_clean(
            exclude=["password"]
        )
    assert message in caught.value.message_dict["role"][0]


def test_a_role_without_an_organisation_is_refused():
    with pytest.raises(ValidationError) as caught:
        User(username="nobody", role=Role.SOCIAL_WORKER).full_clean(exclude=["password"])
    assert "organisation" in caught.value.message_dict


def test_the_admin_form_shows_the_mismatch_on_the_role_field():
    police = f.police_org("E23000005")
    officer = f.user(police, Role.POLICE_MISSING_OFFICER)
    model_admin = admin.site._registry[User]
    request = RequestFactory().get("/")
    request.user = User(is_superuser=True, is_staff=True)
    form_class = model_admin.get_form(request, officer)
    data = {
        "username": officer.username,
        "first_name": officer.first_name,
        "last_name": officer.last_name,
        "email": officer.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "organisation": str(police.pk),
        "role": Role.HOME_MANAGER,
    }
    form = form_class(data, instance=officer)
    assert not form.is_valid()
    assert "Home manager is not a role in a police force" in form.errors["role"][0]
