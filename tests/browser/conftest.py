"""Headless Chromium for the browser tests, with axe-core run on every page visited.

The browser is Debian's Chromium (apt package ``chromium``): Playwright only drives it,
so nothing is downloaded at test time. Where it is missing the tests are skipped with the
reason shown, except in CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sightline.evidence.pdf import CHROMIUM_ARGS as PDF_CHROMIUM_ARGS

CHROMIUM = Path(os.environ.get("SIGHTLINE_CHROMIUM", "/usr/bin/chromium"))
# The same switches as the report's PDF printing (headless, no network, no sandbox).
CHROMIUM_ARGS = list(PDF_CHROMIUM_ARGS)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = (
        f"{CHROMIUM} is not installed: the browser tests drive Debian's Chromium "
        "(apt-get install chromium)."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, and Django refuses
    # ORM calls from a thread with a running loop unless told it is safe. It is safe here
    # (one test thread); the loop and the permission last only as long as this module.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def assert_accessible(page) -> None:
    """Run axe-core on the page as it is now; fail with a readable list of violations."""
    from axe_playwright_python.base import AxeResults
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "resultTypes": ["violations"],
        },
    )
    if results.response["violations"]:
        report = AxeResults(results.response).generate_report()
        pytest.fail(
            f"Accessibility violations on {page.url} ({page.title()}):\n{report}",
            pytrace=False,
        )


# --- Signing in: password, then the second factor ------------------------------------------


def sign_in(page, base: str, username: str) -> None:
    """Sign in through the real pages, ending on the home page: the username and password,
    then setting up the authenticator app (first sign-in) or entering its code."""
    from playwright.sync_api import expect

    from tests import factories

    page.goto(f"{base}/")
    expect(page).to_have_title("Sign in – Sightline")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    second_factor(page, username)
    expect(page).to_have_title("Children – Sightline")


def second_factor(page, username: str, *, check=None) -> None:
    """The step after the password. On the set-up page, read the secret key as a person
    would and compute the app's code from it; on the code page, compute it from the key the
    app was given. ``check`` (e.g. ``assert_accessible``) runs on each page on the way."""
    import re

    from playwright.sync_api import expect

    from sightline.organisations.models import User
    from tests import factories

    page.wait_for_url(re.compile(r"/sign-in/(set-up-authenticator|code)/"))
    if "/set-up-authenticator/" in page.url:
        expect(page).to_have_title("Set up your authenticator app – Sightline")
        if check:
            check(page)
        secret = page.locator("#secret-key").inner_text()
        page.get_by_label("Enter the 6-digit code from your authenticator app").fill(
            code_for_secret(secret)
        )
        page.get_by_role("button", name="Confirm").click()
        expect(page).to_have_title("Save your recovery codes – Sightline")
        if check:
            check(page)
        page.get_by_role("button", name="Continue").click()
        return
    expect(page).to_have_title("Enter the code from your authenticator app – Sightline")
    if check:
        check(page)
    device = factories.authenticator(User.objects.get(username=username))
    page.get_by_label("Code from your authenticator app").fill(factories.totp_code(device))
    page.get_by_role("button", name="Continue").click()


def code_for_secret(secret: str) -> str:
    """What an authenticator app shows now for a secret key typed from the set-up page."""
    from base64 import b32decode

    from django_otp.oath import TOTP

    secret = secret.replace(" ", "").strip()
    totp = TOTP(b32decode(secret + "=" * (-len(secret) % 8)), step=30, t0=0, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


def sign_out(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_title("Sign in – Sightline")
