"""Relationships change at once: when a placement ends, the previous home, host council and
host police lose access on their next request; what they recorded stays, attributed."""

import datetime as dt

import pytest
from django.urls import reverse

from sightline.access.models import AccessRecord
from sightline.missing.models import Episode
from sightline.missing.services import episode_close, episode_report
from sightline.organisations.models import Role
from sightline.placements.services import placement_end
from tests import factories as f
from tests.factories import signed_in

pytestmark = pytest.mark.django_db

GMP = "E23000005"


def test_the_previous_agencies_lose_access_on_their_next_request():
    provider = f.provider_org()
    child = f.child(placing_code="210")
    placing = f.user(f.council_org("210"), Role.SOCIAL_WORKER)
    placement = f.placement(
        child, f.setting(provider), start=dt.date(2025, 3, 3), home_postcode="SE1 2QH"
    )
    others = {
        "home": f.user(provider, Role.HOME_MANAGER),
        "host": f.user(f.council_org("356"), Role.MISSING_COORDINATOR),
        "police": f.user(f.police_org(GMP), Role.POLICE_MISSING_OFFICER),
    }
    clients = {who: signed_in(user) for who, user in others.items()}
    page = reverse("child_detail", args=[child.id])
    for who, client in clients.items():
        assert client.get(page).status_code == 200, who
    # The home records an episode while it is involved.
    # Long enough ago that the police grant (72 hours after the return) has ended.
    seen = dt.datetime.now(dt.UTC) - dt.timedelta(days=5)
    episode = episode_report(
        actor=others["home"],
        child=child,
        kind="missing",
        last_seen_at=seen,
        last_seen_place="The park",
        reported_to_police=True,
    )
    episode_close(
        actor=others["home"],
        episode=episode,
        returned_at=seen + dt.timedelta(hours=5),
        place="The home",
        found_by="self",
    )

    placement_end(actor=placing, placement=placement, end_date=dt.date.today())

    for who, client in clients.items():
        assert client.get(page).status_code == 404, who
        home_page = client.get("/").content.decode()
        assert str(child.id) not in home_page, who
    # What they recorded stays on the record, attributed to them.
    episode = Episode.objects.get(pk=episode.pk)
    assert episode.reported_by == others["home"]
    assert episode.reported_by_organisation == others["home"].organisation
    assert episode.closed_by == others["home"]
    assert AccessRecord.objects.filter(user=others["police"], child=child).count() == 1
    # The placing council keeps its access and sees the episode the home recorded.
    placing_page = signed_in(placing).get(page)
    assert placing_page.status_code == 200
    assert reverse("episode_detail", args=[episode.id]) in placing_page.content.decode()
