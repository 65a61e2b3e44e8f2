"""Printing HTML to PDF with headless Chromium, for any part of Sightline that hands out paper.

Chromium's print engine, driven through Playwright (maintained by Microsoft; already used to
test every page in a real browser), lays out the same HTML and CSS a page is read in, print
styles included. No other system libraries are needed (WeasyPrint would need Pango and its
dependencies). The inquiry report (``sightline.evidence.pdf``) and the safety profile handout
(``sightline.missing``) both print through here; it sits in ``core`` so that both layers
can use it.

Chromium itself is not a Python package: Sightline uses the browser the machine has
(``SIGHTLINE_CHROMIUM``, or ``chromium``, ``chromium-browser`` or ``google-chrome`` on the
PATH; Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# Headless printing of a self-contained document: no network, no profile, no first-run work.
# The sandbox needs user namespaces, which containers and root shells often lack.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def print_styles() -> str:
    """GOV.UK Frontend's and Sightline's styles, to inline in a document to print: Chromium
    prints with every request refused (fonts fall back to Arial)."""
    from django.contrib.staticfiles import finders

    css = []
    for name in ("govuk-frontend/dist/govuk/govuk-frontend.min.css", "sightline/sightline.css"):
        found = finders.find(name)
        if isinstance(found, str):
            css.append(Path(found).read_text(encoding="utf-8"))
    # Inside <style>, only "</" could end the element early; stylesheets never need it.
    return "\n".join(css).replace("</", "<\\/")


class PdfUnavailable(Exception):
    """Chromium or Playwright is missing, or Chromium could not print: the message says which,
    without any of the document's content."""


def chromium_path() -> Path | None:
    configured = os.environ.get("SIGHTLINE_CHROMIUM")
    if configured:
        return Path(configured) if Path(configured).exists() else None
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def pdf_from_html(html: str) -> bytes:
    """Print a self-contained HTML document (styles inline, images as ``data:`` URLs) on A4.

    Nothing but the document may load: every request the page makes is refused, so a page
    holding a child's details never reaches the network. The document's own ``@page`` rules
    win over the margins given here (``prefer_css_page_size``)."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - Playwright is in the locked dependencies
        raise PdfUnavailable("Printing to PDF needs Playwright (pip install playwright).") from exc
    executable = chromium_path()
    if executable is None:
        raise PdfUnavailable(
            "Printing to PDF needs the Chromium browser (Debian: apt-get install chromium), "
            "or SIGHTLINE_CHROMIUM set to its path."
        )
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(executable), args=list(CHROMIUM_ARGS)
            )
            try:
                page = browser.new_page()
                page.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if route.request.url.startswith("data:")
                        else route.abort()
                    ),
                )
                page.set_content(html, wait_until="load")
                return page.pdf(
                    format="A4",
                    print_background=True,
                    prefer_css_page_size=True,
                    margin={"top": "12mm", "bottom": "12mm", "left": "12mm", "right": "12mm"},
                )
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise PdfUnavailable(
            f"Chromium ({executable}) could not print: {str(exc).splitlines()[0]}"
        ) from exc
