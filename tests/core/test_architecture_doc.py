"""docs/architecture.md's layer drawing is generated from the code and the import contracts;
this test fails when either changed and the drawing was not regenerated."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_layer_drawing_matches_the_contract_and_the_imports() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "architecture.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
