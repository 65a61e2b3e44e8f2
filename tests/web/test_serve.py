"""`sightline serve` sets gunicorn's request timeout and worker count itself (issue 13: the
default 30-second timeout turned a slow page into an error)."""

from __future__ import annotations

import pytest
from gunicorn.config import Config

from sightline.web.management.commands.serve import (
    MAX_DEFAULT_WORKERS,
    default_workers,
    gunicorn_argv,
)


def gunicorn_config(argv: list[str]) -> Config:
    """Parse the command line as gunicorn itself does."""
    config = Config()
    parsed = config.parser().parse_args(argv[1:])
    for name, value in vars(parsed).items():
        if value is not None and name != "args":
            config.set(name.lower(), value)
    return config


def test_the_defaults_suit_synchronous_pages(monkeypatch: pytest.MonkeyPatch):
    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    config = gunicorn_config(
        gunicorn_argv(host="127.0.0.1", port=8000, workers=default_workers(), threads=1, timeout=60)
    )
    assert config.timeout == 60
    assert config.graceful_timeout == 30
    assert config.worker_class_str == "sync"
    assert 3 <= config.workers <= MAX_DEFAULT_WORKERS
    assert config.max_requests == 10000
    assert "%(q)s" not in config.access_log_format  # no query strings in the log


def test_the_environment_sizes_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    assert default_workers() == 7
    config = gunicorn_config(
        gunicorn_argv(host="0.0.0.0", port=9000, workers=default_workers(), threads=4, timeout=90)
    )
    assert (config.workers, config.threads, config.timeout) == (7, 4, 90)
    assert config.worker_class_str == "gthread"  # gunicorn's choice with threads
    assert config.bind == ["0.0.0.0:9000"]


def test_the_wsgi_application_freezes_what_it_loaded():
    """Django and the apps are left out of the garbage collector's full passes."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "SIGHTLINE_MODE": "test"}
    out = subprocess.run(
        [sys.executable, "-c", "import gc, config.wsgi; print(gc.get_freeze_count())"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(out.stdout.strip()) > 10_000
