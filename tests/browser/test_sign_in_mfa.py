"""Signing in with a second factor in a real browser: a first sign-in sets up the
authenticator app (reading the key from the page, as a person would type it) and sees the
recovery codes; until then no child is visible. Every page is checked with axe-core, and
the browser reports no Content Security Policy violation."""

from __future__ import annotations

import pytest

from sightline.geography.services import reference_data_load
from sightline.organisations.models import Role
from tests import factories
from tests.browser.conftest import assert_accessible, second_factor, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ada(transactional_db):
    reference_data_load()
    factories.user(factories.council_org("356"), Role.SOCIAL_WORKER, username="sam")
    child = factories.child("356")
    factories.placement(child, factories.setting(factories.provider_org(), "SK4 2AB"))
    return child


def _watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return violations


def test_without_mfa_no_child_is_visible_then_enrolment_shows_it(live_server, page, ada):
    from playwright.sync_api import expect

    violations = _watch_csp(page)
    base = live_server.url
    child_page = f"{base}/children/{ada.id}/"
    page.goto(child_page)
    expect(page).to_have_title("Sign in – Sightline")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Signed in with a password only: the child's page waits for the second factor.
    expect(page).to_have_title("Set up your authenticator app – Sightline")
    assert ada.last_name not in page.content()
    expect(page.get_by_role("link", name="Children")).to_have_count(0)
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    page.goto(f"{base}/")
    expect(page).to_have_title("Set up your authenticator app – Sightline")

    # A wrong code first: the GOV.UK error summary, linked to the field.
    page.get_by_label("Enter the 6-digit code from your authenticator app").fill("12345")
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_title("Error: Set up your authenticator app – Sightline")
    expect(page.get_by_role("alert")).to_contain_text("The code must be 6 digits")
    assert_accessible(page)

    page.goto(child_page)
    second_factor(page, "sam", check=assert_accessible)
    # Continue from the recovery codes goes to the page first asked for.
    expect(page).to_have_title(f"{ada.first_name} {ada.last_name} – Sightline")
    assert_accessible(page)
    assert violations == []


def test_second_sign_in_asks_for_the_code(live_server, page, ada):
    from playwright.sync_api import expect

    violations = _watch_csp(page)
    sign_in(page, live_server.url, "sam")  # sets up the app
    sign_out(page)
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title("Enter the code from your authenticator app – Sightline")
    expect(page.get_by_role("link", name="Use a recovery code instead")).to_be_visible()
    second_factor(page, "sam", check=assert_accessible)
    expect(page).to_have_title("Children – Sightline")
    expect(page.get_by_role("link", name=f"{ada.first_name} {ada.last_name}")).to_be_visible()
    assert violations == []
