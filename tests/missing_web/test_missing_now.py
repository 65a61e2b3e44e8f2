"""Missing now, as each agency sees it, and its CSV download without names or dates of
birth."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from sightline.organisations.models import Role
from tests import factories
from tests.missing.conftest import DATE_OF_BIRTH, DOB_FORMS, make_child
from tests.missing_web.conftest import SURNAME, World, report, signed_in, squash

pytestmark = pytest.mark.django_db


def missing_now(user) -> str:
    response = signed_in(user).get(reverse("missing_now"))
    assert response.status_code == 200
    return squash(response.content.decode())


def test_the_placing_council_sees_its_children_wherever_they_are(world: World, at_monday):
    report(world)
    html = missing_now(world.social_worker)
    assert "Our children missing now" in html
    assert "Robin Quillfeather" in html
    assert "1 hour" in html
    assert "Medium risk (2021 list)" in html
    assert "Larch House, Stockport" in html
    # The navigation counts them.
    assert 'Missing now <span class="app-count">1' in html


def test_the_host_council_sees_children_missing_from_homes_in_its_area_by_placing_council(
    world: World, at_monday
):
    report(world)
    # Stockport's own child in the same home, missing too.
    own = make_child("356")
    factories.placement(own, world.setting, start=world.placement.start_date)
    report(world, child=own)
    html = missing_now(world.coordinator)
    assert "Missing from homes in our area now" in html
    assert "Placed by Southwark" in html and "Placed by Stockport" in html
    assert html.index("Placed by Southwark") < html.index("Placed by Stockport")
    # Twice in our area, once as our own child: each in the table and again as a card.
    assert html.count("Robin Quillfeather") == 6


def test_the_police_see_those_missing_in_their_force_area(world: World, at_monday):
    report(world)
    assert "Robin Quillfeather" in missing_now(world.officer)
    other = missing_now(world.other_officer)
    assert "Robin" not in other
    assert "No child you were alerted about is missing or away in your area." in other


def test_the_home_sees_its_own_and_others_see_nothing(world: World, at_monday):
    report(world)
    assert "Missing from our homes now" in missing_now(world.home_staff)
    assert "Robin" in missing_now(world.home_staff)
    for user in (world.other_home_staff, world.other_council_worker):
        assert "Robin" not in missing_now(user)


def test_the_csv_has_ids_areas_and_times_but_no_names_or_dates_of_birth(world: World, at_monday):
    episode = report(world)
    response = signed_in(world.social_worker).get(reverse("missing_now") + "?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="sightline-missing-now-'
    )
    assert response["Cache-Control"] == "private, no-store"
    body = response.content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
        "episode_id",
        "child_ref",
        "placing_council",
        "setting_area",
        "kind",
        "start",
        "end",
        "duration_hours",
    ]
    assert rows[1] == [
        str(episode.id),
        world.child.child_ref,
        "Southwark",
        "Stockport",
        "M",
        "2026-02-02T09:00+00:00",
        "",
        "1.0",
    ]
    for secret in (SURNAME, "Robin", *DOB_FORMS, DATE_OF_BIRTH.isoformat(), "Larch House"):
        assert secret not in body, secret


def test_a_user_without_an_organisation_sees_no_lists(world: World, at_monday):
    from sightline.organisations.models import User

    report(world)
    nobody = User.objects.create_user(username="nobody", password="x", role=Role.ANALYST)
    html = missing_now(nobody)
    assert "Your organisation does not receive missing alerts." in html
    assert "Robin" not in html


def test_lists_show_only_children_the_user_may_see_now(world: World, at_monday):
    """A list says no more than the child's page: roles that may not view a child (analysts,
    administrators) see no names, and when a placement ends the former home and host council
    lose the child from every list on their next request, as they lose the page."""
    import datetime as dt

    from sightline.core.timeutil import today
    from sightline.placements.services import placement_end

    report(world)
    host_analyst = factories.user(world.host, Role.ANALYST)
    for user in (world.placing_admin, host_analyst):
        assert "Robin" not in missing_now(user), user.role
    assert "Robin" in missing_now(world.coordinator)

    placement_end(actor=None, placement=world.placement, end_date=today() - dt.timedelta(days=0))
    for user in (world.home_staff, world.coordinator):
        assert (
            signed_in(user).get(reverse("child_detail", args=[world.child.id])).status_code == 404
        )
        for page in ("missing_now", "episode_list"):
            html = squash(signed_in(user).get(reverse(page)).content.decode())
            assert "Robin" not in html, (user.role, page)
    # The placing council is still involved: it still sees its child.
    assert "Robin" in missing_now(world.social_worker)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ADMINISTRATOR])
def test_a_role_shown_no_children_is_told_so_not_that_none_is_missing(
    world: World, at_monday, role: str
):
    """Stockport's coordinator sees Robin missing; Stockport's analyst and administrator,
    whom the access policy shows no child, must not read "no child is missing"."""
    report(world)
    assert "Robin Quillfeather" in missing_now(world.coordinator)

    html = missing_now(factories.user(world.host, role))
    assert "Robin" not in html
    assert "No child is missing" not in html
    assert "None of the children" not in html
    label = Role(role).label.lower()
    assert (
        f"Your role ({label}) does not show individual children, so this page cannot tell you "
        "whether a child is missing or away. Missing children are shown to these roles in your "
        "organisation: social worker, team manager, nominated officer and missing children "
        "coordinator."
    ) in html


def test_an_organisation_without_missing_alerts_is_told_so(world: World, at_monday):
    from sightline.organisations.models import Organisation, OrganisationKind

    school = Organisation.objects.create(kind=OrganisationKind.SCHOOL, name="Larch Academy")
    html = missing_now(factories.user(school, Role.ANALYST))
    assert "Your organisation does not receive missing alerts." in html
    assert "Your role" not in html


def test_cards_for_phones_in_risk_then_time_order_with_photo_and_age(world: World, at_monday):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sightline.missing.services import safety_profile_update
    from tests.missing_web.conftest import png

    safety_profile_update(
        actor=world.home_staff,
        child=world.child,
        description="Slim",
        photo=SimpleUploadedFile("robin.png", png(), content_type="image/png"),
    )
    report(world, risk_grade="low")
    other = make_child()
    other.first_name = "Ash"
    other.save()
    factories.placement(other, world.setting, start=world.placement.start_date)
    report(world, child=other, risk_grade="high")  # reported at the same time, higher risk
    html = squash(missing_now(world.social_worker))
    cards = html[html.index('class="app-missing-cards"') :]
    assert cards.index("Ash Quillfeather") < cards.index("Robin Quillfeather")
    assert "High risk" in cards and "Age" in cards and "Missing for" in cards
    photo = reverse("safety_profile_photo", args=[world.child.id])
    assert f'src="{photo}?version=1"' in cards
    assert "No photo" in cards  # Ash has no profile
    # The host council does not see profiles: no photo for it.
    assert photo not in missing_now(world.coordinator)
