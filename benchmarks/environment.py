"""What every benchmark sets so that Sightline starts as a deployment would.

Production mode refuses to start without a long random ``SECRET_KEY`` and ``SIGHTLINE_AUDIT_KEY``,
a ``SIGHTLINE_BASE_URL`` and a PostgreSQL database (docs/operations.md). A run on SQLite, which
production refuses, runs in demo mode with the same fresh secrets: the code measured is the same.
"""

from __future__ import annotations

import secrets

BASE_URL = "https://sightline.example"


def sightline_mode(database_url: str) -> str:
    """Production on PostgreSQL; demo on SQLite, which production refuses."""
    return "demo" if database_url.startswith("sqlite") else "production"


def production_settings(database_url: str) -> dict[str, str]:
    """The mode, fresh secrets for this run and the public address."""
    return {
        "SIGHTLINE_MODE": sightline_mode(database_url),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SIGHTLINE_AUDIT_KEY": secrets.token_hex(32),
        "SIGHTLINE_BASE_URL": BASE_URL,
    }
