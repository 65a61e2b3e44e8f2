"""Who may do what is decided in ``sightline.access`` only (ADR 14): anywhere else, a
comparison with a role (``user.role in {...}``, ``actor.role == Role.X``, ``Role.X in ...``)
is a second copy of a rule that will drift from the first. Ask ``access.policy.may`` or
``require`` instead.

``organisations`` defines the roles (and ``ROLES_BY_KIND``, which roles a kind of organisation
holds: a definition, not a permission); ``access`` holds the rules; migrations are history.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "sightline"
EXEMPT_PACKAGES = {"access", "organisations"}

# Comparisons that decide no permission, each with its reason: (path, source of the test).
NOT_PERMISSIONS: dict[tuple[str, str], str] = {
    (
        "api/services.py",
        "user.role != key.role",
    ): "integrity, not permission: a key acts only in the role it was issued with (a service "
    "user whose role was changed afterwards no longer authenticates); what the role may do is "
    "still the policy's",
    (
        "synth/demo/placements.py",
        "user.role in {Role.SOCIAL_WORKER, Role.NOMINATED_OFFICER}",
    ): "demo data: which demo user records the demo's placements",
    (
        "missing/contacts.py",
        "c.role == role",
    ): "a contact's kind (ContactRole: social worker, out-of-hours...), not a person's role",
    (
        "synth/demo/contacts.py",
        "user.role not in on_shift",
    ): "demo data: which demo sign-in each organisation names as its duty contact",
    (
        "api/management/commands/api-key.py",
        "r != Role.ADMINISTRATOR",
    ): "the command's choices; api.services refuses an administrator's key itself",
}


def _names_a_role(node: ast.AST) -> bool:
    """A ``.role`` attribute, or a member of ``Role`` (``Role.X``)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and (
            n.attr == "role" or (isinstance(n.value, ast.Name) and n.value.id == "Role")
        ):
            return True
    return False


def role_comparisons(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        (node.lineno, ast.unparse(node))
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(_names_a_role(side) for side in (node.left, *node.comparators))
    ]


def _checked_files() -> list[Path]:
    return [
        p
        for p in sorted(SRC.rglob("*.py"))
        if p.relative_to(SRC).parts[0] not in EXEMPT_PACKAGES and "migrations" not in p.parts
    ]


def test_no_role_is_compared_outside_access() -> None:
    found = []
    allowed_seen = set()
    for path in _checked_files():
        rel = path.relative_to(SRC).as_posix()
        for line, source in role_comparisons(path):
            if (rel, source) in NOT_PERMISSIONS:
                allowed_seen.add((rel, source))
                continue
            found.append(f"src/sightline/{rel}:{line}: {source}")
    assert found == [], (
        "Role comparisons outside sightline.access: ask access.policy.may(...) instead\n"
        + "\n".join(found)
    )
    assert allowed_seen == set(NOT_PERMISSIONS), "NOT_PERMISSIONS names comparisons now gone"


def test_the_check_finds_each_form_of_role_comparison(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "ok = user.role in {Role.TEAM_MANAGER}\n"
        "ok = actor.role == Role.ADMINISTRATOR\n"
        "ok = Role.ANALYST in roles\n"
        "ok = user.role not in ROLES\n"
        "ok = user.organisation.kind == kind\n"
        "ok = may(user, Action.ADMIT)\n"
    )
    assert [line for line, _ in role_comparisons(sample)] == [1, 2, 3, 4]
