"""The chain is keyed: each new row is an HMAC with the audit key whose id it records, so
rewriting a row and recomputing the rows after it needs the key. Keys rotate: retired keys
verify the rows they sealed."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from sightline.audit.canonical import canonical
from sightline.audit.keys import current_key, derived_key_id, key_bytes, key_for
from sightline.audit.models import AuditEvent
from sightline.audit.selectors import audit_verify
from tests.audit import tamper

pytestmark = pytest.mark.django_db

OLD_SECRET = "0123456789abcdef" * 4
NEW_SECRET = "fedcba9876543210" * 4


def test_a_new_row_is_an_hmac_with_the_current_key_whose_id_it_records(settings):
    row = tamper.look()
    assert (row.version, row.key_id) == (3, "insecure-test")  # the published test key
    expected = hmac.new(
        settings.SIGHTLINE_AUDIT_KEY.encode(), canonical(row), hashlib.sha256
    ).hexdigest()
    assert row.hash == expected
    assert b'"key_id":"insecure-test"' in canonical(row)
    assert audit_verify().intact


def test_a_row_rewritten_and_rehashed_without_the_key_is_found():
    """The security test's rewrite: change a row, recompute every later hash (SHA-256, as the
    chain was), move the head. Plain hashes are not the rows' HMACs."""
    rows = tamper.looks(5)
    tamper.reseal_from(2, tamper.sha256, purpose="nothing to see")
    result = audit_verify()
    assert (result.intact, result.seq, result.event_id) == (False, 2, rows[1].id)
    assert "was altered" in result.problem
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify")
    assert failed.value.returncode == 1
    assert f"broken at row 2 (id {rows[1].id})" in str(failed.value)


def test_a_rewrite_passed_off_as_older_unkeyed_rows_is_found():
    """Marking the rewritten rows version 2 (plain SHA-256, no key id) makes each hash match,
    but an unkeyed row cannot follow a keyed one."""
    rows = tamper.looks(5)
    tamper.reseal_from(
        3, tamper.sha256, purpose="nothing to see", every={"version": 2, "key_id": ""}
    )
    result = audit_verify()
    assert (result.intact, result.seq, result.event_id) == (False, 3, rows[2].id)
    assert "sealed without the key (version 2) after keyed rows" in result.problem


def test_a_rewrite_sealed_with_another_key_id_is_found():
    """Sealing the rewrite with a key of one's own, under an id of one's choosing: this
    server does not hold that key."""
    rows = tamper.looks(4)
    tamper.reseal_from(2, tamper.hmac_with("k-mallory", b"x" * 32), purpose="rewritten")
    result = audit_verify()
    assert (result.intact, result.seq, result.event_id) == (False, 2, rows[1].id)
    assert "sealed with audit key 'k-mallory', which this server does not hold" in result.problem
    with pytest.raises(CommandError, match="broken at row 2"):
        call_command("audit", "verify")


def test_a_rewrite_under_a_held_key_id_with_a_guessed_secret_is_found(settings):
    settings.SIGHTLINE_AUDIT_OLD_KEYS = f"old-2025:{OLD_SECRET}"
    rows = tamper.looks(3)
    tamper.reseal_from(2, tamper.hmac_with("old-2025", b"a guess" * 5), purpose="rewritten")
    result = audit_verify()
    assert (result.intact, result.seq, result.event_id) == (False, 2, rows[1].id)
    assert "was altered" in result.problem


def test_rotation_keeps_old_rows_verifying_with_the_retired_key(settings):
    settings.SIGHTLINE_AUDIT_KEY, settings.SIGHTLINE_AUDIT_KEY_ID = OLD_SECRET, "2025"
    before = tamper.looks(2)
    settings.SIGHTLINE_AUDIT_KEY, settings.SIGHTLINE_AUDIT_KEY_ID = NEW_SECRET, "2026"
    settings.SIGHTLINE_AUDIT_OLD_KEYS = f"2025:{OLD_SECRET}"
    after = tamper.looks(2)
    assert [r.key_id for r in before + after] == ["2025", "2025", "2026", "2026"]
    assert audit_verify().intact
    # The retired key dropped from the configuration: its rows cannot be checked.
    settings.SIGHTLINE_AUDIT_OLD_KEYS = ""
    result = audit_verify()
    assert (result.intact, result.seq) == (False, 1)
    assert "audit key '2025'" in result.problem and "SIGHTLINE_AUDIT_OLD_KEYS" in result.problem


def test_key_ids_are_derived_from_the_key_when_not_given(settings):
    settings.SIGHTLINE_AUDIT_KEY, settings.SIGHTLINE_AUDIT_KEY_ID = NEW_SECRET, ""
    settings.SIGHTLINE_AUDIT_OLD_KEYS = f"{OLD_SECRET}, named:{'ab' * 32}"
    key = current_key()
    assert key.id == derived_key_id(bytes.fromhex(NEW_SECRET)) and key.id.startswith("k")
    assert NEW_SECRET not in repr(key) and key.secret == key_bytes(NEW_SECRET)
    assert key_for(derived_key_id(bytes.fromhex(OLD_SECRET))) is not None
    assert key_for("named") is not None and key_for("nobody") is None
    row = tamper.look()
    assert row.key_id == key.id and audit_verify().intact


@pytest.mark.parametrize(
    ("old_keys", "message"),
    [
        ("bad id!:secret", "each entry is id:secret"),
        (f"same:{OLD_SECRET},same:{NEW_SECRET}", "given twice"),
    ],
)
def test_badly_configured_old_keys_are_refused_with_the_setting_named(settings, old_keys, message):
    settings.SIGHTLINE_AUDIT_OLD_KEYS = old_keys
    with pytest.raises(ImproperlyConfigured, match=message):
        tamper.look()
    assert not AuditEvent.objects.exists()
