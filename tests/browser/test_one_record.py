"""One record, many agencies (issue 17's "Done when"), as ONE journey in a real browser with
axe-core on every page: the police add a significant entry marked for the placing council only;
the placing council reads it; the home sees that an entry exists and whom to ask; the police
correct it and both stay, linked; the placing council records a strategy meeting whose
decisions become tasks owned by three agencies, then sets a task that looks like one of them
(flagged as a likely duplicate before it is saved); and prints the chronology for the meeting
and downloads the PDF.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.casework.models import CaseTask
from sightline.children.services import child_create
from sightline.chronology.models import ChronologyEntry
from sightline.geography.services import reference_data_load
from sightline.missing.models import RiskGrade, RiskGradeList
from sightline.missing.reference import risk_grade_lists_load
from sightline.organisations.models import Role, User
from tests import factories
from tests.browser.conftest import assert_accessible, sign_in, sign_out
from tests.browser.test_missing_episode import fill_moment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GMP = "E23000005"
SEEN = "Seen getting into a grey car with an older man outside the station"
CORRECTED = "Seen getting into a grey car with two older men outside the station"


@pytest.fixture
def people(transactional_db):
    # Transactional tests empty every table afterwards, reference data included.
    reference_data_load()
    risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
    southwark = factories.council_org("210")
    factories.council_org("356")
    police = factories.police_org(GMP)
    provider = factories.provider_org("Brightwater Care Ltd")
    setting = factories.setting(provider, postcode="SK4 2AB", name="Larch House")
    child = child_create(
        placing_council=factories.council("210"),
        child_ref="SWK300",
        first_name="Sky",
        last_name="Hollowell",
        date_of_birth=dt.date(2011, 6, 9),
        sex="F",
    )
    factories.placement(
        child, setting, start=dt.date.today() - dt.timedelta(days=40), home_postcode="SE1 0AA"
    )
    return {
        "child": child,
        "police": police,
        "pete": factories.user(police, Role.POLICE_MISSING_OFFICER, username="pete"),
        "sasha": factories.user(southwark, Role.SOCIAL_WORKER, username="sasha"),
        "hana": factories.user(provider, Role.HOME_STAFF, username="hana"),
    }


def _date(page, name: str, day: dt.date) -> None:
    for n, value in enumerate((day.day, day.month, day.year)):
        page.locator(f"input[name='{name}_{n}']").fill(str(value))


def _open_chronology(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("link", name="Sky Hollowell").click()
    expect(page).to_have_title("Sky Hollowell – Sightline")
    page.get_by_role("button", name="Chronology").click()
    expect(page).to_have_title("Chronology: Sky Hollowell – Sightline")
    assert_accessible(page)


def test_one_record_across_agencies(live_server, page, people):
    from playwright.sync_api import expect

    base = live_server.url
    when = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)

    # 1. The police add a significant entry, for the placing council only.
    sign_in(page, base, "pete")
    _open_chronology(page)
    page.get_by_role("button", name="Add an entry").click()
    expect(page).to_have_title("Add a chronology entry – Sightline")
    assert_accessible(page)
    page.get_by_label("Intelligence summary").check()
    fill_moment(page, "When it happened", "Time of the event", when)
    page.get_by_label("Significant", exact=True).check()
    page.get_by_label("What happened").fill(SEEN)
    page.get_by_label("Only named organisations").check()
    assert_accessible(page)  # with the follow-up question shown
    page.get_by_label("Southwark Council").check()
    page.get_by_role("button", name="Add the entry").click()
    expect(page).to_have_title("Chronology: Sky Hollowell – Sightline")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Entry added")
    expect(page.locator(".app-chronology")).to_contain_text(SEEN)
    assert_accessible(page)
    sign_out(page)

    # 2. The placing council reads it.
    sign_in(page, base, "sasha")
    _open_chronology(page)
    entry = page.locator(".app-chronology li", has_text=SEEN)
    expect(entry).to_contain_text("Named organisations only")
    expect(entry).to_contain_text("Shared with: Southwark Council")
    sign_out(page)

    # 3. The home sees that an entry exists, from whom, and whom to ask; never the text.
    sign_in(page, base, "hana")
    _open_chronology(page)
    expect(page.locator(".app-chronology")).not_to_contain_text(SEEN)
    hidden = page.locator(".app-chronology li", has_text="An entry exists")
    expect(hidden).to_contain_text("Greater Manchester Police")
    expect(hidden).to_contain_text("Ask Test User pete at Greater Manchester Police")
    sign_out(page)

    # 4. The police correct it: both stay, linked.
    sign_in(page, base, "pete")
    _open_chronology(page)
    page.get_by_role("link", name="Correct this entry").click()
    expect(page).to_have_title("Correct a chronology entry – Sightline")
    assert_accessible(page)
    fill_moment(page, "When it happened", "Time of the event", when)
    page.get_by_label("What happened").fill(CORRECTED)
    page.get_by_role("button", name="Save the correction").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Correction added")
    first = page.locator(".app-chronology li", has_text=SEEN)
    expect(first).to_contain_text("Superseded by a correction")
    expect(page.locator(".app-chronology li", has_text=CORRECTED)).to_contain_text(
        "Corrects the entry of"
    )
    assert ChronologyEntry.objects.count() == 2
    sign_out(page)

    # 5. The placing council records the strategy meeting: its decisions become tasks owned
    # by three agencies.
    sign_in(page, base, "sasha")
    _meeting_sets_tasks_for_three_agencies(page, base, people)

    # 6. The placing council prints the chronology (the meeting in it) and downloads the PDF.
    _open_chronology(page)
    expect(page.locator(".app-chronology")).to_contain_text(CORRECTED)
    expect(page.locator(".app-chronology")).to_contain_text("Strategy meeting: 3 agencies")
    page.get_by_role("button", name="Print or download as PDF").click()
    expect(page).to_have_title("Print the chronology: Sky Hollowell – Sightline")
    assert_accessible(page)
    page.get_by_label("Who is this chronology for?").fill("Strategy meeting: SWK, GMP, home")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title("Chronology to print: Sky Hollowell – Sightline")
    expect(page.get_by_text("for: Strategy meeting: SWK, GMP, home")).to_be_visible()
    assert_accessible(page)
    # The link, fetched in the signed-in session (Chromium printing in the server can take
    # longer than a click waits for a navigation on a busy machine).
    href = page.get_by_role("link", name="download it as a PDF").get_attribute("href")
    pdf = page.request.get(f"{base}{href}", timeout=120_000)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")
    printed = AuditEvent.objects.filter(verb=AuditVerb.CHRONOLOGY_PRINTED).order_by("seq")
    assert [e.payload["format"] for e in printed] == ["print", "pdf"]
    assert {e.payload["audience"] for e in printed} == {"Strategy meeting: SWK, GMP, home"}


def _meeting_sets_tasks_for_three_agencies(page, base: str, people) -> None:
    from playwright.sync_api import expect

    from sightline.core.timeutil import today

    due = today() + dt.timedelta(days=7)
    pete, sasha, hana = (people[name] for name in ("pete", "sasha", "hana"))
    page.get_by_role("link", name="Sky Hollowell").click()
    page.get_by_role("button", name="Tasks and meetings").click()
    expect(page.get_by_role("heading", name="Tasks and meetings")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Record a strategy meeting").click()
    expect(page.get_by_role("heading", name="Record a strategy meeting")).to_be_visible()
    assert_accessible(page)
    _date(page, "held_date", today() - dt.timedelta(days=1))
    page.locator("input[name='held_time']").fill("10am")
    for person in (sasha, pete, hana):
        page.locator(f"input[name='attendee_people'][value='{person.pk}']").check()
    page.get_by_label("What did the meeting decide?").fill(
        "Sky is visited this week; the police share what they know; the home updates the "
        "safety plan."
    )
    actions: list[tuple[str, str, User]] = [
        ("Visit Sky at the home", "visit", sasha),
        ("Share intelligence on the car", "information", pete),
        ("Update the safety plan", "safety_plan", hana),
    ]
    for n, (title, kind, owner) in enumerate(actions):
        page.locator(f"input[name='action_{n}_title']").fill(title)
        page.locator(f"select[name='action_{n}_kind']").select_option(kind)
        page.locator(f"select[name='action_{n}_owner']").select_option(str(owner.pk))
        _date(page, f"action_{n}_due", due)
    page.get_by_role("button", name="Save the meeting").click()
    expect(page.get_by_role("heading", name="Strategy meeting", exact=False)).to_be_visible()
    assert_accessible(page)
    table = page.get_by_role("table")
    for title, _, owner in actions:
        expect(table).to_contain_text(title)
        expect(table).to_contain_text(owner.organisation.name)
    assert {t.organisation_id for t in CaseTask.objects.all()} == {
        sasha.organisation_id,
        pete.organisation_id,
        hana.organisation_id,
    }

    # The same visit asked of the home is flagged before it is saved, then saved once
    # confirmed.
    page.goto(f"{base}/children/{people['child'].id}/tasks/new/")
    assert_accessible(page)
    page.get_by_label("What kind of task is it?").select_option("other")
    page.get_by_label("What needs to be done?").fill("Home visit to Sky")
    page.get_by_label("Who owns it?").select_option(str(hana.pk))
    _date(page, "due_date", due + dt.timedelta(days=2))
    page.get_by_role("button", name="Save the task").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    duplicates = page.locator("#likely-duplicates")
    expect(duplicates.get_by_role("link", name="Visit Sky at the home")).to_be_visible()
    assert_accessible(page)
    assert CaseTask.objects.count() == 3
    page.get_by_label("It is a different task: save it anyway").check()
    page.get_by_role("button", name="Save the task").click()
    expect(page.get_by_role("heading", name="Tasks and meetings")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Home visit to Sky")
    assert CaseTask.objects.get(title="Home visit to Sky").confirmed_beside is not None
    page.goto(f"{base}/")
