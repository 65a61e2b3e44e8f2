"""The world of ``tests/missing`` seen through the web pages.

    Southwark (210) places Robin Quillfeather in Larch House, a Brightwater home in Stockport
    (356), SK4 2AB: Stockport Council is the host council and Greater Manchester Police the
    force of the area.

Tests run at Monday 2 February 2026, 10:00 in London (``at_monday``), with the real services
behind the pages.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

from django.test import Client
from django.urls import reverse

from tests.factories import signed_in  # noqa: F401  (used by the tests here)
from tests.missing.conftest import (  # noqa: F401  (fixtures)
    MONDAY,
    SURNAME,
    World,
    _private_media,
    _risk_grades,
    at_monday,
    report,
    smtp_server,
    world,
)

# Monday 2 February 2026, 9am: an hour before the tests' "now".
REPORT_FORM: dict[str, str] = {
    "kind": "missing",
    "last_seen_date_0": "2",
    "last_seen_date_1": "2",
    "last_seen_date_2": "2026",
    "last_seen_time": "9am",
    "last_seen_place": "Leaving the home by the back gate",
    "clothing": "Black puffer jacket, grey joggers",
    "circumstances": "Did not come back from school",
    "reported_to_police": "yes",
    "police_reference": "GMP-0202-1234",
    "risk_grade": "medium",
    "risk_grade_supplied_by": "PC 1234, Greater Manchester Police",
}

RETURN_FORM: dict[str, str] = {
    "returned_date_0": "2",
    "returned_date_1": "2",
    "returned_date_2": "2026",
    "returned_time": "9:45am",
    "where_postcode": "SK4 2AB",
    "place": "",
    "found_council": "",
    "found_police_force": "",
    "found_by": "self",
    "condition": "Tired and hungry",
}


def squash(html: str) -> str:
    """The page with runs of white space made one space."""
    return re.sub(r"\s+", " ", html)


def report_url(of: World) -> str:
    return reverse("episode_new", args=[of.child.id])


def post_report(client: Client, of: World, **changes: Any) -> Any:
    return client.post(report_url(of), {**REPORT_FORM, **changes})


def png(width: int = 8, height: int = 8) -> bytes:
    """A real PNG image (grey), for pages that show the photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def without_csrf(html: str) -> str:
    """The page with its per-response CSRF token blanked, so two responses can be compared."""
    return _CSRF.sub('name="csrfmiddlewaretoken" value=""', html)
