"""Return home interviews on the web: offered, accepted, held (the child's own words first)
or declined (carers can still add what they know), and a list with what is due and overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from sightline.language.selectors import language_flags_for_record
from sightline.missing.models import InterviewInformation, InterviewStatus, ReturnInterview
from sightline.missing.services import episode_close
from tests.missing_web.conftest import World, report, signed_in, squash

pytestmark = pytest.mark.django_db

COMPLETE_FORM = {
    "completed_date_0": "3",
    "completed_date_1": "2",
    "completed_date_2": "2026",
    "completed_time": "11am",
    "interviewer_name": "Jo Advocate, Safe Steps",
    "independent": "yes",
    "child_words": "I went to see my friend because the home was too loud.",
    "push_factors": "Noise and arguments at the home",
    "pull_factors": "A friend in Manchester",
    "harm": "None disclosed",
    "where_and_with_whom": "A flat in Manchester with a friend",
    "disclosures": "",
    "follow_up_actions": "Social worker to visit on Friday",
    "person_1_description": "Sam, a friend",
    "person_1_relationship": "Friend from school",
    "person_1_age": "15",
    "place_1_description": "A flat near the station",
    "place_1_postcode": "M1 1AE",
}


@pytest.fixture
def interview(world: World, at_monday) -> ReturnInterview:
    episode = report(world)
    episode_close(
        actor=world.home_staff,
        episode=episode,
        returned_at=at_monday_now(),
        where_postcode="SK4 2AB",
        found_by="self",
    )
    at_monday.shift(dt.timedelta(days=1))
    return ReturnInterview.objects.get()


def at_monday_now() -> dt.datetime:
    from sightline.core.timeutil import now

    return now()


def url(interview: ReturnInterview, name: str = "interview_detail") -> str:
    return reverse(name, args=[interview.id])


def test_offer_accept_and_hold_the_interview(world: World, interview: ReturnInterview, at_monday):
    client = signed_in(world.social_worker)  # the placing council holds it by default
    html = squash(client.get(url(interview)).content.decode())
    assert "To be offered" in html
    assert "Southwark Council (placing council)" in html
    assert "5 February 2026 at 10am" in html  # due 72 hours after the return

    assert client.post(url(interview, "interview_offer")).status_code == 302
    assert client.post(url(interview, "interview_accept")).status_code == 302
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.ACCEPTED

    at_monday.shift(dt.timedelta(hours=2))  # Tuesday, midday
    response = client.post(url(interview, "interview_complete"), COMPLETE_FORM)
    assert response.status_code == 302, squash(response.content.decode())[:100]
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.COMPLETED
    assert interview.independent is True
    assert interview.interviewer_name == "Jo Advocate, Safe Steps"
    (person,) = interview.people.all()
    assert (person.description, person.relationship, person.approximate_age) == (
        "Sam, a friend",
        "Friend from school",
        "15",
    )
    (place,) = interview.places.all()
    assert place.postcode == "M1 1AE" and place.council.name == "Manchester"

    html = squash(client.get(url(interview)).content.decode())
    words = html.index("I went to see my friend because the home was too loud.")
    assert words < html.index("Status") < html.index("Push factors")
    assert "In Robin's own words" in html
    for text in (
        "Completed",
        "Noise and arguments at the home",
        "Friend from school",
        "Manchester",
    ):
        assert text in html, text
    # Once held, it cannot be held again.
    assert "Record the interview" not in html


def test_not_independent_needs_a_reason(world: World, interview: ReturnInterview):
    response = signed_in(world.social_worker).post(
        url(interview, "interview_complete"), {**COMPLETE_FORM, "independent": "no"}
    )
    html = squash(response.content.decode())
    assert "Enter why the interviewer was not independent" in html
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.TO_OFFER


def test_a_refusal_is_recorded_and_carers_can_still_add_information(
    world: World, interview: ReturnInterview
):
    client = signed_in(world.social_worker)
    response = client.post(
        url(interview, "interview_decline"), {"reason": "Said she did not want to talk"}
    )
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.DECLINED
    assert interview.declined_reason == "Said she did not want to talk"

    carer = signed_in(world.home_staff)
    page = squash(carer.get(url(interview)).content.decode())
    assert "Declined" in page and "Said she did not want to talk" in page
    assert "Record the interview" not in page  # the home does not hold it
    response = carer.post(
        url(interview, "interview_information"),
        {"text": "She told staff she had been at a friend's flat", "supplied_by": "Night staff"},
    )
    assert response.status_code == 302
    info = InterviewInformation.objects.get()
    assert (info.supplied_by, info.recorded_by) == ("Night staff", world.home_staff)
    page = squash(carer.get(url(interview)).content.decode())
    assert "She told staff she had been at a friend&#x27;s flat" in page
    assert "Supplied by Night staff." in page


def test_information_is_language_checked_and_flags_recorded(
    world: World, interview: ReturnInterview
):
    import re

    from sightline.language.forms import LANGUAGE_CONFIRM_FIELD, LANGUAGE_SEEN_FIELD

    carer = signed_in(world.home_staff)
    data = {"text": "She is a runaway.", "supplied_by": "Night staff"}
    first = squash(carer.post(url(interview, "interview_information"), data).content.decode())
    assert "consider “child who goes missing”" in first
    assert not InterviewInformation.objects.exists()
    seen = re.search(rf'name="{LANGUAGE_SEEN_FIELD}" value="([0-9a-f]+)"', first).group(1)
    carer.post(
        url(interview, "interview_information"),
        {**data, LANGUAGE_CONFIRM_FIELD: "on", LANGUAGE_SEEN_FIELD: seen},
    )
    info = InterviewInformation.objects.get()
    (flag,) = language_flags_for_record(
        record_kind="missing.interview_information", record_id=info.id
    )
    assert flag.phrase_id == "runaway"


def test_who_may_hold_it(world: World, interview: ReturnInterview):
    # The host council sees the child but does not hold Southwark's interview; police and
    # other homes do not record interviews.
    for user in (world.coordinator, world.officer, world.home_staff, world.other_home_staff):
        client = signed_in(user)
        assert client.post(url(interview, "interview_offer")).status_code == 404
        assert client.get(url(interview, "interview_complete")).status_code == 404
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.TO_OFFER
    assert signed_in(world.other_council_worker).get(url(interview)).status_code == 404


def test_emergency_access_opens_the_record_not_the_interview(
    world: World, interview: ReturnInterview
):
    """What the child told the interviewer is not part of what break-glass opens."""
    from sightline.access.breakglass import break_glass_open

    outsider = world.other_council_worker
    break_glass_open(
        user=outsider,
        child_id=world.child.id,
        justification="Our out-of-hours team has this child at our office at midnight and needs "
        "to know who is responsible for her.",
    )
    client = signed_in(outsider)
    assert client.get(reverse("child_detail", args=[world.child.id])).status_code == 200
    assert client.get(url(interview)).status_code == 404


def test_the_list_shows_what_is_due_and_what_is_overdue(
    world: World, interview: ReturnInterview, at_monday
):
    client = signed_in(world.social_worker)
    html = squash(client.get(reverse("interview_list")).content.decode())
    assert "Return home interviews" in html
    assert "Robin Quillfeather" in html and "To be offered" in html
    assert "Overdue" not in html

    at_monday.shift(dt.timedelta(days=3))
    client = signed_in(world.social_worker)  # sessions last 12 hours
    html = squash(client.get(reverse("interview_list")).content.decode())
    assert "1 interview overdue." in html
    assert "govuk-tag--red" in html and "Overdue" in html
    # Another council's service holds none of them.
    other = squash(
        signed_in(world.other_council_worker).get(reverse("interview_list")).content.decode()
    )
    assert "You have no interviews to hold." in other
    assert "Robin" not in other
