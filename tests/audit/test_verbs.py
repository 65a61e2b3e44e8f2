"""Verbs, payloads and versions of the canonical form: every event says what was done to
which record, its payload is checked against the verb's schema, and rows written before
verbs existed (version 1) keep verifying next to the new, keyed ones (version 3)."""

import datetime as dt
import uuid

import pytest
from django.db import connection

from sightline.audit.canonical import FIELDS, GENESIS, digest
from sightline.audit.models import AuditChainHead, AuditEvent
from sightline.audit.selectors import audit_verify
from sightline.audit.services import HEAD_ID, audit_append
from sightline.audit.verbs import VERBS, AuditPayloadError, AuditVerb

pytestmark = pytest.mark.django_db


def _append(verb=AuditVerb.PLACEMENT_RECORDED, **payload):
    child = uuid.uuid4()
    return audit_append(actor=None, verb=verb, obj=uuid.uuid4(), child=child, payload=payload)


PLACEMENT = {"emergency": False, "out_of_area": True, "ended": False}


def test_every_verb_has_a_kind_and_an_object_type():
    assert set(VERBS) == set(AuditVerb)
    for verb, spec in VERBS.items():
        assert spec.object_type, verb
        assert len(verb) <= 40, verb


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({**PLACEMENT, "name": "Jade"}, "unknown payload key"),
        ({"emergency": False, "out_of_area": True}, "missing"),
        ({**PLACEMENT, "emergency": "no"}, "wrong type"),
        ({**PLACEMENT, "ended": 1}, "wrong type"),
    ],
)
def test_a_payload_its_verb_does_not_allow_is_refused(payload, problem):
    with pytest.raises(AuditPayloadError, match=problem):
        _append(**payload)
    assert not AuditEvent.objects.exists()


def test_free_text_does_not_fit_in_a_payload():
    with pytest.raises(AuditPayloadError, match="wrong type or length"):
        _append(AuditVerb.NOTICE_ACKNOWLEDGED, notice_kind="x" * 65)
    with pytest.raises(AuditPayloadError, match="wrong type"):
        _append(AuditVerb.ADMISSION_RECORDED, notices=True)  # a bool is not a count


def test_an_event_without_its_record_is_refused():
    with pytest.raises(AuditPayloadError, match="names the placement"):
        audit_append(actor=None, verb=AuditVerb.PLACEMENT_ENDED, obj=None, child=uuid.uuid4())


def test_the_hash_covers_verb_payload_and_version():
    row = _append(**PLACEMENT)
    assert row.version == 3 and set(FIELDS[1]) < set(FIELDS[2]) < set(FIELDS[3])
    for change in ({"verb": "placement ended"}, {"payload": {**PLACEMENT, "ended": True}}):
        altered = AuditEvent.objects.get(pk=row.pk)
        for name, value in change.items():
            setattr(altered, name, value)
        assert digest(altered) != row.hash
    altered = AuditEvent.objects.get(pk=row.pk)
    altered.version = 2  # pretending to be an unkeyed row: a SHA-256, not the row's HMAC
    assert digest(altered) != row.hash


def _version_1_row(seq: int, prev: str) -> AuditEvent:
    """A row as the audit wrote it before verbs: free-text action, no verb or payload."""
    row = AuditEvent(
        id=uuid.uuid4(),
        seq=seq,
        version=1,
        at=dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC),
        kind="write",
        action="record placement",
        child_id=uuid.uuid4(),
        purpose="Record a placement",
        object_type="placement",
        object_id=str(uuid.uuid4()),
        prev_hash=prev,
    )
    row.hash = digest(row)
    return row


def test_version_1_rows_verify_beside_keyed_rows():
    first = _version_1_row(1, GENESIS)
    second = _version_1_row(2, first.hash)
    AuditEvent.objects.bulk_create([first, second])
    AuditChainHead.objects.create(id=HEAD_ID, seq=2, hash=second.hash)
    new = _append(**PLACEMENT)
    assert (new.seq, new.prev_hash, new.version) == (3, second.hash, 3)
    result = audit_verify()
    assert result.intact and result.checked == 3


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the trigger refuses the UPDATE")
def test_a_payload_altered_in_the_table_is_found():
    row = _append(**PLACEMENT)
    AuditEvent.objects.filter(pk=row.pk).update(payload={**PLACEMENT, "emergency": True})
    result = audit_verify()
    assert (result.intact, result.seq) == (False, row.seq)
    assert "altered" in result.problem
