"""A PostgreSQL connection says which Sightline process it serves (``application_name``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, connections

from sightline.core.database import connections_name

pytestmark = pytest.mark.django_db(transaction=True)


def _name() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW application_name")
        return str(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's application_name")
def test_a_service_names_its_connections_from_then_on() -> None:
    options = connections.settings["default"]["OPTIONS"]
    before = options["application_name"]
    assert _name() == before == "sightline"  # a migration, an import, a shell
    try:
        connections_name("sightline web")
        assert connection.connection is None  # closed: the next one carries the name
        assert _name() == "sightline web"
        connections_name("x" * 80)
        assert _name() == "x" * 63
    finally:
        connections_name(before)
    assert _name() == "sightline"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's application_name")
def test_a_name_the_operator_gave_is_kept(settings: Any) -> None:
    settings.DATABASE_APPLICATION_NAME_GIVEN = True  # DATABASE_URL=...?application_name=...
    connections_name("sightline web")
    assert _name() == "sightline"
