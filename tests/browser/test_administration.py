"""Administration that cannot lift itself, in a real browser (issue 12, part 2).

The security test's finding: Stockport's administrator, a superuser in the demo, made
themself a Southwark social worker in the Django admin, and a Southwark child's page went
from 404 to 200, with no audit row. Here Stockport's administrator manages Stockport's
people on Sightline's own pages, and every attempt to lift themself or reach Southwark is
refused and on the audit chain. Every page is checked with axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

import pytest

from sightline.audit.models import AuditEvent
from sightline.audit.selectors import audit_verify
from sightline.audit.verbs import AuditVerb
from sightline.geography.services import reference_data_load
from sightline.organisations.models import Role, User
from tests import factories
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(transactional_db):
    # Transactional tests empty every table afterwards, including the reference data.
    reference_data_load()
    stockport, southwark = factories.council_org("356"), factories.council_org("210")
    admin = factories.user(stockport, Role.ADMINISTRATOR, username="admin.stockport")
    colleague = factories.user(stockport, Role.MISSING_COORDINATOR, username="coordinator")
    worker = factories.user(southwark, Role.SOCIAL_WORKER, username="sw.southwark")
    child = factories.child("210")
    factories.placement(child, factories.setting(factories.provider_org(), "SK4 2AB"))
    return {
        "admin": admin,
        "colleague": colleague,
        "worker": worker,
        "stockport": stockport,
        "southwark": southwark,
        "child": child,
    }


def test_a_council_administrator_cannot_lift_themself(live_server, page, scene):
    from playwright.sync_api import expect

    base = live_server.url
    admin: User = scene["admin"]
    sign_in(page, base, "admin.stockport")

    # Stockport's people, and only Stockport's.
    page.get_by_role("link", name="People").click()
    expect(page).to_have_title("People – Sightline")
    assert_accessible(page)
    expect(page.get_by_role("cell", name="coordinator", exact=True)).to_be_visible()
    expect(page.get_by_text("sw.southwark")).to_have_count(0)

    # Their own page offers no change of role.
    page.get_by_role("link", name=admin.get_full_name(), exact=True).click()
    expect(page.get_by_text("This is your own account")).to_be_visible()
    expect(page.get_by_role("link", name="Change role")).to_have_count(0)
    assert_accessible(page)

    # 1. Their own role, by going to the page directly: refused, with the reason.
    page.goto(f"{base}/people/{admin.pk}/role/")
    page.get_by_label("Social worker").check()
    page.get_by_role("button", name="Save role").click()
    expect(page).to_have_title("Error: Change role – Sightline")
    expect(page.get_by_role("alert")).to_contain_text(
        "You cannot change your own role. Ask another administrator"
    )
    assert_accessible(page)

    # 2. A role another kind of organisation holds, sent by a tampered form: refused.
    page.goto(f"{base}/people/{scene['colleague'].pk}/role/")
    expect(page).to_have_title("Change role – Sightline")
    page.get_by_label("Team manager").evaluate(
        "radio => { radio.value = 'police_missing_officer' }"
    )
    page.get_by_label("Team manager").check()
    page.get_by_role("button", name="Save role").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Police missing-person officer is not a role in a council children's services"
    )

    # 3. Southwark's people, person and audit, and the Django admin: "Page not found".
    for path in (
        f"/organisations/{scene['southwark'].pk}/people/",
        f"/organisations/{scene['southwark'].pk}/audit/",
        f"/people/{scene['worker'].pk}/",
        f"/people/{scene['worker'].pk}/role/",
        "/admin/",
        "/admin/organisations/user/",
    ):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 404, path
        expect(page).to_have_title("Page not found – Sightline")

    # The Southwark child's page stays "Page not found".
    response = page.goto(f"{base}/children/{scene['child'].id}/")
    assert response is not None and response.status == 404

    # 4. A change that is theirs to make goes through, and all of it is on their audit.
    page.goto(f"{base}/people/{scene['colleague'].pk}/role/")
    page.get_by_label("Team manager").check()
    page.get_by_role("button", name="Save role").click()
    expect(page.get_by_text("Role changed")).to_be_visible()
    page.get_by_role("link", name="Back to people").click()
    page.get_by_role("link", name="Who did what in Stockport Council (audit)").click()
    expect(page).to_have_title("Audit of Stockport Council – Sightline")
    assert_accessible(page)
    expect(page.get_by_role("cell", name="Administration refused")).to_have_count(6)
    expect(page.get_by_role("cell", name="Person role changed")).to_have_count(1)

    admin.refresh_from_db()
    assert (admin.organisation_id, admin.role, admin.is_superuser, admin.is_staff) == (
        scene["stockport"].pk,
        Role.ADMINISTRATOR,
        False,
        False,
    )
    refused = AuditEvent.objects.filter(verb=AuditVerb.ADMINISTRATION_REFUSED, user_id=admin.pk)
    assert sorted((e.payload["attempt"], e.payload["reason"]) for e in refused) == sorted(
        [
            ("change role", "own account"),
            ("change role", "role not held by the organisation's kind"),
            ("view people", "not allowed"),
            ("view organisation audit", "not allowed"),
            ("view person", "not allowed"),
            ("change role", "not allowed"),
        ]
    )
    assert audit_verify().intact
