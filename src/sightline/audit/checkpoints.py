"""Checkpoints of the audit chain's head, kept outside the database.

The keyed chain shows a row rewritten by someone without the key, but nothing inside the
database shows rows cut from the end (with the head moved back to the last row kept) or
both tables emptied: what is left is a valid chain. A checkpoint is the head's sequence and
hash at a moment, signed with the audit key (HMAC), written as one JSON line to the log and
appended to the file ``SIGHTLINE_AUDIT_CHECKPOINTS``: places the database's owner cannot
rewrite. ``audit_verify(checkpoints=...)`` then finds a chain shorter than a checkpoint saw
(a cut tail, an emptied table) or a row whose hash is not the one a checkpoint saw (the
chain rewritten with the key since).

The worker writes one every ``SIGHTLINE_AUDIT_CHECKPOINT_SECONDS`` (an hour), and
``sightline audit checkpoint`` writes one on demand. A checkpoint carries no personal data:
a sequence number, a hash, a time and a key id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings

from sightline.audit.canonical import GENESIS, timestamp
from sightline.audit.keys import current_key, key_for
from sightline.audit.models import AuditChainHead, AuditEvent
from sightline.audit.services import HEAD_ID
from sightline.core.timeutil import now as current_time

logger = logging.getLogger("sightline.audit.checkpoint")

TYPE = "sightline audit checkpoint"


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    key_id: str
    mac: str = ""

    def message(self) -> bytes:
        """What the MAC covers: sorted-key JSON of everything but the MAC."""
        body = {
            "type": TYPE,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "key_id": self.key_id,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def line(self) -> str:
        data = {
            "type": TYPE,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "key_id": self.key_id,
            "mac": self.mac,
        }
        return json.dumps(data, separators=(",", ":"))

    def signed(self) -> bool:
        key = key_for(self.key_id)
        return key is not None and hmac.compare_digest(key.mac(self.message()), self.mac)


def checkpoint_take(*, at: dt.datetime | None = None) -> Checkpoint:
    """The head as it stands (committed), signed with the current key. An empty chain is a
    checkpoint too (row 0): it says when the audit was still empty."""
    head = AuditChainHead.objects.filter(pk=HEAD_ID).values_list("seq", "hash").first()
    if head is None or head[0] < 0:
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        head = last or (0, GENESIS)
    key = current_key()
    when = timestamp(at or current_time()) or ""
    unsigned = Checkpoint(seq=head[0], hash=head[1], at=when, key_id=key.id)
    return dataclasses.replace(unsigned, mac=key.mac(unsigned.message()))


def checkpoint_place() -> str:
    return str(getattr(settings, "SIGHTLINE_AUDIT_CHECKPOINTS", "") or "")


def checkpoint_write(*, place: str | None = None, at: dt.datetime | None = None) -> Checkpoint:
    """Take a checkpoint, log it, and append it to ``place`` (default: the setting). The
    line is written with one ``write`` on a file opened for appending, and synced, so
    several workers writing at once never interleave their lines."""
    checkpoint = checkpoint_take(at=at)
    line = checkpoint.line()
    logger.info("%s", line)
    target = checkpoint_place() if place is None else place
    if target:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    return checkpoint


def checkpoint_job(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
    """The worker's periodic job. Returns 0: a checkpoint is never work that keeps a
    ``--batch`` worker going. A file that cannot be written is an error in the log (where
    the checkpoint still is), not a stopped worker."""
    try:
        checkpoint_write(at=now)
    except OSError as exc:
        logger.error(
            "audit checkpoint could not be appended to SIGHTLINE_AUDIT_CHECKPOINTS: %s",
            exc.strerror,
        )
    return 0


@dataclasses.dataclass(frozen=True)
class FoundCheckpoint:
    """A checkpoint read back, with where it was found (line number, from 1)."""

    line: int
    checkpoint: Checkpoint | None
    problem: str = ""

    def where(self) -> str:
        at = f" of {self.checkpoint.at}" if self.checkpoint else ""
        return f"the checkpoint{at} (line {self.line})"


def checkpoints_parse(lines: Iterable[str]) -> Iterator[FoundCheckpoint]:
    """The checkpoints in a checkpoint file or in an extract of the log (a line may carry a
    log prefix before the JSON). Lines that are not checkpoints are skipped; a checkpoint
    that does not parse, or whose signature does not check out with a key this server
    holds, is returned with its problem."""
    for number, text in enumerate(lines, start=1):
        if TYPE not in text:
            continue
        try:
            data = json.loads(text[text.index("{") :])
            checkpoint = Checkpoint(
                seq=int(data["seq"]),
                hash=str(data["hash"]),
                at=str(data["at"]),
                key_id=str(data["key_id"]),
                mac=str(data["mac"]),
            )
        except (ValueError, KeyError, TypeError):
            yield FoundCheckpoint(number, None, "does not parse as a checkpoint")
            continue
        if key_for(checkpoint.key_id) is None:
            yield FoundCheckpoint(
                number,
                checkpoint,
                f"is signed with audit key {checkpoint.key_id!r}, which this server does not "
                "hold (add it to SIGHTLINE_AUDIT_OLD_KEYS if it was retired)",
            )
        elif not checkpoint.signed():
            yield FoundCheckpoint(
                number, checkpoint, "has a signature that does not match: forged or damaged"
            )
        else:
            yield FoundCheckpoint(number, checkpoint)


def checkpoints_read(place: str) -> list[FoundCheckpoint]:
    with open(place, encoding="utf-8", errors="replace") as lines:
        return list(checkpoints_parse(lines))
