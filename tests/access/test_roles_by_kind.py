"""An account's role must be one its kind of organisation holds: the access policy pairs roles
with an organisation's involvement, so a mismatched role would mean something no one chose."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

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


def test_the_people_page_shows_the_mismatch_on_the_role_field():
    """A role the organisation's kind does not hold is refused by the service behind the
    page, on the role field, naming the roles it holds (the Django admin no longer edits
    people)."""
    police = f.police_org("E23000005")
    officer = f.user(police, Role.POLICE_MISSING_OFFICER)
    admin = f.user(police, Role.ADMINISTRATOR)
    page = f.signed_in(admin).post(
        reverse("person_role", args=[officer.pk]), {"role": Role.HOME_MANAGER}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Home manager is not a role in a police force" in html
    assert 'href="#id_role' in html  # the error summary links to the role field
    officer.refresh_from_db()
    assert officer.role == Role.POLICE_MISSING_OFFICER
