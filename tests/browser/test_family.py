"""The child's voice and the parent's view in a real browser, checked with axe on every page:
a social worker records what the child said (the record opens with it), writes the plan with
the child, adds a parent and invites them; the parent opens the e-mailed link, gets a code by
e-mail, and sees the plan and the council's contacts."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sightline.geography.services import reference_data_load
from sightline.organisations.models import Role
from sightline.placements.models import Contact, ContactRole
from tests import factories
from tests.browser.conftest import assert_accessible, sign_in
from tests.notifications.conftest import SmtpServer, smtp_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = "I want to stay at this school and see my nan on Sundays."
PLAN = "Stay at the home; see nan every Sunday; football on Saturdays."


@pytest.fixture
def family_scene(transactional_db):
    reference_data_load()
    southwark = factories.council_org("210")
    provider = factories.provider_org("Brightwater Care Ltd")
    child = factories.child("210")
    setting = factories.setting(provider, postcode="SK4 2AB", name="Larch House")
    placement = factories.placement(child, setting, start=dt.date(2025, 1, 6))
    social_worker = factories.user(southwark, Role.SOCIAL_WORKER)
    factories.authenticator(social_worker)
    Contact.objects.create(
        organisation=southwark,
        placement=placement,
        role=ContactRole.SOCIAL_WORKER,
        name="Casey Allocated",
        phone="020 7946 0001",
        last_confirmed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )
    return child, social_worker


def test_the_childs_words_first_and_a_parent_sees_only_the_plan_and_contacts(
    live_server,
    browser,
    family_scene,
    smtp_server: SmtpServer,  # noqa: F811
):
    from playwright.sync_api import expect

    child, social_worker = family_scene
    base = live_server.url
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = staff.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, social_worker.get_username())

    page.goto(f"{base}/children/{child.id}/family/")
    assert_accessible(page)
    page.get_by_role("button", name="Record what the child said").click()
    assert_accessible(page)
    page.get_by_label("What the child said, in their own words").fill(WORDS)
    page.get_by_label("Wishes").check()
    page.get_by_label("Visit").check()
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Time").fill("4pm")
    page.get_by_label("Who did they say it to?").fill("Allocated social worker")
    page.get_by_role("button", name="Save the child's words").click()
    expect(page.get_by_text(WORDS)).to_be_visible()

    page.goto(f"{base}/children/{child.id}/")
    expect(page.get_by_role("heading", name="In their own words")).to_be_visible()
    expect(page.get_by_text(WORDS)).to_be_visible()
    assert_accessible(page)

    page.goto(f"{base}/children/{child.id}/family/plan/new/")
    assert_accessible(page)
    page.get_by_label("The plan", exact=True).fill(PLAN)
    page.get_by_role("group", name="Did the child take part in writing it?").get_by_label(
        "Yes"
    ).check()
    page.get_by_label("What the child said about the plan, in their words").fill("Football!")
    page.get_by_role("button", name="Save a new version of the plan").click()
    expect(page.get_by_text(PLAN)).to_be_visible()

    page.goto(f"{base}/children/{child.id}/family/parents/new/")
    assert_accessible(page)
    page.get_by_label("Full name").fill("Jordan Example")
    page.get_by_label("Mother").check()
    page.get_by_role("group", name="Do they have parental responsibility?").get_by_label(
        "Yes"
    ).check()
    page.get_by_label("E-mail", exact=True).check()
    page.get_by_label("E-mail address (optional)").fill("parent.one@example.org")
    page.get_by_role("group", name="Are they a risk to the child?").get_by_label("No").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Jordan Example")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Invite them").click()
    assert_accessible(page)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("button", name="End the invitation now")).to_be_visible()

    invitation = smtp_server.received[-1].message.get_content()
    link = re.search(r"https?://\S+(/parent/\S+/)", invitation)
    assert link
    parent = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    view = parent.new_page()
    view.set_default_timeout(15_000)
    view.goto(base + link.group(1))
    assert_accessible(view)
    view.get_by_role("button", name="Send a code").click()
    expect(view.get_by_label("Code from the e-mail")).to_be_visible()
    assert_accessible(view)
    code = re.search(r"Your code is (\d{6})", smtp_server.received[-1].message.get_content())
    assert code
    view.get_by_label("Code from the e-mail").fill(code.group(1))
    view.get_by_role("button", name="Continue").click()
    expect(view.get_by_text(PLAN)).to_be_visible()
    assert WORDS not in view.content() and "Larch House" not in view.content()
    assert_accessible(view)
    view.get_by_role("link", name="Contacts").click()
    expect(view.get_by_text("Casey Allocated")).to_be_visible()
    assert_accessible(view)
    parent.close()
    staff.close()
