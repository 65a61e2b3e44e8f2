from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.management import call_command


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def sightline() -> Callable[..., Run]:
    """Run ``sightline returns ...`` as the command line does; returns exit status and output."""

    def run(*args: str) -> Run:
        out, err = io.StringIO(), io.StringIO()
        code = 0
        try:
            call_command("returns", *args, stdout=out, stderr=err)
        except SystemExit as exc:
            code = int(exc.code or 0)
        return Run(code, out.getvalue(), err.getvalue())

    return run
