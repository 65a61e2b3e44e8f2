"""The session store: Django's database sessions, read through a prepared statement.

Every signed-in request reads its session first. Django builds that read's SQL afresh each
time (``Session.objects.get(session_key=..., expire_date__gt=now)``); built once per process
instead (``sightline.core.prepared``, ADR 53) the same row comes back for less CPU on every
page and form (issue 13). Everything else (saving, cycling the key, ``clearsessions``) is
Django's own. ``SESSION_ENGINE = "sightline.accounts.session_store"``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from sightline.core.prepared import prepared


def _unexpired(*, session_key: str, at: dt.datetime) -> QuerySet[Session]:
    return Session.objects.filter(session_key=session_key, expire_date__gt=at)


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        # Django loads a session only when it has a key, one that passed its validation.
        rows = prepared(
            "accounts.session",
            _unexpired,
            text=("session_key",),
            session_key=self.session_key,
            at=timezone.now(),
        )
        if rows:
            return rows[0]
        self._session_key = None  # as Django's: a key not found (or expired) is dropped
        return None
