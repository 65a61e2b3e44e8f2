"""When a session started and when it was last used: the idle and absolute timeouts.

The two times are kept in the session itself (Unix seconds), set when the user signs in and
on each request.
"""

from __future__ import annotations

import enum
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from sightline.core.timeutil import now

SIGNED_IN_AT = "sightline_signed_in_at"
SEEN_AT = "sightline_seen_at"
# Write the "last seen" time at most this often, so that reading pages does not write the
# session on every request.
SEEN_RESOLUTION_SECONDS = 30


class Expiry(enum.StrEnum):
    IDLE = "idle"
    ABSOLUTE = "absolute"


def stamp_on_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    at = now().timestamp()
    request.session[SIGNED_IN_AT] = at
    request.session[SEEN_AT] = at


def expired(request: HttpRequest) -> Expiry | None:
    """Whether the signed-in session has run out, and why; records this request as a use."""
    session = request.session
    at = now().timestamp()
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if signed_in_at is None or seen_at is None:
        # A session from before the timeouts existed: it starts now.
        session[SIGNED_IN_AT] = signed_in_at = at
        session[SEEN_AT] = seen_at = at
    absolute = settings.SESSION_ABSOLUTE_HOURS * 3600
    idle = settings.SESSION_IDLE_MINUTES * 60
    if absolute > 0 and at - float(signed_in_at) >= absolute:
        return Expiry.ABSOLUTE
    if idle > 0 and at - float(seen_at) >= idle:
        return Expiry.IDLE
    if at - float(seen_at) >= SEEN_RESOLUTION_SECONDS or at < float(seen_at):
        session[SEEN_AT] = at
    return None
