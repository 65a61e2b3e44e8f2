"""The outbox imports no domain above it (ADR 9): placements, missing and the rest build their
notices and hand them down. Checked on the source, so a stray import fails here before the
import-linter contract is in place."""

from __future__ import annotations

import ast
from pathlib import Path

import sightline.notifications

ABOVE = ("placements", "missing", "returns", "evidence", "synth", "api", "web")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_outbox_imports_no_domain_above_it():
    package = Path(sightline.notifications.__file__).parent
    wrong = {
        f"{path.relative_to(package)}: {name}"
        for path in package.rglob("*.py")
        for name in _imports(path)
        if name.split(".")[:2] in [["sightline", above] for above in ABOVE]
    }
    assert wrong == set()


def test_access_does_not_send_notices():
    """Break-glass alerts reach the outbox through a registered alert, not an import."""
    import sightline.access.breakglass as breakglass

    assert not {name for name in _imports(Path(breakglass.__file__)) if "notifications" in name}
