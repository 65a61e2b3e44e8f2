"""Record a placement: child, setting and placement in one go, or nothing at all."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from django.urls import reverse

from sightline.access.models import AccessRecord
from sightline.children.models import Child
from sightline.organisations.models import Role
from sightline.placements.models import Placement, Setting
from tests import factories
from tests.web.conftest import GMP, World, signed_in

URL = "/placements/new/"


def new_child_new_setting(**overrides: str) -> dict[str, str]:
    data = {
        "child_choice": "new",
        "child_ref": "MAN777",
        "first_name": "Dara",
        "last_name": "Moss",
        "date_of_birth_0": "14",
        "date_of_birth_1": "2",
        "date_of_birth_2": "2011",
        "sex": "M",
        "setting_choice": "new",
        "setting_name": "Willow Lodge",
        "setting_postcode": "sk4 2ab",
        "setting_urn": "SC999001",
        "setting_sector": "private",
        "setting_registered_places": "4",
        "setting_provider": "",
        "start_date_0": "6",
        "start_date_1": "1",
        "start_date_2": "2025",
        "place_type": "K2",
        "place_provider": "PR4",
        "home_postcode": "M1 1AE",
        "is_emergency": "no",
    }
    data.update(overrides)
    return data


def record_through_the_check(client: Any, data: dict[str, str]) -> Any:
    """The first page, then the matching check with nothing to weigh: go ahead (ADR 51)."""
    first = client.post(URL, data)
    assert first.status_code == 302 and first.url == reverse("placement_check"), first
    check = client.get(first.url).content.decode()
    assert "Matching check" in check
    return client.post(reverse("placement_check"), {"proceed": "yes", "reasons": ""})


def error_summary(html: str) -> list[tuple[str, str]]:
    """(href, text) of each link in the GOV.UK error summary."""
    start = html.index('class="govuk-error-summary')
    block = html[start : html.index("</ul>", start)]
    return [
        (href, htmllib.unescape(" ".join(text.split())))
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', block, re.S)
    ]


def counts() -> tuple[int, int, int]:
    return Child.objects.count(), Setting.objects.count(), Placement.objects.count()


def test_url_and_name():
    assert reverse("placement_new") == URL


@pytest.mark.django_db
def test_social_worker_sees_the_form(world: World):
    response = signed_in(world.user(factories.council_org("352"))).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Record a placement – Sightline</title>" in html
    for text in (
        "Which child are you placing?",
        "Ada Ashworth (CHILD id MAN001)",
        "Larch House, SK4 2AB",
        "Children&#x27;s home (K2)",
        "Private provision",
        "Is this an emergency placement?",
    ):
        assert text in html, text
    # Only the council's own children are offered.
    assert "Cat Canterbury" not in html and "Ben Bramhall" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make_org", "role"),
    [
        (lambda: factories.council_org("352"), Role.MISSING_COORDINATOR),
        (lambda: factories.council_org("352"), Role.ANALYST),
        (lambda: factories.police_org(GMP), Role.POLICE_MISSING_OFFICER),
        (lambda: factories.provider_org("Brightwater Care Ltd"), Role.HOME_MANAGER),
    ],
)
def test_other_roles_may_not_record_placements(world, make_org, role):
    client = signed_in(world.user(make_org(), role))
    assert client.get(URL).status_code == 403
    before = counts()
    response = client.post(URL, new_child_new_setting())
    assert response.status_code == 403
    assert "You cannot use this page" in response.content.decode()
    assert counts() == before


@pytest.mark.django_db
def test_new_child_in_a_new_setting(world: World):
    user = world.user(factories.council_org("352"), Role.TEAM_MANAGER)
    client = signed_in(user)
    response = record_through_the_check(client, new_child_new_setting())
    child = Child.objects.get(child_ref="MAN777")
    assert response.status_code == 302
    assert response.url == reverse("child_detail", args=[child.id])
    placement = child.placements.get()
    assert placement.setting.name == "Willow Lodge"
    assert placement.setting.postcode == "SK4 2AB"
    assert placement.setting.urn == "SC999001"
    assert (placement.host_council.name, placement.host_police_force.name) == (
        "Stockport",
        "Greater Manchester",
    )
    assert placement.out_of_area and placement.recorded_by == user
    assert not placement.is_emergency and placement.place_provider == "PR4"
    assert child.placing_council.name == "Manchester"

    page = client.get(response.url).content.decode()
    banner = page[page.index("govuk-notification-banner--success") :]
    banner = " ".join(banner[: banner.index("</div>\n</div>")].split())
    assert "Placement recorded</h3>" in banner
    assert "Host council: Stockport." in banner
    assert "Police force: Greater Manchester." in banner
    assert f"Distance from home: {placement.distance_miles:.1f} miles." in banner
    # The banner is shown once.
    assert "Placement recorded" not in client.get(response.url).content.decode()


@pytest.mark.django_db
def test_existing_child_moves_to_an_existing_setting(world: World):
    user = world.user(factories.council_org("352"), Role.NOMINATED_OFFICER)
    birch = factories.setting(world.brightwater, "SK4 2AB", name="Birch House")
    before = Setting.objects.count()
    response = record_through_the_check(
        signed_in(user),
        new_child_new_setting(
            child_choice="existing",
            child=str(world.ada.id),
            setting_choice="existing",
            setting=str(birch.id),
            start_date_0="3",
            start_date_1="3",
            is_emergency="yes",
        ),
    )
    assert response.status_code == 302
    assert Setting.objects.count() == before
    assert not Child.objects.filter(child_ref="MAN777").exists()
    latest, earlier = world.ada.placements.order_by("-start_date")
    assert latest.setting == birch and latest.is_emergency and latest.end_date is None
    assert str(earlier.end_date) == "2025-03-03"
    # Two looks at Ada on the record: the matching check shown, then the recording.
    looks = AccessRecord.objects.filter(user=user).order_by("purpose")
    assert [(r.child, r.action, r.purpose) for r in looks] == [
        (world.ada, "record placement", "Matching check of a proposed placement"),
        (world.ada, "record placement", "Record a placement"),
    ]


@pytest.mark.django_db
def test_answers_under_the_option_not_chosen_are_ignored(world: World):
    client = signed_in(world.user(factories.council_org("352")))
    larch = Setting.objects.get(name="Larch House")
    response = record_through_the_check(
        client,
        new_child_new_setting(
            child_choice="existing",
            child=str(world.ada.id),
            date_of_birth_1="",
            child_ref="x" * 20,
            setting_choice="existing",
            setting=str(larch.id),
            setting_registered_places="many",
            setting_postcode="XX1 1XX",
            start_date_0="3",
            start_date_1="3",
        ),
    )
    assert response.status_code == 302
    assert world.ada.placements.count() == 2
    assert not Child.objects.filter(first_name="Dara").exists()


@pytest.mark.django_db
def test_existing_child_preselected_from_the_child_page(world: World):
    client = signed_in(world.user(factories.council_org("352")))
    html = client.get(f"{URL}?child={world.ada.id}").content.decode()
    assert re.search(rf'<option value="{world.ada.id}" selected>', html)


@pytest.mark.django_db
def test_unknown_setting_postcode_is_shown_against_the_field_and_nothing_is_written(
    world: World,
):
    client = signed_in(world.user(factories.council_org("352")))
    before, records = counts(), AccessRecord.objects.count()
    response = client.post(URL, new_child_new_setting(setting_postcode="XX1 1XX"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Record a placement – Sightline</title>" in html
    [(href, text)] = error_summary(html)
    assert href == "#id_setting_postcode"
    assert text.startswith('We cannot find the postcode "XX1 1XX"')
    # The message is also shown at the field, and everything typed is still there.
    assert 'class="govuk-error-message"' in html
    for value in (
        'value="MAN777"',
        'value="Dara"',
        'value="Moss"',
        'value="14"',
        'value="2011"',
        'value="Willow Lodge"',
        'value="XX1 1XX"',
        'value="SC999001"',
        'value="M1 1AE"',
    ):
        assert value in html, value
    assert counts() == before
    assert AccessRecord.objects.count() == records


@pytest.mark.django_db
def test_unknown_home_postcode_undoes_the_new_child_and_setting(world: World):
    client = signed_in(world.user(factories.council_org("352")))
    before = counts()
    response = client.post(URL, new_child_new_setting(home_postcode="ZZ9 9ZZ"))
    assert response.status_code == 200
    [(href, text)] = error_summary(response.content.decode())
    assert href == "#id_home_postcode"
    assert "ZZ9 9ZZ" in text
    assert counts() == before


@pytest.mark.django_db
def test_setting_outside_england_and_wales(world: World):
    client = signed_in(world.user(factories.council_org("352")))
    response = client.post(URL, new_child_new_setting(setting_postcode="EH1 1YZ"))
    [(href, text)] = error_summary(response.content.decode())
    assert href == "#id_setting_postcode"
    assert "outside England and Wales" in text


@pytest.mark.django_db
def test_duplicate_child_id_is_reported_against_the_field(world: World):
    client = signed_in(world.user(factories.council_org("352")))
    before = counts()
    response = client.post(URL, new_child_new_setting(child_ref="man001"))
    [(href, text)] = error_summary(response.content.decode())
    assert href == "#id_child_ref"
    assert text == "Manchester already has a child with the CHILD id MAN001."
    assert counts() == before


@pytest.mark.django_db
def test_empty_form_lists_every_missing_answer_in_page_order(world: World):
    client = signed_in(world.user(factories.council_org("352")))
    response = client.post(URL, {})
    assert response.status_code == 200
    assert error_summary(response.content.decode()) == [
        ("#id_child_choice_0", "Select which child you are placing"),
        ("#id_setting_choice_0", "Select where the child is living"),
        ("#id_start_date_0", "Enter the start date"),
        ("#id_place_type", "Select the placement type"),
        ("#id_place_provider_1", "Select who provides the placement"),
        ("#id_is_emergency_1", "Select yes if this is an emergency placement"),
    ]


@pytest.mark.django_db
def test_new_child_and_setting_need_their_details(world: World):
    client = signed_in(world.user(factories.council_org("352")))
    data = new_child_new_setting(
        child_ref="",
        first_name="",
        last_name="",
        date_of_birth_0="31",
        date_of_birth_1="2",
        date_of_birth_2="2011",
        sex="",
        setting_name="",
        setting_postcode="",
        setting_sector="",
        start_date_2="",
    )
    response = client.post(URL, data)
    assert error_summary(response.content.decode()) == [
        ("#id_child_ref", "Enter the child's 903 CHILD id"),
        ("#id_first_name", "Enter the child's first name"),
        ("#id_last_name", "Enter the child's last name"),
        ("#id_date_of_birth_0", "The child's date of birth must be a real date"),
        ("#id_sex_1", "Select the child's sex"),
        ("#id_setting_name", "Enter the name of the setting"),
        ("#id_setting_postcode", "Enter the postcode of the setting"),
        ("#id_setting_sector_1", "Select the sector"),
        ("#id_start_date_2", "The start date must include a year"),
    ]


@pytest.mark.django_db
def test_another_councils_child_cannot_be_chosen(world: World):
    client = signed_in(world.user(factories.council_org("352")))
    before, records = counts(), AccessRecord.objects.count()
    response = client.post(
        URL, new_child_new_setting(child_choice="existing", child=str(world.cat.id))
    )
    [(href, text)] = error_summary(response.content.decode())
    assert (href, text) == ("#id_child", "Select a child from the list")
    assert counts() == before
    assert AccessRecord.objects.count() == records


@pytest.mark.django_db
def test_existing_urn_points_to_the_list(world: World):
    client = signed_in(world.user(factories.council_org("352")))
    urn = Setting.objects.get(name="Larch House").urn
    response = client.post(URL, new_child_new_setting(setting_urn=urn.lower()))
    [(href, text)] = error_summary(response.content.decode())
    assert href == "#id_setting_urn"
    assert text.startswith(f"A setting with the Ofsted URN {urn} is already on Sightline.")
