"""The matching check a placement passes before it is recorded, and the decision taken on it
(issue 18 part 3, ADR 51): the hook, and the types both sides share.

The check reads missing episodes and exploitation screenings, which sit above this package,
so ``exploitation`` fills the hook in from its ``AppConfig.ready()`` (ADR 7) with two
functions: ``check`` works out the findings for a proposed placement, and ``decide`` checks a
decision against them and records it. ``placement_record_for`` and ``placement_decline_for``
(``services.py``) call both inside their transaction, so the web form, the API and anything
else that records a placement through the use case meet the same rules.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sightline.children.models import Child
from sightline.organisations.models import User


@dataclass(frozen=True)
class Approval:
    """The placing council's director's approval of a distant placement: who, when and what
    they said ("approved" or "not approved")."""

    name: str
    decided_on: dt.date | None
    outcome: str


@dataclass(frozen=True)
class Consultation:
    """The consultation with the host council about a distant placement: whom, when and what
    the host council said."""

    with_whom: str
    on: dt.date | None
    outcome: str


@dataclass(frozen=True)
class DecisionInput:
    """The decision on a matching check: to proceed or not, and why. ``approver`` is the user
    id of the senior officer who approves proceeding despite a warning."""

    proceed: bool
    reasons: str
    approver: int | None = None
    director: Approval | None = None
    consultation: Consultation | None = None


@dataclass(frozen=True)
class Proposal:
    """A placement as proposed: the child (None while a new child is being entered), the
    placing council, the setting (None for a new one: only its postcode is known)."""

    child: Child | None
    placing_council: str  # ONS code
    setting_id: uuid.UUID | None
    setting_postcode: str
    home_postcode: str
    start_date: dt.date


@dataclass(frozen=True)
class Finding:
    """One line of the check: a label, what was found, and whether it is a warning."""

    key: str
    label: str
    value: str
    warning: bool = False


@dataclass(frozen=True)
class DecisionNeeds:
    """What a decision to go ahead must carry after a check: reasons (anything to weigh), a
    named approver (a warning), the director's approval and the host council's consultation
    (a distant placement). A decision not to go ahead always needs reasons."""

    reasons: bool
    approver: bool
    director: bool
    consultation: bool


@dataclass(frozen=True)
class MatchingCheck:
    """What the check found. ``warnings`` need a named approver to proceed; ``distant`` needs
    the director's approval and the host council's consultation."""

    findings: tuple[Finding, ...]
    warnings: tuple[str, ...]
    distant: bool
    facts: dict[str, Any] = field(default_factory=dict)  # figures kept with the decision

    @property
    def needs(self) -> DecisionNeeds:
        """What going ahead needs: the one statement of it, read by the decision's rules
        (``exploitation.matching.placement_decision_record``) and shown by the API."""
        warned = bool(self.warnings)
        return DecisionNeeds(
            reasons=warned or self.distant,
            approver=warned,
            director=self.distant,
            consultation=self.distant,
        )


CheckFn = Callable[..., MatchingCheck]  # check(proposal=, actor=)
DecideFn = Callable[..., Any]  # decide(actor=, child=, proposal=, decision=, placement=)


@dataclass(frozen=True)
class _Hook:
    check: CheckFn
    decide: DecideFn


_hook: dict[str, _Hook] = {}


def matching_register(*, check: CheckFn, decide: DecideFn) -> None:
    """Fill the hook in (``exploitation``'s ``ready()``). Registering again replaces it."""
    _hook["matching"] = _Hook(check=check, decide=decide)


def matching_check(*, proposal: Proposal, actor: User) -> MatchingCheck | None:
    """The check for a proposed placement, or None when no package provides one."""
    hook = _hook.get("matching")
    return hook.check(proposal=proposal, actor=actor) if hook else None


def matching_decide(
    *,
    actor: User,
    child: Child,
    proposal: Proposal,
    decision: DecisionInput | None,
    placement: Any = None,
) -> Any:
    """Check the decision against the check (worked out now, and kept as it is now) and record
    it; raises ``ValidationError`` naming the answer at fault."""
    hook = _hook.get("matching")
    if hook is None:
        return None
    return hook.decide(
        actor=actor, child=child, proposal=proposal, decision=decision, placement=placement
    )
