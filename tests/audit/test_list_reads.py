"""List reads: one ``children listed`` chain event per page served, the children it named in
``AuditListedChild`` rows that the event's digest covers; shown by `sightline audit child` and
the child's audit page; checked by `sightline audit verify`."""

import csv
import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sightline.audit.lists import audit_list_read, children_digest, children_shown
from sightline.audit.models import AuditEvent, AuditKind, AuditListedChild
from sightline.audit.selectors import audit_for_child, audit_verify
from sightline.audit.verbs import AuditPayloadError, AuditVerb, validate_payload
from tests import factories as f
from tests.factories import signed_in

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: the append-only trigger."
)


def _list_reads():
    return list(AuditEvent.objects.filter(verb=AuditVerb.CHILDREN_LISTED).order_by("seq"))


def _named(event):
    return set(AuditListedChild.objects.filter(event=event).values_list("child_id", flat=True))


@pytest.fixture
def listed(world):
    """The GMP officer's home page: one list read naming the child."""
    response = signed_in(world["police"]).get(reverse("home"))
    assert response.status_code == 200 and world.child.child_ref in response.content.decode()
    return world


def test_a_web_list_page_is_one_event_naming_the_children_it_showed(listed):
    [event] = _list_reads()
    assert _named(event) == {listed.child.id}
    assert event.kind == AuditKind.READ and event.child_id is None
    assert (event.user_id, event.organisation_id) == (
        listed["police"].id,
        listed["police"].organisation_id,
    )
    assert event.payload == {
        "where": "home",
        "page": 1,
        "count": 1,
        "children": children_digest([listed.child.id]),
    }
    assert event.purpose.startswith("Home page")
    assert audit_verify().intact


def test_a_page_that_shows_no_child_writes_nothing(world):
    for who in ("met_officer", "leeds_analyst", "kent_manager"):
        assert signed_in(world[who]).get(reverse("home")).status_code == 200
    assert _list_reads() == []
    assert audit_list_read(actor=world["police"], where="home", child_ids=[]) is None
    assert audit_list_read(actor=world["police"], where="home", child_ids=[None]) is None
    assert _list_reads() == []


def test_one_chain_append_and_one_bulk_insert_whatever_the_page_size(world):
    ids = [uuid.uuid4() for _ in range(250)]
    with CaptureQueriesContext(connection) as queries:
        event = audit_list_read(actor=world["police"], where="test list", child_ids=ids + ids[:5])
    chain = [q for q in queries.captured_queries if "access_audit" in q["sql"]]
    rows = [q for q in queries.captured_queries if "audit_auditlistedchild" in q["sql"]]
    assert (len(chain), len(rows)) == (3, 1)
    assert event is not None and event.payload["count"] == 250  # each child once
    assert _named(event) == set(ids)
    assert audit_verify().intact


def test_the_payload_holds_no_names_only_codes_counts_and_a_digest(world):
    assert validate_payload(
        AuditVerb.CHILDREN_LISTED, {"where": "home", "page": 1, "count": 1, "children": "0" * 64}
    )
    with pytest.raises(AuditPayloadError):
        validate_payload(
            AuditVerb.CHILDREN_LISTED,
            {"where": "home", "page": 1, "count": 1, "children": "0" * 64, "names": "Alex"},
        )


def test_children_shown_outside_a_declared_list_view_is_a_programming_error(rf):
    with pytest.raises(RuntimeError, match="lists_children"):
        children_shown(rf.get("/"), [uuid.uuid4()])


def test_audit_child_lists_the_list_reads_that_named_the_child(listed, capsys):
    signed_in(listed["host"]).get(reverse("notice_inbox"))
    call_command("audit", "child", str(listed.child.id))
    out = capsys.readouterr().out
    assert "children listed (home, page 1)" in out
    assert "children listed (notice_inbox, page 1)" in out
    assert listed["police"].username in out and listed["host"].username in out
    call_command("audit", "child", str(listed.child.id), "--format", "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert any(r[3] == "children listed (home, page 1)" and r[9] == "list" for r in rows)
    # Another child's audit does not show a list that did not name it.
    other = f.child(placing_code="210")
    assert [line for line in audit_for_child(child_id=other.id) if "listed" in line.action] == []


def test_the_childs_audit_page_shows_the_lists_that_named_the_child(listed):
    page = signed_in(listed["placing_manager"]).get(reverse("child_audit", args=[listed.child.id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "children listed (home, page 1)" in text and listed["police"].username in text


def test_verify_finds_a_child_added_to_or_removed_from_a_list_read(listed, capsys):
    [event] = _list_reads()
    AuditListedChild.objects.create(event=event, child_id=uuid.uuid4())
    result = audit_verify()
    assert (result.intact, result.seq, result.event_id) == (False, event.seq, event.id)
    assert "do not match the digest" in result.problem
    with pytest.raises(CommandError, match="do not match the digest"):
        call_command("audit", "verify")


def test_verify_finds_listed_children_of_no_list_read(listed):
    not_a_list = AuditEvent.objects.exclude(verb=AuditVerb.CHILDREN_LISTED).first()
    AuditListedChild.objects.create(event=not_a_list, child_id=listed.child.id)
    result = audit_verify()
    assert not result.intact and "not a list read" in result.problem


def test_verify_finds_the_rows_of_a_list_read_removed(listed):
    [event] = _list_reads()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditlistedchild "
                "DISABLE TRIGGER audit_auditlistedchild_append_only"
            )
        cursor.execute("DELETE FROM audit_auditlistedchild")
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditlistedchild "
                "ENABLE TRIGGER audit_auditlistedchild_append_only"
            )
    result = audit_verify()
    assert (result.intact, result.event_id) == (False, event.id)


@on_postgresql
def test_postgresql_refuses_update_and_delete_of_listed_children(listed):
    [event] = _list_reads()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditListedChild.objects.filter(event=event).update(child_id=uuid.uuid4())
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditListedChild.objects.filter(event=event).delete()
    assert _named(event) == {listed.child.id}
    assert audit_verify().intact


@on_postgresql
def test_postgresql_refuses_truncate_and_the_application_role_cannot_change_them(listed):
    from sightline.audit.privileges import app_role_sql

    with (
        pytest.raises(DatabaseError, match="append-only: TRUNCATE"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL sightline.audit_truncate = ''")
        cursor.execute("TRUNCATE audit_auditlistedchild")
    role = "sl_lists_app_test"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(app_role_sql(role))
        cursor.execute(
            "SELECT has_table_privilege(%s, 'audit_auditlistedchild', 'INSERT'),"
            " has_table_privilege(%s, 'audit_auditlistedchild', 'UPDATE'),"
            " has_table_privilege(%s, 'audit_auditlistedchild', 'DELETE'),"
            " has_table_privilege(%s, 'audit_auditlistedchild', 'TRUNCATE')",
            [role] * 4,
        )
        assert cursor.fetchone() == (True, False, False, False)
    assert audit_verify().intact
