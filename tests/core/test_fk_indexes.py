"""The rows written on every missing report and every audited read carry no index that a
composite index already leads with (issue 13: each is a write per row that no read needs).
Dropped by ``core.migration_operations.DropFieldIndexes``, on either database, without
remaking the table."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from sightline.core.migration_operations import field_index_names

pytestmark = pytest.mark.django_db

LED = [
    ("access.AccessGrant", "child"),
    ("access.AccessRecord", "child"),
    ("api.IdempotencyRecord", "organisation"),
    ("audit.AuditEvent", "child_id"),
    ("missing.Episode", "child"),
    ("missing.Episode", "placing_council"),
    ("missing.Episode", "host_council"),
    ("missing.Episode", "host_police_force"),
    ("missing.EpisodeNotice", "episode"),
    ("notifications.Notice", "child"),
    ("notifications.Notice", "recipient"),
    ("notifications.Notice", "sender"),
    ("notifications.NoticeEvent", "notice"),
]


@pytest.mark.parametrize(("label", "field"), LED)
def test_the_field_is_indexed_once_as_the_lead_of_a_composite(label, field):
    model = apps.get_model(label)
    column = model._meta.get_field(field).column
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    indexes = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    # Names only: the editor is not entered (SQLite refuses one inside the test's transaction).
    own = field_index_names(connection.SchemaEditorClass(connection), model, field)
    assert not set(own) & set(constraints), f"{label}.{field} still has an index of its own"
    assert any(len(cols) > 1 and cols[0] == column for cols in indexes), (
        f"{label}.{field} leads no composite index: its lookups would scan"
    )
