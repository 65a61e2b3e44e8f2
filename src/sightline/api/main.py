"""The public API, version 1: one NinjaAPI at ``/api/v1/`` with API-key auth on every operation.

Each router holds the operations of one domain app; every operation goes through the same
services, selectors and access policy as the web pages, and declares its access rule with
``declare`` (``tests/access/test_declarations.py`` checks every operation).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ninja import NinjaAPI, Router
from ninja.operation import Operation

from sightline.access.policy import Action, Rule
from sightline.api import (
    casework,
    children,
    chronology,
    concerns,
    errors,
    exploitation,
    family,
    interviews,
    missing,
    notices,
    placements,
    tasks,
    webhooks,
)
from sightline.api.auth import ApiKeyAuth

NAMESPACE = "api-v1"
DESCRIPTION = """\
Sightline's public API for the systems of councils, police forces and providers.

* **Authentication**: `Authorization: Bearer <key>` on every request. Keys are issued per
  organisation with `sightline api-key create` and act with the key's role.
* **Errors**: `{"errors": [{"field": ..., "record": ..., "message": ...}]}`. 404 means
  "not found or not yours", identically.
* **Idempotency**: send `Idempotency-Key` on writes; a retry gets the first answer again.
"""

# Routes of the API that are not operations, by URL name: the schema (no data) and ninja's
# root (always 404). Everything else routed under /api/v1/ is an operation.
PUBLIC_ROUTES: dict[str, Rule] = {"openapi-json": Rule.PUBLIC, "api-root": Rule.PUBLIC}

# (prefix, router): one router per domain app.
ROUTERS: list[tuple[str, Router]] = [
    ("", placements.router),
    ("", children.router),
    ("", notices.router),
    ("", missing.router),
    ("", chronology.router),
    ("", family.router),
    ("", casework.router),
    ("", exploitation.router),
    ("", concerns.router),
    ("", interviews.router),
    ("", tasks.router),
    ("", webhooks.router),
]


class SightlineAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The operation's function name: ``record_placement``, ``get_child``..."""
        return operation.view_func.__name__


api = SightlineAPI(
    title="Sightline API",
    version="1",
    description=DESCRIPTION,
    urls_namespace=NAMESPACE,
    auth=ApiKeyAuth(),
    docs_url=None,  # ninja's docs page loads its assets from a CDN; the schema is what counts
    openapi_url="/openapi.json",
)
errors.install(api)
for prefix, router in ROUTERS:
    api.add_router(prefix, router)


def operations() -> Iterator[tuple[str, str, Any]]:
    """Every operation of the API as (method, path, view function)."""
    for prefix, router in ROUTERS:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield method, prefix + path, operation.view_func


def declared_rules() -> dict[tuple[str, str], tuple[Rule, Action | None] | None]:
    """The access rule each operation declares (``declare``), by (method, path); None where
    an operation has none, which ``tests/access/test_declarations.py`` refuses."""
    return {
        (method, path): getattr(func, "sightline_access", None)
        for method, path, func in operations()
    }
