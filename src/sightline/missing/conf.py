"""Settings of missing episodes, grants and return interviews.

Read from Django settings, with the environment variable of the same name as fallback, each
time they are used (tests override settings).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def _value(name: str, default: str = "") -> str:
    configured = getattr(settings, name, None)
    if configured is not None:
        return str(configured)
    return os.environ.get(name, default)


def _int(name: str, default: int) -> int:
    value = _value(name)
    return default if value.strip() == "" else int(value)


def grant_hours_after_return() -> int:
    """How long the police of the area keep access to the safety profile after the return."""
    return _int("SIGHTLINE_MISSING_GRANT_HOURS_AFTER_RETURN", 72)


def interview_due_hours() -> int:
    """Statutory guidance (2014): a return home interview within 72 hours of the return."""
    return _int("SIGHTLINE_RETURN_INTERVIEW_HOURS", 72)


def interview_grant_days_after_due() -> int:
    """How long an interviewing service outside the child's agencies keeps access."""
    return _int("SIGHTLINE_INTERVIEW_GRANT_DAYS_AFTER_DUE", 28)


def alert_due_minutes() -> int:
    """A missing, away or child-safe alert is due "without delay": within this many minutes.

    Not zero: the notice engine counts a delivery made after its due time as late.
    """
    return _int("SIGHTLINE_MISSING_ALERT_DUE_MINUTES", 60)


def private_media_root() -> Path:
    """Where safety-profile photographs are kept: never under STATIC_ROOT or MEDIA_ROOT, never
    served by the web server; the web app serves each through the access policy."""
    configured = _value("SIGHTLINE_PRIVATE_MEDIA_ROOT")
    if configured.strip():
        return Path(configured)
    return Path(settings.VAR_DIR) / "private-media"


def photo_max_bytes() -> int:
    return _int("SIGHTLINE_SAFETY_PHOTO_MAX_BYTES", 10 * 1024 * 1024)
