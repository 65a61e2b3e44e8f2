"""Two Sightline deployments on loopback, each its own server, worker and database: a
placement recorded on A into a council that lives on B reaches B's inbox, is acknowledged
there, and shows acknowledged on A (issue 15, part 3). PostgreSQL: two throwaway databases
beside the suite's; SQLite: two files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from sightline.federation.keys import new_seed, signing_key_from
from tests.conftest import copy_migrated_sqlite, migrate_database
from tests.notifications.conftest import REPO, free_port

SERVE = [sys.executable, "-m", "sightline.cli", "serve", "--host", "127.0.0.1"]


@dataclass
class Deployment:
    name: str
    url: str
    env: dict[str, str]
    key_id: str
    log: Path
    server: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
        return done.stdout.decode()

    def shell(self, code: str) -> Any:
        out = self.manage(
            "shell", "--no-imports", "-c", f"from tests.federation.deployment import *; {code}"
        )
        return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])

    def start(self) -> None:
        port = self.url.rsplit(":", 1)[1]
        with self.log.open("wb") as out:
            self.server = subprocess.Popen(
                [*SERVE, "--port", port, "--workers", "1"],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/.well-known/sightline-federation-keys"):
                    return
            except (urllib.error.URLError, ConnectionError):
                assert self.server is not None and self.server.poll() is None, self.output()
                time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start: {self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(timeout=30)


def api(url: str, key: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _postgres_admin() -> Any:
    import psycopg

    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "localhost",
        port=db.get("PORT") or 5432,
        autocommit=True,
    )


def _postgres_url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{name}"


@pytest.fixture
def two_databases(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """Two migrated, empty databases: on SQLite, two copies of the run's migrated database;
    on PostgreSQL, A migrated and B made from it as a template."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        template = request.getfixturevalue("migrated_sqlite")  # migrated once a run
        a = copy_migrated_sqlite(template, tmp_path / "a.sqlite3")
        b = copy_migrated_sqlite(template, tmp_path / "b.sqlite3")
        yield f"sqlite:///{a}", f"sqlite:///{b}"
        return
    names = (f"test_fed_a_{os.getpid()}", f"test_fed_b_{os.getpid()}")
    with _postgres_admin() as admin:
        for name in names:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {names[0]}")
        try:
            migrate_database(_postgres_url(names[0]))
            admin.execute(f"CREATE DATABASE {names[1]} TEMPLATE {names[0]}")
            yield _postgres_url(names[0]), _postgres_url(names[1])
        finally:
            for name in names:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def deployments(two_databases: tuple[str, str], tmp_path: Path) -> Iterator[list[Deployment]]:
    made = []
    for name, database_url in zip("AB", two_databases, strict=True):
        url, seed = f"http://127.0.0.1:{free_port()}", new_seed()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_", "EMAIL_", "NOTIFY_", "SIGHTLINE_"))
        }
        env.update(
            DATABASE_URL=database_url,
            SIGHTLINE_MODE="test",
            SIGHTLINE_REFERENCE_DIR=os.environ.get("SIGHTLINE_REFERENCE_DIR", ""),
            SIGHTLINE_FEDERATION="on",
            SIGHTLINE_FEDERATION_KEY=seed,
            SIGHTLINE_BASE_URL=url,
            SIGHTLINE_VAR_DIR=str(tmp_path / name),
            PYTHONPATH=f"{REPO / 'src'}:{REPO}",
            PYTHONUNBUFFERED="1",
        )
        made.append(
            Deployment(name, url, env, signing_key_from(seed).key_id, tmp_path / f"{name}.log")
        )
    yield made
    for deployment in made:
        deployment.stop()


def test_a_placement_reaches_the_other_deployment_and_its_acknowledgement_comes_back(
    deployments: list[Deployment],
) -> None:
    a, b = deployments
    for deployment in deployments:
        deployment.start()
    for deployment in deployments:
        deployment.wait_until_up()
    # Each operator pins the other's key, fetched from its published key set (`sightline
    # federation trust URL --key ID`), in the same process as the deployment's seeding.
    seeded_a = a.shell(f"seed_sender(peer_url={b.url!r}, peer_key={b.key_id!r})")
    seeded_b = b.shell(f"seed_receiver(peer_url={a.url!r}, peer_key={a.key_id!r})")
    assert seeded_a["trusted"] == seeded_b["trusted"] == 1

    status, placed = api(
        a.url + "/api/v1/placements",
        seeded_a["key"],
        "POST",
        {
            "child_ref": "FED001",
            "first_name": "Tamsin",
            "last_name": "Fedora",
            "date_of_birth": "2011-02-03",
            "sex": "F",
            "setting_id": seeded_a["setting_id"],
            "start_date": "2026-03-02",
            "place_type": "K2",
            "place_provider": "PR4",
            "home_postcode": "M1 1AE",
        },
    )
    assert status == 201, placed
    a.shell("drain()")

    # B: the notice is in Stockport's inbox, with the minimum and no more.
    status, inbox = api(b.url + "/api/v1/notices", seeded_b["key"])
    assert status == 200, inbox
    [notice] = inbox["items"] if isinstance(inbox, dict) else inbox
    assert notice["acknowledged_at"] is None
    assert "Fedora" not in json.dumps(notice)  # never the surname
    status, _ = api(b.url + f"/api/v1/notices/{notice['id']}/acknowledge", seeded_b["key"], "POST")
    assert status == 200
    state_b = b.shell("drain(); notices_state()")

    state_a = a.shell("notices_state()")
    [to_stockport] = [n for n in state_a["notices"] if n["recipient_council"] == "E08000007"]
    assert to_stockport["acknowledged"], state_a
    assert to_stockport["acknowledged_address"] == b.url
    assert "Missing children coordinator, Stockport" in to_stockport["acknowledged_by"]
    assert to_stockport["federation"] == ["delivered"]
    assert {
        "federation peer trusted",
        "federation message sent",
        "notice acknowledged by peer",
    } <= set(state_a["verbs"])
    [received] = state_b["notices"]
    assert received["acknowledged"] and received["federation"] == ["delivered"]
    assert {"federation message received", "notice acknowledged", "federation message sent"} <= set(
        state_b["verbs"]
    )
