"""Checkpoints of the chain's head, signed and kept outside the database, find what the chain
alone cannot: rows cut from the end with the head moved back, emptied tables, and a chain
rewritten by someone who holds the key."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.management import CommandError, call_command

from sightline.audit.canonical import GENESIS
from sightline.audit.checkpoints import checkpoints_read
from sightline.audit.models import AuditChainHead
from sightline.audit.selectors import audit_verify
from sightline.audit.services import HEAD_ID
from tests.audit import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(tmp_path, settings):
    path = tmp_path / "var" / "checkpoints.jsonl"
    settings.SIGHTLINE_AUDIT_CHECKPOINTS = str(path)
    return path


def _verify_fails(place) -> str:
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify", "--checkpoints", str(place))
    assert failed.value.returncode == 1
    return str(failed.value)


def test_a_checkpoint_goes_to_the_log_and_the_file_signed(place, caplog, capsys):
    tamper.looks(3)
    head = AuditChainHead.objects.get(pk=HEAD_ID)
    with caplog.at_level(logging.INFO, logger="sightline.audit.checkpoint"):
        call_command("audit", "checkpoint")
    line = place.read_text().splitlines()[0]
    data = json.loads(line)
    assert (data["type"], data["seq"], data["hash"]) == ("sightline audit checkpoint", 3, head.hash)
    assert data["key_id"] == "insecure-test" and len(data["mac"]) == 64
    assert line in caplog.text
    assert f"Checkpoint of row 3 written to the log and to {place}" in capsys.readouterr().out
    [found] = checkpoints_read(str(place))
    assert found.checkpoint is not None and found.checkpoint.signed() and not found.problem


def test_an_intact_chain_reaches_and_matches_every_checkpoint(place, capsys):
    call_command("audit", "checkpoint")  # the empty audit: row 0
    tamper.looks(2)
    call_command("audit", "checkpoint")
    tamper.looks(2)
    call_command("audit", "checkpoint")
    tamper.look()  # rows after the last checkpoint are fine
    capsys.readouterr()
    call_command("audit", "verify", "--checkpoints", str(place))
    out = capsys.readouterr().out
    assert "The audit chain is intact: 5 rows" in out
    assert "It reaches and matches all 3 checkpoints" in out and "(line 3)" in out


def test_rows_cut_from_the_end_with_the_head_moved_back_are_found(place):
    """What the security test did: delete the newest rows, move the head back. The chain that
    is left is valid; only a checkpoint from before shows the cut."""
    tamper.looks(5)
    call_command("audit", "checkpoint")
    tamper.cut_tail(keep=3)
    assert audit_verify().intact  # the limit of the chain alone
    message = _verify_fails(place)
    assert "broken at row 4" in message
    assert "The chain ends at row 3, but the checkpoint of " in message
    assert "(line 1) saw row 5: rows 4 to 5 were removed from the end" in message


def test_a_cut_tail_refilled_by_new_appends_is_found(place):
    tamper.looks(5)
    call_command("audit", "checkpoint")
    tamper.cut_tail(keep=3)
    tamper.looks(4)  # the application carries on from row 3: rows 4 to 7 are new
    assert audit_verify().intact
    message = _verify_fails(place)
    assert "broken at row 5" in message and "Row 5 does not match the checkpoint" in message


def test_an_emptied_audit_is_found(place):
    """Both tables emptied: on PostgreSQL by TRUNCATE as a superuser, past the trigger that
    refuses it to everyone else (test_postgresql_guards.py)."""
    tamper.looks(4)
    call_command("audit", "checkpoint")
    tamper.empty_the_audit()
    assert audit_verify().intact  # nothing left to contradict
    message = _verify_fails(place)
    assert "The audit is empty, but the checkpoint of " in message
    assert "saw 4 rows: the audit tables were emptied" in message


def test_a_chain_rewritten_with_the_key_since_a_checkpoint_is_found(place):
    """Someone holding the database and the key rewrites row 2 and reseals the rest: the
    chain verifies, but not against a checkpoint taken before."""
    rows = tamper.looks(5)
    call_command("audit", "checkpoint")
    tamper.reseal_from(2, tamper.digest, purpose="rewritten with the key")
    assert audit_verify().intact
    message = _verify_fails(place)
    assert f"broken at row 5 (id {rows[4].id})" in message
    assert "Row 5 does not match the checkpoint of " in message and "(line 1)" in message


def test_a_whole_chain_rewritten_as_unkeyed_rows_is_found(place):
    """Every row passed off as version 2 (plain SHA-256): no keyed row is left to betray it,
    so only the checkpoint does."""
    tamper.looks(3)
    call_command("audit", "checkpoint")
    tamper.reseal_from(1, tamper.sha256, purpose="rewritten", every={"version": 2, "key_id": ""})
    assert audit_verify().intact
    assert "Row 3 does not match the checkpoint" in _verify_fails(place)


def test_a_forged_checkpoint_is_refused(place):
    tamper.looks(2)
    call_command("audit", "checkpoint")
    data = json.loads(place.read_text())
    place.write_text(json.dumps({**data, "seq": 1, "hash": GENESIS}) + "\n")
    message = _verify_fails(place)
    assert "The checkpoint on line 1 has a signature that does not match" in message


def test_checkpoints_are_read_from_an_extract_of_the_log(tmp_path, caplog):
    tamper.looks(2)
    with caplog.at_level(logging.INFO, logger="sightline.audit.checkpoint"):
        call_command("audit", "checkpoint", "--to", str(tmp_path / "ignored.jsonl"))
    log = tmp_path / "log.txt"
    log.write_text("2026-12-06 02:00:00 INFO other lines are skipped\n" + caplog.text)
    call_command("audit", "verify", "--checkpoints", str(log))
    tamper.cut_tail(keep=1)
    assert "rows 2 to 2 were removed" in _verify_fails(log)


def test_no_checkpoint_in_the_place_given_is_a_failure(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert "holds no audit checkpoint" in _verify_fails(empty)
    assert "cannot read" in _verify_fails(tmp_path / "missing.jsonl")


def test_the_worker_writes_a_checkpoint(place):
    tamper.looks(2)
    call_command("worker", "--batch")
    [found] = checkpoints_read(str(place))
    assert found.checkpoint is not None and found.checkpoint.seq == 2


def test_a_checkpoint_file_that_cannot_be_written_stops_neither_the_worker_nor_the_log(
    tmp_path, settings, caplog
):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    settings.SIGHTLINE_AUDIT_CHECKPOINTS = str(blocker / "checkpoints.jsonl")
    with caplog.at_level(logging.INFO, logger="sightline.audit.checkpoint"):
        call_command("worker", "--batch")
    assert "sightline audit checkpoint" in caplog.text
    assert "could not be appended to SIGHTLINE_AUDIT_CHECKPOINTS" in caplog.text
