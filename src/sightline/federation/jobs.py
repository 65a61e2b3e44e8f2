"""The worker's federation job: forget nonces whose signatures have expired."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sightline.federation.models import SeenNonce


def nonce_purge_job(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
    deleted, _ = SeenNonce.objects.filter(expires_at__lt=now).delete()
    return deleted
