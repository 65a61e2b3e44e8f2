"""The personal-data scan itself (``tests/security/pii.py``): it sees every level of the
project's logs and every e-mail, and it recognises names and dates of birth. Also the demo:
``sightline demo_data`` and one pass of the worker, with e-mail printed to the console, print
no child's name or date of birth."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail

from tests import factories
from tests.conftest import copy_migrated_sqlite
from tests.security.pii import Capture, date_forms, findings

REPO = Path(__file__).resolve().parents[2]


def test_dates_of_birth_are_recognised_in_every_common_form() -> None:
    forms = date_forms(dt.date(2011, 3, 7))
    for text in (
        "2011-03-07",
        "07/03/2011",
        "7/3/2011",
        "7 March 2011",
        "07 Mar 2011",
        "7th March 2011",
        "March 7, 2011",
        "03/07/2011",
        "20110307",
        "7.3.2011",
    ):
        assert text.lower() in forms, text


def test_findings_match_whole_names_and_dates_only() -> None:
    child = [("Rowan", "Quillby", dt.date(2010, 5, 1))]
    assert findings([("log", "child id=42 reported")], child) == []
    assert findings([("log", "placed on 11/5/2010 or 1/5/20101")], child) == []
    assert findings([("log", "Rowan is a tree; Quillby a place")], child) == []
    assert len(findings([("log", "Opened by ROWAN  quillby")], child)) == 1
    assert len(findings([("log", "Quillby, Rowan")], child)) == 1
    assert len(findings([("mail", "Born 1 May 2010.")], child)) == 1
    assert len(findings([("mail", "born=2010-05-01")], child)) == 1


@pytest.mark.django_db
def test_the_scan_sees_every_level_and_every_e_mail(pii_scan: Capture) -> None:
    child = factories.child()
    assert (child.first_name, child.last_name, child.date_of_birth) in pii_scan.children
    logger = logging.getLogger("sightline.security.test")
    logger.debug("debug %s", child.full_name)
    mail.send_mail("Subject", f"Born {child.date_of_birth:%d/%m/%Y}", None, ["a@example.invalid"])
    problems = findings([*pii_scan.logs, *pii_scan.mails], pii_scan.children)
    assert any("name" in p and "sightline.security.test" in p for p in problems), problems
    assert any("date of birth" in p and "e-mail" in p for p in problems), problems
    # Only what the project logs: other libraries' records are not kept.
    logging.getLogger("elsewhere").warning("%s", child.full_name)
    assert not any(name == "elsewhere" for name, _ in pii_scan.logs)
    # The scan ends this test: clear what was planted on purpose.
    pii_scan.clear()


def test_a_debug_record_below_the_configured_level_is_still_not_written(
    caplog: pytest.LogCaptureFixture, pii_scan: Capture
) -> None:
    """Kept for the scan, but handed to no handler (caplog's sits with the others)."""
    logger = logging.getLogger("sightline.security.quiet")
    assert logger.getEffectiveLevel() > logging.DEBUG
    logger.debug("not written")
    logger.warning("written")
    assert [r.getMessage() for r in caplog.records] == ["written"]
    assert ("sightline.security.quiet", "not written") in pii_scan.logs


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sightline.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


@pytest.mark.one_leg("sqlite")  # the demo's own SQLite database, whatever the suite's is
def test_the_demo_prints_no_child_name_or_date_of_birth(
    tmp_path: Path, migrated_sqlite: Path
) -> None:
    """Load the demo on a fresh SQLite database (a copy of the run's migrated one: ``migrate``
    below then has nothing to do), run the worker once (every notice due is e-mailed to the
    console) with DEBUG logs, and scan everything printed."""
    database = copy_migrated_sqlite(migrated_sqlite, tmp_path / "demo.sqlite3")
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PYTEST_CURRENT_TEST"}},
        "SIGHTLINE_MODE": "demo",
        "DATABASE_URL": f"sqlite:///{database}",
        "SIGHTLINE_VAR_DIR": str(tmp_path),
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "LOG_LEVEL": "DEBUG",
    }
    output = _run(["migrate", "-v", "0"], env)
    output += _run(["demo_data"], env)
    worker = _run(["worker", "--batch"], env)
    assert "Subject:" in worker, "The worker sent no e-mail: the scan would prove nothing"
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT first_name, last_name, date_of_birth FROM children_child")
        children = {(f, s, dt.date.fromisoformat(str(b)[:10])) for f, s, b in rows}
    assert len(children) > 20
    problems = findings([("demo output", output), ("worker output", worker)], children)
    assert problems == []


def test_an_email_may_not_carry_even_the_first_name_and_initial():
    child = {("Rowan", "Quillby", None)}
    assert len(findings([("mail", "Child: Rowan Q.")], child)) == 1
    assert len(findings([("e-mail received by the SMTP server", "rowan q. placed")], child)) == 1
    # The inbox shows it; a log line is not a message to an inbox, and "Rowan Q" alone is not it.
    assert findings([("sightline.notifications", "Rowan Q.")], child) == []
    assert findings([("mail", "Rowan Quick")], child) == []
