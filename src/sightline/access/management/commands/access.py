"""`sightline access matrix`: the roles and relationships table, generated from the policy.

``docs/security.md`` holds the Markdown this prints; a test fails when the two differ, so the
documentation cannot drift from ``access.policy.POLICY`` and ``ORGANISATION_POLICY``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sightline.access.policy import ORGANISATION_POLICY, POLICY, Action, Involvement
from sightline.organisations.models import ROLES_BY_KIND, OrganisationKind, Role


def involvement_label(involvement: Involvement) -> str:
    """A short name for a table cell: "placing council", "missing grant"."""
    return involvement.name.lower().replace("_", " ")


def matrix_rows() -> list[tuple[str, dict[Action, list[str]]]]:
    """One row per role: for each action, the involvements that allow it (in the order the
    policy's ``Involvement`` lists them)."""
    rows = []
    for role in Role:
        cells = {
            action: [
                involvement_label(i) for i in Involvement if i in POLICY[action].get(role, set())
            ]
            for action in POLICY
        }
        rows.append((str(role.label), cells))
    return rows


def organisation_rows() -> list[tuple[str, dict[Action, list[str]]]]:
    """One row per role: for each organisation-level action, the kinds of organisation that
    hold the role and in which it may take the action."""
    rows = []
    for role in Role:
        cells = {
            action: [
                str(k)
                for k in OrganisationKind
                if role in ROLES_BY_KIND[k] and role in by_kind.get(k, frozenset())
            ]
            for action, by_kind in ORGANISATION_POLICY.items()
        }
        rows.append((str(role.label), cells))
    return rows


def _kinds(role: str) -> str:
    kinds = [str(OrganisationKind(k).label) for k in OrganisationKind if role in ROLES_BY_KIND[k]]
    return "; ".join(kinds)


def matrix_markdown() -> str:
    """The Markdown in ``docs/security.md``: who may do what, and through which relationship."""
    actions = list(POLICY)
    out = [
        "| Role | " + " | ".join(str(a).capitalize() for a in actions) + " |",
        "|---|" + "---|" * len(actions),
    ]
    for role, cells in matrix_rows():
        out.append(f"| {role} | " + " | ".join(", ".join(cells[a]) or "—" for a in actions) + " |")
    out += [
        "",
        "| Relationship | What it means |",
        "|---|---|",
        *(f"| {involvement_label(i)} | {i.value} |" for i in Involvement),
        "",
        "| Role | Held in |",
        "|---|---|",
        *(f"| {role.label} | {_kinds(role)} |" for role in Role),
        "",
        "| Role | " + " | ".join(str(a).capitalize() for a in ORGANISATION_POLICY) + " |",
        "|---|" + "---|" * len(ORGANISATION_POLICY),
        *(
            f"| {role} | "
            + " | ".join(", ".join(cells[a]) or "—" for a in ORGANISATION_POLICY)
            + " |"
            for role, cells in organisation_rows()
        ),
    ]
    return "\n".join(out) + "\n"


def matrix_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["role", "action", "relationships"])
    for role, cells in matrix_rows():
        for action, labels in cells.items():
            writer.writerow([role, str(action), "; ".join(labels)])
    return buffer.getvalue()


class Command(BaseCommand):
    help = (
        "Print the access policy: who may do what to a child's record, through which relationship."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        matrix = sub.add_parser(
            "matrix", help="The roles and relationships table (as in docs/security.md)."
        )
        matrix.add_argument("--format", choices=["markdown", "csv"], default="markdown")

    def handle(self, *args: Any, what: str, **options: Any) -> None:
        text = matrix_csv() if options["format"] == "csv" else matrix_markdown()
        self.stdout.write(text, ending="")
