"""What other packages add to a child's chronology automatically (issue 17, the shared
contract).

Placements, notices, missing episodes and return interviews sit below the chronology and are
read by it directly (``sources.py``, registered here from ``ChronologyConfig.ready``). The
packages above it (casework meetings, the family's statements and plans, exploitation
screenings and referrals) cannot be imported by it: each registers a source from its own
``AppConfig.ready()`` (ADR 7). A source is called as ``fetch(child=child, user=user)`` for a
child the user may view the chronology of, and returns only the items the user may see.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AutoEntry:
    occurred_at: dt.datetime  # when it happened (aware)
    kind: str  # "placement", "notice", "episode", "interview", "meeting", "screening", ...
    label: str  # what the row says; never a name or date of birth
    organisation_id: uuid.UUID | None  # the source agency
    significance: str  # "routine" | "significant" | "critical"
    url: str = ""  # link to the record page, if any


ChronologySource = Callable[..., Iterable[AutoEntry]]  # called as fetch(child=child, user=user)

_sources: dict[str, ChronologySource] = {}


def chronology_source_register(*, name: str, fetch: ChronologySource) -> None:
    """Add a source of automatic entries. Registering a name again replaces it."""
    _sources[name] = fetch


def chronology_sources() -> dict[str, ChronologySource]:
    """Every registered source, by name, in the order registered."""
    return dict(_sources)


def chronology_dict_source_register(
    *, name: str, fetch: Callable[..., Iterable[dict[str, object]]]
) -> None:
    """Register a source written against the contract's plain dicts (the keys of
    ``AutoEntry``): the packages above were built beside this one and return dicts."""

    def entries(**kwargs: object) -> list[AutoEntry]:
        return [AutoEntry(**item) for item in fetch(**kwargs)]  # type: ignore[arg-type]

    chronology_source_register(name=name, fetch=entries)
