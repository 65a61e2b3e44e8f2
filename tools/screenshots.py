"""Screenshots of each demo account's home page, for the README's tour.

``.venv/bin/python tools/screenshots.py`` starts the demo as ``make demo`` does, in a temporary
folder of its own (``tools/demo_site.py``: its own SQLite database and port; the demo in
``var/`` is left alone), signs in as each account through the real pages, and saves the home
page, 1280 pixels wide, to ``docs/screenshots/<role>.png``, then writes
``docs/screenshots/README.md`` with the command and the date. Needs Chromium (Debian:
``apt-get install chromium``; or set SIGHTLINE_CHROMIUM).

The demo is dated to the day it starts, so the pictures show that day's week: run this again
when the home pages change.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tools.demo_site import DemoSite  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTH, HEIGHT = 1280, 1000
# Each account of the README's table, by the file its picture is saved to.
ACCOUNTS = {
    "coordinator": ("coordinator.stockport", "Missing children coordinator, Stockport Council"),
    "police-officer": ("police.gmp", "Police missing-person officer, Greater Manchester Police"),
    "home-staff": ("staff.brightwater", "Home staff, Brightwater Care Ltd"),
    "home-manager": ("manager.brightwater", "Home manager, Brightwater Care Ltd"),
    "social-worker": ("sw.southwark", "Social worker, Southwark Council"),
    "team-manager": ("teammanager.southwark", "Team manager, Southwark Council"),
    "nominated-officer": ("nominated.manchester", "Nominated officer, Manchester Council"),
    "analyst": ("analyst.stockport", "Analyst, Stockport Council"),
    "administrator": ("admin.stockport", "Administrator, Stockport Council"),
}
COMMAND = ".venv/bin/python tools/screenshots.py"


def chromium() -> str:
    from sightline.core.pdf import chromium_path

    found = chromium_path()
    if found is None:
        sys.exit(
            "tools/screenshots.py needs Chromium: apt-get install chromium, or SIGHTLINE_CHROMIUM"
        )
    return str(found)


def take(site: DemoSite, out: Path) -> dict[str, int]:
    """Sign in as each account and save its home page; the size of each file written."""
    from playwright.sync_api import sync_playwright

    from sightline.core.pdf import CHROMIUM_ARGS

    sizes = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=list(CHROMIUM_ARGS)
        )
        for role, (username, _) in ACCOUNTS.items():
            context = browser.new_context(
                viewport={"width": WIDTH, "height": HEIGHT}, locale="en-GB", device_scale_factor=1
            )
            page = context.new_page()
            page.set_default_timeout(60_000)
            site.sign_in(page, username)
            page.wait_for_load_state("networkidle")
            path = out / f"{role}.png"
            page.screenshot(path=str(path), animations="disabled", caret="hide")
            sizes[role] = path.stat().st_size
            context.close()
        browser.close()
    return sizes


def readme(day: dt.date) -> str:
    rows = "\n".join(
        f"| [{role}.png]({role}.png) | `{username}` | {what} |"
        for role, (username, what) in ACCOUNTS.items()
    )
    return f"""# Screenshots

Each demo account's home page, {WIDTH} pixels wide, as the demo showed it on
{day:%-d %B %Y} (the demo is dated to the day it starts, so the times missing and the
dates move with it; the children, homes and councils are the same for the same seed).

Made with `{COMMAND}`, which starts the demo as `make demo` does, in a
temporary folder of its own, signs in as each account through the real sign-in pages
(password, then the authenticator app) and saves the top of the home page. Run it again when
the home pages change.

| Picture | Account | Role, organisation |
|---|---|---|
{rows}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"Folder (default {OUT}).")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sightline-screenshots-") as folder:
        print(f"Starting the demo in {folder} (a minute or two)...", flush=True)
        with DemoSite(Path(folder), workers=int(os.environ.get("WEB_CONCURRENCY", "2"))) as site:
            sizes = take(site, args.out)
    (args.out / "README.md").write_text(
        readme(dt.datetime.now(ZoneInfo("Europe/London")).date()), encoding="utf-8"
    )
    for role, size in sizes.items():
        print(f"{args.out / (role + '.png')}: {size // 1024} KB")


if __name__ == "__main__":
    main()
