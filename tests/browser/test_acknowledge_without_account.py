"""Issue 15's browser test: a placement into a council with no Sightline account.

Manchester's social worker places a child in a Stockport home. Stockport has nobody on
Sightline; its directory inbox was verified by the confirmation link of a test message. The
worker e-mails the placement notice to that address through a real SMTP server (aiosmtpd);
the signed link in the e-mail, opened in a fresh browser with no session, acknowledges
receipt with a name and a role; Manchester's compliance page shows it acknowledged, by whom
and when. Every page is checked with axe-core.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sightline.geography.services import reference_data_load
from sightline.notifications.directory import address_verification_send, directory_load
from sightline.notifications.models import AddressStatus, DirectoryEntry, InboxAddress, Notice
from sightline.organisations.models import Role
from tests import factories
from tests.browser.conftest import assert_accessible, sign_in
from tests.notifications.conftest import SmtpServer, run_worker, smtp_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INBOX = "placements@stockport.example.org"


def _link(server: SmtpServer, to: str, path: str, base: str) -> str:
    for received in reversed(server.received):
        if received.rcpt_tos == [to]:
            found = re.search(rf"{re.escape(base)}/{path}/\S+/", received.message.get_content())
            if found:
                return found.group(0)
    raise AssertionError(f"No e-mail to {to} with a /{path}/ link")


@pytest.fixture
def people(transactional_db):
    reference_data_load()
    directory_load()
    factories.provider_org("Brightwater Care Ltd")
    entry = DirectoryEntry.objects.get(organisation__council__dfe_code="356")
    entry.placement_inbox = INBOX
    entry.out_of_hours_phone = "0161 000 0000"
    entry.save()
    return {"sam": factories.user(factories.council_org("352"), Role.SOCIAL_WORKER, "sam")}


def test_a_council_without_an_account_acknowledges_by_the_e_mailed_link(
    live_server,
    browser,
    page,
    people,
    smtp_server,  # noqa: F811
    settings,
):
    from playwright.sync_api import expect

    base = live_server.url
    settings.SIGHTLINE_BASE_URL = base
    start = dt.date.today() + dt.timedelta(days=7)

    # 0. Stockport's inbox is verified: a test message, its link opened and confirmed.
    address_verification_send(address=INBOX, actor=None)
    confirm = browser.new_context(locale="en-GB").new_page()
    confirm.goto(_link(smtp_server, INBOX, "directory/confirm", base))
    expect(confirm).to_have_title("Confirm this address – Sightline")
    assert_accessible(confirm)
    confirm.get_by_role("button", name="Confirm this address").click()
    expect(confirm.locator(".govuk-panel")).to_contain_text("Address confirmed")
    assert_accessible(confirm)
    confirm.context.close()
    assert InboxAddress.objects.get(address=INBOX).status == AddressStatus.VERIFIED

    # 1. Manchester's social worker places a child in a Stockport home.
    sign_in(page, base, "sam")
    page.get_by_role("link", name="Record a placement").first.click()
    page.get_by_label("A new child").check()
    page.get_by_label("903 CHILD id").fill("MAN902")
    page.get_by_label("First name").fill("Eli")
    page.get_by_label("Last name").fill("Marsh")
    birth = page.get_by_role("group", name="Date of birth")
    birth.get_by_label("Day").fill("9")
    birth.get_by_label("Month").fill("11")
    birth.get_by_label("Year").fill("2011")
    page.get_by_label("Male", exact=True).check()
    page.get_by_label("A new setting").check()
    page.get_by_label("Name of the setting").fill("Willow Lodge")
    page.get_by_label("Postcode of the setting").fill("SK4 2AB")
    page.get_by_label("Private", exact=True).check()
    page.get_by_label("Provider (optional)").select_option(label="Brightwater Care Ltd")
    group = page.get_by_role("group", name="Start date")
    group.get_by_label("Day").fill(str(start.day))
    group.get_by_label("Month").fill(str(start.month))
    group.get_by_label("Year").fill(str(start.year))
    page.get_by_label("Placement type").select_option("K2")
    page.get_by_label("Private provision").check()
    page.get_by_role("group", name="Is this an emergency placement?").get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()
    # The matching check before the placement is recorded (ADR 51): go ahead.
    expect(page).to_have_title("Check the placement – matching check – Sightline")
    page.get_by_label("Go ahead with the placement").check()
    page.get_by_label("Reasons for the decision").fill("The home meets the care plan.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page).to_have_title("Eli Marsh – Sightline")
    notice = Notice.objects.get(child__child_ref="MAN902", recipient__council__dfe_code="356")

    # 2. The worker e-mails it to Stockport's verified inbox, with a signed link.
    run_worker()
    link = _link(smtp_server, INBOX, "acknowledge", base)

    # 3. Someone at Stockport opens it in a fresh browser: no account, no session.
    fresh = browser.new_context(locale="en-GB")
    outsider = fresh.new_page()
    outsider.goto(link)
    expect(outsider).to_have_title(f"Acknowledge placement notice {notice.reference} – Sightline")
    summary = outsider.locator(".govuk-summary-list")
    expect(summary).to_contain_text("Shown when you sign in")
    expect(summary).to_contain_text("Manchester Council")
    expect(outsider.locator("main")).not_to_contain_text("Marsh")
    assert_accessible(outsider)
    outsider.get_by_role("button", name="Acknowledge receipt").click()
    expect(outsider.locator(".govuk-error-summary")).to_contain_text("Enter your name")
    assert_accessible(outsider)
    outsider.get_by_label("Your name").fill("Jo Bloggs")
    outsider.get_by_label("Your role").fill("Duty social worker")
    outsider.get_by_role("button", name="Acknowledge receipt").click()
    expect(outsider.locator(".govuk-notification-banner--success")).to_contain_text(
        "Notice acknowledged"
    )
    expect(summary).to_contain_text("By Jo Bloggs (Duty social worker)")
    assert_accessible(outsider)
    outsider.screenshot(path="/tmp/sightline-acknowledge-by-link.png", full_page=True)

    # 3b. The child's details need a one-time code sent to the same verified inbox.
    outsider.get_by_role("link", name=re.compile("get a one-time code")).click()
    expect(outsider).to_have_title(f"Child's details for {notice.reference} – Sightline")
    expect(outsider.locator("main")).not_to_contain_text("Marsh")
    assert_accessible(outsider)
    outsider.get_by_role("button", name="Send a code").click()
    code = re.search(r"Your code is (\d{6})", smtp_server.received[-1].message.get_content())
    assert code and smtp_server.received[-1].rcpt_tos == [INBOX]
    assert_accessible(outsider)
    outsider.get_by_label("Code from the e-mail").fill(code.group(1))
    outsider.get_by_role("button", name="Continue").click()
    expect(outsider.locator("main")).to_contain_text("Eli Marsh")
    expect(outsider.locator("main")).to_contain_text("9 November 2011")
    assert_accessible(outsider)
    fresh.close()

    # 4. Manchester's compliance page shows it acknowledged, by whom and when.
    page.get_by_role("link", name="Compliance").click()
    expect(page).to_have_title("Compliance – Sightline")
    placed = page.locator("table", has_text="Children we placed outside our area")
    row = placed.get_by_role("row", name=re.compile("MAN902"))
    expect(row.locator("td").nth(6)).to_have_text("Acknowledged")
    by = row.locator("td").nth(8)
    expect(by).to_contain_text("Jo Bloggs (Duty social worker)")
    notice.refresh_from_db()
    expect(by).to_contain_text(f"{notice.acknowledged_at.astimezone().year}")
    assert_accessible(page)
