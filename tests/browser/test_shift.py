"""A shift of each role on the demo, in a real browser, at a desk (1280 pixels) and on a phone
(390 pixels): an urgent alert acknowledged from the banner on the page it arrives on, who is
missing now, finding that child on the worklist by name, the child's record and safety
profile, the one-page print and the PDF a patrol is handed, and the map with the table behind
it. axe-core (WCAG 2.2 AA) on every page at both widths, and nothing fetched from the
internet.

One demo for the module, started as a user starts it (``tools/demo_site.py``: ``sightline
demo`` on its own SQLite database in a temporary folder), so the pages are the demo's week:
the children missing at start, their profiles and histories. Each role signs in through the
real pages with the README's account, in a browser context of its own. The demo is dated to
today and its names come from a seed, so the walk reads the child it follows from the pages
(the first child in the role's own list of children missing now) rather than naming one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_missing_episode import fill_moment
from tests.conftest import copy_migrated_sqlite
from tools.demo_site import DemoSite

# The demo runs on its own SQLite database whatever the suite's database is: CI walks the
# shifts once, in its SQLite run (ADR 30).
pytestmark = [pytest.mark.browser, pytest.mark.one_leg("sqlite")]

DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def demo(browser, tmp_path_factory, migrated_sqlite) -> Iterator[DemoSite]:
    folder = tmp_path_factory.mktemp("demo")
    # The run's migrated database, copied where the demo keeps its own: the demo's migrate
    # then has nothing to do, and the demo loads its week as on a fresh machine.
    copy_migrated_sqlite(migrated_sqlite, folder / "sightline.sqlite3")
    with DemoSite(folder) as site:
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
    ``fits``, no wider than the screen (WCAG 2.2 1.4.10 Reflow, which axe does not check: a
    wide table scrolls in its own box, or turns into cards; a long reference or e-mail
    address wraps)."""
    expect(page).to_have_title(f"{title} – Sightline")
    assert_accessible(page)
    if fits:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{title}: {width} pixels wide"


def missing_now(page, demo: DemoSite, *, first_list: str, width: str) -> str:
    """Missing now, with the role's own children first under ``first_list``: the first child
    there, by name. A table at a desk, cards on a phone (ordered by risk, then time)."""
    page.goto(f"{demo.url}/missing/")
    checked(page, "Missing now", fits=True)
    expect(page.locator("main h2.govuk-heading-l").first).to_have_text(first_list)
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
    checked(page, name, fits=True)
    expect(page.locator("main")).to_contain_text(ref)
    return ref


def profile_and_pdf(page, name: str, ref: str) -> None:
    """From the record to the safety profile, its one-page print and its PDF."""
    page.get_by_role("button", name="Safety profile").click()
    checked(page, f"Safety profile: {name}", fits=True)
    page.get_by_role("link", name="Print the safety profile on one page").click()
    # On a screen the one-page print fits a phone too (paper and the PDF stay A4).
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


@pytest.fixture(scope="module")
def home_staff(browser, demo):
    """Brightwater's staff, signed in once for the module, to make alerts arrive."""
    context = browser.new_context(viewport=DESK, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    demo.sign_in(page, "staff.brightwater")
    yield page
    context.close()


def an_alert_arrives(home, demo: DemoSite, about: str) -> None:
    """Brightwater's staff report missing a child of theirs whose row on their worklist names
    ``about`` (the placing council, or the home's council): missing alerts go at once to the
    placing council, the host council and, reported to them, the police. Where every such
    child is missing already, they record one's return instead ("child safe" alerts)."""
    home.goto(f"{demo.url}/")
    rows = home.locator("#worklist table tbody tr").filter(has_text=about)
    missing = re.compile(r"(Missing|Away)\s+for")
    here = rows.filter(has_not_text=missing)
    if here.count():
        here.first.locator("td").first.get_by_role("link").click()
        home.get_by_role("button", name="Report missing or away").click()
        expect(home).to_have_title("Report missing or away – Sightline")
        home.get_by_label("Missing", exact=True).check()
        fill_moment(home, "Date last seen", "Time last seen", dt.datetime.now(dt.UTC))
        home.get_by_label("Where was the child last seen?").fill("Leaving the home")
        police = home.get_by_role("group", name="Have you reported this to the police?")
        police.get_by_label("Yes").check()
        home.get_by_label("Medium risk").check()
        home.get_by_label("Who gave the risk grade?").fill("PC 1234, Greater Manchester Police")
        home.get_by_role("button", name="Report and send alerts").click()
        expect(home.locator(".govuk-notification-banner--success")).to_contain_text(
            "Alerts sent to"
        )
        return
    rows.filter(has_text=missing).first.locator("td").first.get_by_role("link").click()
    home.get_by_role("link", name="Open the episode").click()
    home.get_by_role("button", name="Record the return").click()
    fill_moment(home, "Date found or returned", "Time found or returned", dt.datetime.now(dt.UTC))
    home.get_by_label("Place (optional)").fill("Back at the home")
    home.get_by_label("Returned of their own accord").check()
    home.get_by_role("button", name="Record the return").click()
    expect(home.locator(".govuk-notification-banner--success")).to_contain_text("Return recorded")


def acknowledge_from_the_banner(page, demo: DemoSite, home, about: str) -> None:
    """On Missing now, an alert arrives (the home reports a child); on the next look the
    urgent banner counts the organisation's alerts not yet acknowledged; "Acknowledge alert"
    acknowledges the oldest and comes back to the same page, which says so, and the banner
    no longer names that alert."""
    url = f"{demo.url}/missing/"
    page.goto(url)
    an_alert_arrives(home, demo, about)
    page.reload()
    banner = page.locator(".app-urgent-banner")
    expect(banner, "no urgent alert waits for this organisation").to_be_visible()
    expect(banner).to_contain_text(re.compile(r"\d+ urgent alerts? not acknowledged"))
    reference = re.search(r"\(reference ([^)]+)\)", banner.inner_text())
    assert reference, banner.inner_text()
    checked(page, "Missing now", fits=True)
    banner.get_by_role("button", name=re.compile("^Acknowledge alert")).click()
    expect(page).to_have_url(url)
    checked(page, "Missing now", fits=True)
    done = page.locator(".govuk-notification-banner--success")
    expect(done).to_contain_text("1 urgent alert acknowledged")
    expect(done).to_contain_text(reference.group(1))
    if banner.count():
        expect(banner).not_to_contain_text(reference.group(1))


def open_the_map(page, demo: DemoSite, title: str, *, listed: str | None) -> None:
    """From the home page's maps, the map drawn (its base and its points, with nothing
    fetched from the internet) and the table behind it; ``listed``: a name the table
    shows."""
    page.goto(f"{demo.url}/")
    page.get_by_role("navigation", name="Maps").get_by_role("link", name=title).click()
    checked(page, title, fits=True)
    expect(page.locator("#app-map")).to_have_attribute("data-drawn", re.compile(r"^[1-9]"))
    expect(page.locator("#app-map img.app-map__base")).to_have_count(1)
    table = page.get_by_role("table", name="The places on the map")
    expect(table.locator("tbody tr").first).to_be_visible()
    if listed:
        expect(table.get_by_role("link", name=listed)).to_be_visible()


# The role's other pages of a shift with wide tables, checked on a phone: the path and the
# page's title.
NOTICES = ("/notices/", "Notices")
COMPLIANCE = ("/compliance/", "Compliance")
INTERVIEWS = ("/interviews/", "Return home interviews")


def on_a_phone(page, demo: DemoSite, pages: tuple[tuple[str, str], ...]) -> None:
    """Each of ``pages`` axe-clean and no wider than the phone: its tables scroll in their
    own box."""
    for path, title in pages:
        page.goto(f"{demo.url}{path}")
        checked(page, title, fits=True)


def offline(page) -> list[str]:
    """Refuse every request to anywhere but the demo; the list of those tried."""
    tried: list[str] = []

    def handle(route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            tried.append(url)
            route.abort()

    page.route("**/*", handle)
    return tried


def walk(
    page,
    demo: DemoSite,
    username: str,
    *,
    first_list: str,
    map_title: str,
    home=None,
    about: str = "",
    map_lists_the_child: bool = True,
    phone_pages: tuple[tuple[str, str], ...] = (),
) -> Walked:
    """A role's shift at both widths: who is missing; an urgent alert acknowledged from the
    banner (at the desk: one alert is one acknowledgement); the child found by name on the
    worklist, their record, profile, print and PDF; the map; on the phone, ``phone_pages``
    (notices, compliance, interviews) fit the screen. Returns the child followed.
    Nothing is fetched from the internet on the way."""
    tried = offline(page)
    demo.sign_in(page, username, check=assert_accessible)
    walked = None
    for width in widths(page):
        if home is not None and width == "desk":
            acknowledge_from_the_banner(page, demo, home, about)
        name = missing_now(page, demo, first_list=first_list, width=width)
        if home is None:
            expect(page.locator(".app-urgent-banner")).to_have_count(0)
        ref = find_on_worklist(page, demo, name)
        walked = Walked(name=name, child_ref=ref, record_url=page.url)
        profile_and_pdf(page, name, ref)
        open_the_map(page, demo, map_title, listed=name if map_lists_the_child else None)
        if width == "phone":
            on_a_phone(page, demo, phone_pages)
    assert walked is not None
    assert tried == []
    # The name was typed into the search (a query string) and shown on every page: the web
    # app's and the worker's log lines carry ids, never a child's name.
    assert walked.name not in demo.log_text()
    return walked


def test_coordinator_shift(demo, shift_page, home_staff):
    """Stockport's missing children coordinator: Stockport's own children first, then every
    child missing from a home in Stockport, whoever placed them."""
    page = shift_page
    walk(
        page,
        demo,
        "coordinator.stockport",
        first_list="Our children missing now",
        home=home_staff,
        about="Stockport",
        map_title="Map of where our children are placed",
        phone_pages=(NOTICES, COMPLIANCE, INTERVIEWS),
    )
    page.goto(f"{demo.url}/missing/")
    expect(page.get_by_role("heading", name="Missing from homes in our area now")).to_be_visible()
    page.goto(f"{demo.url}/")
    for tab in ("Children we placed", "Children placed in our area by other councils"):
        expect(page.get_by_role("navigation", name="Lists of children")).to_contain_text(tab)


def test_police_officer_shift(demo, shift_page, home_staff):
    """Greater Manchester Police's missing-person officer: the children missing in the force
    area, and their safety profiles, open while they are missing."""
    page = shift_page
    child = walk(
        page,
        demo,
        "police.gmp",
        first_list="Missing in our force area now",
        home=home_staff,
        about="Stockport",
        map_title="Map of children's homes in our force area",
        phone_pages=(NOTICES, COMPLIANCE),
    )
    page.goto(child.record_url)
    page.get_by_role("button", name="Safety profile").click()
    expect(page.locator(".govuk-inset-text")).to_contain_text("was reported missing or away")


def test_home_staff_shift(demo, shift_page):
    """Brightwater's home staff: the children missing from its homes; from the record, the
    episode, where the return is recorded. The home sends missing alerts and receives none,
    so no urgent banner; its map is where missing children were found."""
    page = shift_page
    child = walk(
        page,
        demo,
        "staff.brightwater",
        first_list="Missing from our homes now",
        map_title="Map of where missing children were found",
        map_lists_the_child=False,
        phone_pages=(NOTICES, INTERVIEWS),
    )
    page.goto(child.record_url)
    page.get_by_role("link", name="Open the episode").click()
    expect(page).to_have_title(re.compile(rf": {child.name} – Sightline$"))
    expect(page.get_by_role("button", name="Record the return")).to_be_visible()
    assert_accessible(page)


def test_social_worker_shift(demo, shift_page, home_staff):
    """Southwark's social worker: Southwark's children, all placed out of London."""
    page = shift_page
    walk(
        page,
        demo,
        "sw.southwark",
        first_list="Our children missing now",
        home=home_staff,
        about="Southwark",
        map_title="Map of where our children are placed",
        phone_pages=(NOTICES,),
    )
    page.goto(f"{demo.url}/")
    expect(page.get_by_role("button", name="Record a placement")).to_be_visible()


def test_team_manager_shift(demo, shift_page, home_staff):
    """Southwark's team manager: the same children, the missing rules, and who viewed a
    child's record."""
    page = shift_page
    child = walk(
        page,
        demo,
        "teammanager.southwark",
        first_list="Our children missing now",
        home=home_staff,
        about="Southwark",
        map_title="Map of where our children are placed",
        phone_pages=(COMPLIANCE, INTERVIEWS),
    )
    page.goto(f"{demo.url}/missing/")
    page.get_by_role("link", name="Change your organisation's missing from care settings").click()
    checked(page, "Missing from care settings")
    page.goto(child.record_url)
    page.get_by_role("link", name="Who viewed or changed this record").click()
    checked(page, "Who viewed or changed this record")
    expect(page.locator("main")).to_contain_text(child.name)
