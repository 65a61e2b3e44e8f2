"""Report missing or away: one form, alerts to three agencies at once, errors shown the GOV.UK
way, and only for those the policy allows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sightline.access.models import AccessGrant, AccessRecord, GrantReason
from sightline.missing.models import Episode, EpisodeKind
from sightline.missing.notices import AlertKind
from sightline.notifications.models import Notice
from sightline.notifications.selectors import notices_received
from tests.missing.conftest import run_worker
from tests.missing_web.conftest import (
    World,
    post_report,
    report,
    report_url,
    signed_in,
    squash,
)
from tests.notifications.conftest import SmtpServer

pytestmark = pytest.mark.django_db


def test_the_form_offers_the_statutory_kinds_and_the_grades_in_force(world: World, at_monday):
    response = signed_in(world.home_staff).get(report_url(world))
    assert response.status_code == 200
    html = squash(response.content.decode())
    assert "<title>Report missing or away – Sightline</title>" in html
    for text in (
        "Is the child missing or away?",
        "nobody knows where they are",
        "Away from placement without authorisation",
        "you know or believe you know where they are",
        "Date last seen",
        "Time last seen",
        "Have you reported this to the police?",
        "Very low risk",  # the 2021 list is in force
        "version 2021",
        "Not graded yet",
    ):
        assert text in html, text
    assert "No apparent risk" not in html  # the 2016 list is not
    # Reading the form is a look at the child, recorded with its purpose.
    assert AccessRecord.objects.filter(
        user=world.home_staff, child=world.child, purpose="Report the child missing or away"
    ).exists()


def test_reporting_alerts_the_three_agencies_and_opens_the_episode(world: World, at_monday):
    client = signed_in(world.home_staff)
    response = post_report(client, world)

    episode = Episode.objects.get(child=world.child)
    assert response.status_code == 302
    assert response["Location"] == reverse("episode_detail", args=[episode.id])
    assert episode.kind == EpisodeKind.MISSING
    assert episode.missing_code == "M"
    assert episode.last_seen_at.isoformat() == "2026-02-02T09:00:00+00:00"
    assert episode.police_reference == "GMP-0202-1234"
    assert (episode.risk_grade.code, episode.risk_grade_list_version) == ("medium", "2021")
    assert episode.risk_grade_supplied_by == "PC 1234, Greater Manchester Police"

    for org in (world.placing, world.host, world.police):
        (notice,) = notices_received(organisation=org).filter(kind=AlertKind.MISSING)
        assert notice.missing_episode_link.episode == episode
    assert AccessGrant.objects.filter(
        organisation=world.police, child=world.child, reason=GrantReason.MISSING_EPISODE
    ).exists()

    page = squash(client.get(response["Location"]).content.decode())
    assert "Robin Quillfeather reported missing" in page
    assert (
        "Alerts sent to: Southwark Council (placing council), Stockport Council (host council), "
        "Greater Manchester Police (police)."
    ) in page


def test_the_alert_e_mails_link_to_the_address_served(
    world: World, smtp_server: SmtpServer, settings, at_monday
):
    """Links follow SIGHTLINE_BASE_URL, which settings derive from the port served
    (tests/core/test_settings.py): here a demo on port 8123."""
    settings.SIGHTLINE_BASE_URL = "http://127.0.0.1:8123"
    post_report(signed_in(world.home_staff), world)
    run_worker()
    alerts = [r for r in smtp_server.received if r.message["Subject"].startswith("Missing")]
    assert len(alerts) == 3
    for message in alerts:
        notice = Notice.objects.get(kind=AlertKind.MISSING, recipient__email=message.rcpt_tos[0])
        body = message.message.get_content()
        assert f"http://127.0.0.1:8123/notices/{notice.id}/" in body
        assert ":8000" not in body


def test_an_away_report_does_not_alert_the_police_by_default(world: World, at_monday):
    post_report(
        signed_in(world.home_staff),
        world,
        kind="away",
        reported_to_police="no",
        police_reference="",
        risk_grade="not_graded",
        risk_grade_supplied_by="",
    )
    episode = Episode.objects.get(child=world.child)
    assert (episode.kind, episode.missing_code, episode.risk_grade) == ("away", "A", None)
    recipients = set(Notice.objects.filter(kind=AlertKind.AWAY).values_list("recipient", flat=True))
    assert recipients == {world.placing.id, world.host.id}


def test_an_empty_form_lists_every_problem(world: World, at_monday):
    response = signed_in(world.home_staff).post(report_url(world), {})
    html = squash(response.content.decode())
    assert response.status_code == 200
    assert "<title>Error: Report missing or away – Sightline</title>" in html
    assert "There is a problem" in html
    for message, anchor in (
        ("Select whether the child is missing or away", "#id_kind_1"),
        ("Enter the date last seen", "#id_last_seen_date_0"),
        ("Enter the time last seen", "#id_last_seen_time"),
        ("Enter where the child was last seen", "#id_last_seen_place"),
        ("Select yes if you have reported this to the police", "#id_reported_to_police_0"),
        ("Select the police risk grade, or not graded yet", "#id_risk_grade_1"),
    ):
        assert f'<a href="{anchor}">{message}</a>' in html, message
    assert "This field is required" not in html
    assert not Episode.objects.exists()


def test_a_grade_needs_who_gave_it_and_times_must_be_real(world: World, at_monday):
    response = post_report(
        signed_in(world.home_staff), world, risk_grade_supplied_by="", last_seen_time="25:00"
    )
    html = squash(response.content.decode())
    assert "Enter who gave the risk grade" in html
    assert "The time last seen must be a real time, like 9:30pm or 21:30" in html
    assert not Episode.objects.exists()


def test_a_grade_without_who_gave_it_is_refused_on_its_own(world: World, at_monday):
    # The service refuses it too (tests/missing, tests/api): the form only says it sooner,
    # with the form's other problems.
    response = post_report(signed_in(world.home_staff), world, risk_grade_supplied_by="  ")
    html = squash(response.content.decode())
    assert response.status_code == 200
    assert '<a href="#id_risk_grade_supplied_by">Enter who gave the risk grade</a>' in html
    assert not Episode.objects.exists()


def test_a_time_in_the_future_is_refused_by_the_service_and_shown_on_the_date(
    world: World, at_monday
):
    response = post_report(signed_in(world.home_staff), world, last_seen_time="11pm")
    html = squash(response.content.decode())
    assert '<a href="#id_last_seen_date_0">The time last seen must be in the past.</a>' in html
    assert not Episode.objects.exists()


def test_social_workers_and_police_may_record_too(world: World, at_monday):
    post_report(signed_in(world.officer), world)
    episode = Episode.objects.get()
    assert episode.reported_by == world.officer


@pytest.mark.parametrize(
    "who", ["other_home_staff", "other_officer", "other_council_worker", "placing_admin"]
)
def test_those_not_involved_get_page_not_found(world: World, at_monday, who: str):
    client = signed_in(getattr(world, who))
    assert client.get(report_url(world)).status_code == 404
    assert post_report(client, world).status_code == 404
    assert not Episode.objects.exists()


def test_the_host_council_social_worker_may_not_report_but_its_coordinator_may(
    world: World, at_monday
):
    from sightline.organisations.models import Role
    from tests import factories

    host_worker = factories.user(world.host, Role.SOCIAL_WORKER)
    assert signed_in(host_worker).get(report_url(world)).status_code == 404
    assert signed_in(world.coordinator).get(report_url(world)).status_code == 200


def test_a_child_already_missing_goes_to_the_open_episode(world: World, at_monday):
    episode = report(world)
    response = signed_in(world.home_staff).get(report_url(world), follow=True)
    assert response.redirect_chain == [(reverse("episode_detail", args=[episode.id]), 302)]
    assert "already recorded as missing or away" in response.content.decode()
    assert Episode.objects.count() == 1


def test_a_far_date_is_a_message_not_a_crash(world: World, at_monday):
    response = post_report(signed_in(world.home_staff), world, last_seen_date_2="9999")
    assert response.status_code == 200
    assert '<a href="#id_last_seen_date_0">Enter a real date and time.</a>' in squash(
        response.content.decode()
    )
    assert not Episode.objects.exists()


def test_the_banner_naming_the_child_stays_on_the_server(world: World, at_monday):
    """ "Robin Quillfeather reported missing" is kept in the session, not in a cookie the
    browser (or anything between) can read."""
    client = signed_in(world.home_staff)
    response = post_report(client, world)
    assert response.status_code == 302
    assert "messages" not in response.cookies
    page = client.get(response["Location"])
    assert "Robin Quillfeather reported missing" in squash(page.content.decode())
    for morsel in client.cookies.values():
        assert "Robin" not in morsel.value and "Quillfeather" not in morsel.value


# The form's POST, through the same service as the API (issue 13): the session and user, the
# access check once, the form's risk-grade list, then the report's own statements
# (tests/api/test_missing_statements.py). 73 before issue 13's cuts; 48 since issue 14 (the
# recipients' subscriptions and urgent targets).
FORM_REPORT_STATEMENTS = 48


def test_the_forms_report_takes_a_fixed_number_of_statements(world: World, at_monday):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(world.home_staff)
    client.get(report_url(world))  # warms what a first request loads
    with CaptureQueriesContext(connection) as captured:
        response = post_report(client, world)
    assert response.status_code == 302
    assert len(captured) <= FORM_REPORT_STATEMENTS
