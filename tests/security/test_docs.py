"""``docs/security.md`` shows the access policy as it is: its table is what ``sightline access
matrix`` prints. After changing ``POLICY``, paste the command's output between the markers."""

from __future__ import annotations

import csv
import io
import re
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from sightline.access.policy import ORGANISATION_POLICY, POLICY, Action
from sightline.organisations.models import ROLES_BY_KIND, OrganisationKind, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
MARKERS = re.compile(r"<!-- access-matrix:start -->\n(.*?)<!-- access-matrix:end -->", re.S)


def _matrix(*args: str) -> str:
    out = StringIO()
    call_command("access", "matrix", *args, stdout=out)
    return out.getvalue()


def test_the_table_in_the_security_docs_is_the_one_the_policy_gives() -> None:
    found = MARKERS.search(DOC.read_text())
    assert found, "docs/security.md has lost its access-matrix markers"
    assert found.group(1) == _matrix(), (
        "docs/security.md is out of date: replace the table with `sightline access matrix`"
    )


def test_the_table_has_a_row_per_role_and_a_column_per_action() -> None:
    lines = _matrix().split("\n\n")[0].splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header == ["Role", *(str(a).capitalize() for a in POLICY)]
    assert [line.split("|")[1].strip() for line in lines[2:]] == [r.label for r in Role]


def test_the_csv_says_the_same_as_the_policy() -> None:
    rows = list(csv.DictReader(io.StringIO(_matrix("--format", "csv"))))
    assert len(rows) == len(Role) * len(POLICY)
    labels = {str(r.label): r.value for r in Role}
    for row in rows:
        allowed = POLICY[Action(row["action"])].get(labels[row["role"]], set())
        named = {n for n in row["relationships"].split("; ") if n}
        assert named == {i.name.lower().replace("_", " ") for i in allowed}, row


def test_the_organisation_table_has_a_row_per_role_and_a_column_per_action() -> None:
    """The last table: rules about an organisation (``ORGANISATION_POLICY``), a cell naming
    the kinds of organisation holding the role in which the role may take the action."""
    lines = _matrix().split("\n\n")[-1].splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header == ["Role", *(str(a).capitalize() for a in ORGANISATION_POLICY)]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    assert [row[0] for row in rows] == [r.label for r in Role]
    for role, row in zip(Role, rows, strict=True):
        for action, cell in zip(ORGANISATION_POLICY, row[1:], strict=True):
            kinds = {k for k in cell.split(", ") if k != "—"}
            expected = {
                str(k)
                for k in OrganisationKind
                if role in ROLES_BY_KIND[k] and role in ORGANISATION_POLICY[action].get(k, ())
            }
            assert kinds == expected, (role, action)
