"""The PostgreSQL privileges of the application's role: everything it needs, and on the audit
only reading and appending.

The schema's owner runs ``sightline migrate``; the web app and the workers connect as another
role, which this SQL sets up (``sightline audit privileges --role NAME`` prints it, and
docs/operations.md shows it for ``sightline_app``). An owner can disable the audit's
triggers; a role that is not the owner and holds no UPDATE, DELETE or TRUNCATE on the audit
table cannot change a row of it, whatever the triggers. The chain head (its own table) stays
updatable: each append moves it.
"""

from __future__ import annotations

import re

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
AUDIT_TABLE = "access_auditevent"
# The children named by list reads and exports (ADR 19): as append-only as the chain.
LISTED_TABLE = "audit_auditlistedchild"


def app_role_sql(role: str) -> str:
    """The grants for ``role``, run as the owner after ``sightline migrate``."""
    if not ROLE_NAME.match(role):
        raise ValueError("A role name is lower-case letters, digits and underscores.")
    # Not a query built from input: the role name was checked above, and the text is
    # printed for an operator (and run by the tests).
    return f"""\
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
-- The audit: read and append only (the chain head, access_auditchainhead, stays updatable).
REVOKE UPDATE, DELETE, TRUNCATE ON {AUDIT_TABLE} FROM {role};
REVOKE UPDATE, DELETE, TRUNCATE ON {LISTED_TABLE} FROM {role};
"""  # noqa: S608
