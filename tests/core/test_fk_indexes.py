"""The rows written on every missing report and every audited read carry no index that a
composite index already leads with, nor one on a column that is shown but never looked up by
(issue 13: each is a write per row that no read needs). Dropped by
``core.migration_operations.DropFieldIndexes``, on either database, without remaking the
table; the ``LIKE`` twins of the notice's two unique keys by ``drop_like_twins``."""

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


# Shown, never looked up by: no index at all (a lookup by one would scan, and none is made).
UNREAD = [
    ("access.AccessRecord", "user"),
    ("access.AccessRecord", "organisation"),
    ("missing.Episode", "reported_by"),
    ("missing.Episode", "reported_by_organisation"),
    ("missing.Episode", "closed_by"),
    ("missing.Episode", "found_police_force"),
    ("notifications.Notice", "created_by"),
    ("notifications.Notice", "acknowledged_by"),
    ("notifications.NoticeEvent", "actor"),
]


def _constraints(model):
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, model._meta.db_table)


@pytest.mark.parametrize(("label", "field"), UNREAD)
def test_a_column_never_looked_up_by_has_no_index(label, field):
    model = apps.get_model(label)
    column = model._meta.get_field(field).column
    constraints = _constraints(model)
    own = field_index_names(connection.SchemaEditorClass(connection), model, field)
    assert not set(own) & set(constraints), f"{label}.{field} still has an index of its own"
    assert not any(
        (c["index"] or c["unique"]) and column in c["columns"] for c in constraints.values()
    ), f"{label}.{field} is in an index: it is looked up by after all"


def test_the_found_council_keeps_its_index_for_the_matching_check():
    # exploitation.matching reads recent returns by the council they were found in.
    model = apps.get_model("missing.Episode")
    constraints = _constraints(model)
    own, _ = field_index_names(connection.SchemaEditorClass(connection), model, "found_council")
    assert own in constraints


@pytest.mark.parametrize("field", ["reference", "idempotency_key"])
def test_the_notice_keys_are_unique_without_a_like_twin(field):
    model = apps.get_model("notifications.Notice")
    column = model._meta.get_field(field).column
    constraints = _constraints(model)
    _, twin = field_index_names(connection.SchemaEditorClass(connection), model, field)
    assert twin not in constraints
    assert any(c["unique"] and c["columns"] == [column] for c in constraints.values())
