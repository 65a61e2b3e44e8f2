"""A PostgreSQL connection lives as long as ``DATABASE_CONN_MAX_AGE`` says only where the
server's autovacuum runs: elsewhere it would keep plans made while a table was nearly empty
(docs/performance.md, 7 December, midnight)."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from sightline.core.database import PLANS_OUTLIVE_AT_MOST, renewal_due


def test_a_connection_is_renewed_within_a_minute_only_where_autovacuum_is_off() -> None:
    assert renewal_due(close_at=700.0, now=100.0, autovacuum=True) == 700.0
    assert renewal_due(close_at=None, now=100.0, autovacuum=True) is None  # kept for ever
    assert renewal_due(close_at=700.0, now=100.0, autovacuum=False) == 100.0 + PLANS_OUTLIVE_AT_MOST
    assert renewal_due(close_at=None, now=100.0, autovacuum=False) == 100.0 + PLANS_OUTLIVE_AT_MOST
    assert renewal_due(close_at=130.0, now=100.0, autovacuum=False) == 130.0  # sooner already


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's autovacuum")
@pytest.mark.parametrize("max_age", [600, None])
def test_a_new_connection_asks_the_server_whether_autovacuum_runs(max_age: int | None) -> None:
    before = connection.settings_dict["CONN_MAX_AGE"]
    try:
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = max_age
        started = time.monotonic()
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            autovacuum = cursor.fetchone()[0] == "on"
        if autovacuum:  # as the operator asked
            if max_age is None:
                assert connection.close_at is None
            else:
                assert connection.close_at >= started + max_age
        else:  # this machine's server: renewed within the minute
            assert connection.close_at is not None
            assert connection.close_at <= time.monotonic() + PLANS_OUTLIVE_AT_MOST
    finally:
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = before


def test_every_new_connection_is_bounded() -> None:
    """The bound is the ``connection_created`` handler's, registered by the core app: on a
    server with autovacuum on, the test above cannot tell it from no handler at all."""
    from django.db.backends.signals import connection_created

    assert any(r[0][0] == "sightline.core.database.age" for r in connection_created.receivers)
