"""Missing-from-care settings: a council's triggers and interviewing service, a police
force's away alerts; only those who may change them can open the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sightline.missing.models import AlertPolicy, InterviewServiceConfig, TriggerConfig
from sightline.missing.notices import police_receive_away_alerts
from sightline.organisations.models import Role
from tests import factories
from tests.missing_web.conftest import World, signed_in, squash

pytestmark = pytest.mark.django_db

URL = "/missing/settings/"

COUNCIL_FORM = {
    "episodes": "2",
    "days": "14",
    "include_away": "yes",
    "high_risk_task": "no",
    "exploitation_prompt": "yes",
    "task_due_working_days": "3",
    "service": "",
    "use_host_service_out_of_area": "yes",
}


def test_the_url_is_named():
    assert reverse("missing_settings") == URL


def test_a_team_manager_sees_the_defaults_and_changes_the_triggers(world: World):
    client = signed_in(world.team_manager)
    html = squash(client.get(URL).content.decode())
    assert "Missing from care settings" in html
    assert 'name="episodes" value="3"' in html
    assert 'name="days" value="30"' in html
    response = client.post(URL, COUNCIL_FORM)
    assert response.status_code == 302
    config = TriggerConfig.objects.get(council=world.placing.council)
    assert (config.episodes, config.days, config.include_away) == (2, 14, True)
    assert (config.high_risk_task, config.exploitation_prompt) == (False, True)
    assert config.task_due_working_days == 3
    assert config.updated_by == world.team_manager
    interviews = InterviewServiceConfig.objects.get(council=world.placing.council)
    assert interviews.service is None and interviews.use_host_service_out_of_area is True
    # The page now shows what was saved.
    assert 'name="episodes" value="2"' in squash(client.get(URL).content.decode())


def test_the_council_chooses_an_interviewing_service(world: World):
    service = factories.provider_org("Independent Return Interviews")
    response = signed_in(world.placing_admin).post(
        URL, {**COUNCIL_FORM, "service": str(service.pk)}
    )
    assert response.status_code == 302
    assert InterviewServiceConfig.objects.get(council=world.placing.council).service == service


def test_bad_numbers_are_refused_with_a_message_naming_the_field_and_nothing_is_saved(
    world: World,
):
    client = signed_in(world.team_manager)
    response = client.post(URL, {**COUNCIL_FORM, "episodes": "0", "days": "many"})
    assert response.status_code == 200
    html = squash(response.content.decode())
    assert "There is a problem" in html
    assert "Enter episodes from 1 to 100" in html
    assert "Enter days as a whole number, like 3" in html
    assert 'href="#id_episodes"' in html
    assert not TriggerConfig.objects.exists()
    assert not InterviewServiceConfig.objects.exists()


def test_a_police_administrator_chooses_away_alerts(world: World):
    admin = factories.user(world.police, Role.ADMINISTRATOR)
    client = signed_in(admin)
    html = squash(client.get(URL).content.decode())
    assert "Do you want alerts when a child is away from their placement?" in html
    assert client.post(URL, {"receives_away_alerts": "yes"}).status_code == 302
    assert police_receive_away_alerts(organisation=world.police) is True
    assert AlertPolicy.objects.get(organisation=world.police).updated_by == admin
    response = client.post(URL, {})
    assert "Select whether you want alerts for children who are away" in squash(
        response.content.decode()
    )


@pytest.mark.parametrize(
    "who", ["social_worker", "coordinator", "officer", "home_manager", "home_staff"]
)
def test_others_cannot_open_or_change_the_settings(world: World, who: str):
    client = signed_in(getattr(world, who))
    assert client.get(URL).status_code == 404
    assert client.post(URL, COUNCIL_FORM).status_code == 404
    assert client.post(URL, {"receives_away_alerts": "yes"}).status_code == 404
    assert not TriggerConfig.objects.exists()
    assert not AlertPolicy.objects.exists()


def test_missing_now_links_to_the_settings_for_those_who_may_change_them(world: World):
    assert URL in signed_in(world.team_manager).get(reverse("missing_now")).content.decode()
    assert URL not in signed_in(world.social_worker).get(reverse("missing_now")).content.decode()
