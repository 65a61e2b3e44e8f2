"""The home records an admission (its notice to the host council); the placing council ends a
placement (discharge notices). Both only for the organisation whose action it is."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from sightline.access.models import AccessRecord
from sightline.notifications.models import Notice
from sightline.organisations.models import Role
from sightline.placements.notices import PlacementNoticeKind
from tests import factories
from tests.notices_web.conftest import World, signed_in, user

pytestmark = pytest.mark.django_db

STARTED = dt.datetime(2026, 1, 12, 15, 0, tzinfo=dt.UTC)


def admission_url(world: World) -> str:
    return reverse("placement_admission", args=[world.placement.id])


def end_url(world: World) -> str:
    return reverse("placement_end", args=[world.placement.id])


def test_home_records_the_admission_once(world: World, frozen):
    frozen.move_to(STARTED)
    manager = user(world.brightwater, Role.HOME_MANAGER)
    client = signed_in(manager)
    child_page = client.get(reverse("child_detail", args=[world.robin.id])).content.decode()
    assert f'href="{admission_url(world)}"' in child_page
    assert "End placement" not in child_page

    page = client.get(admission_url(world))
    assert page.status_code == 200
    assert "<title>Record admission – Sightline</title>" in page.content.decode()
    response = client.post(admission_url(world), follow=True)
    assert response.redirect_chain[-1][0] == reverse("child_detail", args=[world.robin.id])
    assert "We have sent an admission notice to Stockport Council." in response.content.decode()
    notice = Notice.objects.get(subject_id=world.placement.id, kind=PlacementNoticeKind.ADMISSION)
    assert (notice.recipient, notice.sender, notice.created_by) == (
        world.stockport,
        world.brightwater,
        manager,
    )
    assert notice.created_at == STARTED
    assert AccessRecord.objects.filter(user=manager, purpose="Record an admission").exists()
    # Recording it again sends nothing more; the page says it is done.
    client.post(admission_url(world))
    assert (
        Notice.objects.filter(
            subject_id=world.placement.id, kind=PlacementNoticeKind.ADMISSION
        ).count()
        == 1
    )
    assert (
        "You recorded this admission on 12 January 2026"
        in client.get(admission_url(world)).content.decode()
    )
    assert (
        f'href="{admission_url(world)}"'
        not in client.get(reverse("child_detail", args=[world.robin.id])).content.decode()
    )


@pytest.mark.parametrize(
    ("make_org", "role"),
    [
        (lambda w: w.southwark, Role.SOCIAL_WORKER),
        (lambda w: w.stockport, Role.MISSING_COORDINATOR),
        (lambda w: factories.provider_org("Seaview Homes Ltd"), Role.HOME_MANAGER),
    ],
)
def test_only_the_home_records_the_admission(world: World, frozen, make_org, role):
    frozen.move_to(STARTED)
    client = signed_in(user(make_org(world), role))
    assert client.get(admission_url(world)).status_code == 404
    assert client.post(admission_url(world)).status_code == 404
    assert not Notice.objects.filter(kind=PlacementNoticeKind.ADMISSION).exists()


def test_no_admission_before_the_placement_starts(world: World):
    client = signed_in(user(world.brightwater, Role.HOME_STAFF))
    assert client.post(admission_url(world)).status_code == 404
    assert not Notice.objects.filter(kind=PlacementNoticeKind.ADMISSION).exists()


def test_placing_council_ends_the_placement_and_discharge_notices_go(world: World, frozen):
    frozen.move_to(dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC))
    client = signed_in(user(world.southwark, Role.SOCIAL_WORKER))
    child_page = client.get(reverse("child_detail", args=[world.robin.id])).content.decode()
    assert f'href="{end_url(world)}"' in child_page
    page = client.get(end_url(world)).content.decode()
    assert "<title>End placement – Sightline</title>" in page
    assert '<h1 class="govuk-fieldset__heading">' in page

    # The future is refused, with the GOV.UK error summary.
    error = client.post(
        end_url(world), {"end_date_0": "3", "end_date_1": "2", "end_date_2": "2026"}
    )
    html = error.content.decode()
    assert "<title>Error: End placement – Sightline</title>" in html
    assert "The end date must be today or in the past" in html
    # Before the start is the service's rule, shown against the field.
    early = client.post(
        end_url(world), {"end_date_0": "1", "end_date_1": "1", "end_date_2": "2026"}
    )
    assert "The end date must be the same as or after the start date." in early.content.decode()

    response = client.post(
        end_url(world), {"end_date_0": "1", "end_date_1": "2", "end_date_2": "2026"}, follow=True
    )
    assert "Placement ended" in response.content.decode()
    world.placement.refresh_from_db()
    assert world.placement.end_date == dt.date(2026, 2, 1)
    discharges = Notice.objects.filter(
        subject_id=world.placement.id, kind=PlacementNoticeKind.DISCHARGE
    )
    assert {n.recipient for n in discharges} == {world.stockport, world.police}
    # An ended placement cannot be ended again.
    assert client.get(end_url(world)).status_code == 404


@pytest.mark.parametrize(
    ("make_org", "role"),
    [
        (lambda w: w.stockport, Role.MISSING_COORDINATOR),
        (lambda w: w.brightwater, Role.HOME_MANAGER),
        (lambda w: w.southwark, Role.ANALYST),
        (lambda w: factories.council_org("383"), Role.SOCIAL_WORKER),
    ],
)
def test_only_the_placing_council_ends_a_placement(world: World, frozen, make_org, role):
    frozen.move_to(dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC))
    client = signed_in(user(make_org(world), role))
    assert client.get(end_url(world)).status_code == 404
    data = {"end_date_0": "1", "end_date_1": "2", "end_date_2": "2026"}
    assert client.post(end_url(world), data).status_code == 404
    world.placement.refresh_from_db()
    assert world.placement.end_date is None
