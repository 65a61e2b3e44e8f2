"""Webhook subscriptions in a real browser: a police force's administrator adds one for the
force's case system (a wrong address first, refused with the error linked to the field),
reads its secret once, finds a delivery the partner refused in its history and sends it
again. axe-core clean at 1280 and 390 pixels wide."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sightline.notifications.models import Delivery, DeliveryStatus, WebhookSubscription
from sightline.organisations.models import Role
from tests import factories
from tests.browser.conftest import assert_accessible, sign_in
from tests.notifications.conftest import WebhookReceiver, make_world, record_out_of_area, run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _both_widths(page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_accessible(page)


def test_an_administrator_adds_a_subscription_and_replays_a_refused_delivery(live_server, page):
    world = make_world()
    factories.user(world.police, Role.ADMINISTRATOR, username="ada")
    # The partner checks signatures with a secret it was never given: it refuses with 401.
    partner = WebhookReceiver("not-the-secret")
    try:
        sign_in(page, live_server.url, "ada")
        page.goto(f"{live_server.url}/notices/webhooks/")
        expect(page).to_have_title("Webhook subscriptions – Sightline")
        expect(page.locator("main")).to_contain_text("Your organisation has no webhook")
        _both_widths(page)

        page.get_by_role("link", name="Add a subscription").click()
        expect(page).to_have_title("Add a webhook subscription – Sightline")
        page.get_by_label("Name of the partner system").fill("Force case system")
        page.get_by_label("Address the requests go to").fill("not an address")
        page.get_by_label("Placement notice").check()
        page.get_by_role("button", name="Add subscription").click()
        expect(page).to_have_title("Error: Add a webhook subscription – Sightline")
        expect(page.locator(".govuk-error-summary")).to_contain_text("starting https://")
        _both_widths(page)

        page.get_by_label("Address the requests go to").fill(partner.url)
        page.get_by_role("button", name="Add subscription").click()
        expect(page).to_have_title("Subscription added – Sightline")
        subscription = WebhookSubscription.objects.get(organisation=world.police)
        expect(page.locator("#webhook-secret")).to_have_text(subscription.secret)
        _both_widths(page)

        record_out_of_area(world)
        run_worker()
        failed = Delivery.objects.get(contact_point__subscription=subscription)
        assert failed.status == DeliveryStatus.PERMANENT_FAILURE

        page.get_by_role("link", name="Go to the subscription").click()
        expect(page).to_have_title("Force case system – Sightline")
        expect(page.locator("main")).not_to_contain_text(subscription.secret)
        expect(page.locator("main")).to_contain_text("Webhook HTTP 401")
        _both_widths(page)

        partner.secret = subscription.secret  # the partner is given the secret
        page.get_by_role("button", name=re.compile("^Send again")).click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            "will be sent again"
        )
        run_worker()
        replay = Delivery.objects.get(retry_of=failed)
        assert replay.status == DeliveryStatus.DELIVERED
        assert partner.requests[-1]["valid"]
        page.reload()
        expect(page.locator("main")).to_contain_text("Sent again")
        _both_widths(page)
    finally:
        partner.stop()
