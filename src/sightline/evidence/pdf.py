"""The inquiry report as PDF: the self-contained HTML file printed by headless Chromium.

Chromium's print engine, driven through Playwright (maintained by Microsoft; already used to
test every page in a real browser), lays out the same HTML and CSS the report is read in, so
the PDF is the report as a browser prints it: tables, SVG charts and the print styles. No
other system libraries are needed (WeasyPrint would need Pango and its dependencies).

Chromium itself is not a Python package: Sightline uses the browser the machine has
(``SIGHTLINE_CHROMIUM``, or ``chromium``, ``chromium-browser`` or ``google-chrome`` on the
PATH; Debian: ``apt-get install chromium``). Playwright is in the development dependencies
(``make env`` installs it); without either, ``--pdf`` says what to install.
"""

from __future__ import annotations

from pathlib import Path

from sightline.core.errors import ValidationError

# The browser and its switches are shared with every PDF Sightline prints (``core.pdf``).
from sightline.core.pdf import BROWSERS, CHROMIUM_ARGS, chromium_path

__all__ = ["BROWSERS", "CHROMIUM_ARGS", "chromium_path", "html_to_pdf"]


def html_to_pdf(html: Path, pdf: Path) -> Path:
    """Print ``html`` (a self-contained file) to ``pdf`` on A4, with its backgrounds."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - Playwright is in the locked dependencies
        raise ValidationError(
            "Writing a PDF needs Playwright: install it with 'pip install playwright'.",
            field="--pdf",
        ) from exc
    executable = chromium_path()
    if executable is None:
        raise ValidationError(
            "Writing a PDF needs the Chromium browser: install it (Debian: 'apt-get install "
            "chromium') or set SIGHTLINE_CHROMIUM to its path. The HTML report was written.",
            field="--pdf",
        )
    pdf.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(executable), args=list(CHROMIUM_ARGS)
            )
            try:
                page = browser.new_page()
                # Nothing but the file itself may load: the report makes no requests.
                page.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if route.request.url.startswith("file:")
                        or route.request.url.startswith("data:")
                        else route.abort()
                    ),
                )
                page.goto(html.resolve().as_uri(), wait_until="load")
                page.pdf(
                    path=str(pdf),
                    format="A4",
                    print_background=True,
                    margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"},
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=(
                        '<div style="font-size:8px;width:100%;text-align:center;">'
                        'Page <span class="pageNumber"></span> of <span class="totalPages"></span>'
                        "</div>"
                    ),
                )
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise ValidationError(
            f"Chromium ({executable}) could not print the report: {str(exc).splitlines()[0]}",
            field="--pdf",
        ) from exc
    return pdf
