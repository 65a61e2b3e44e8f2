"""Break-glass: emergency access to a child's record by a user whose organisation is not
involved, with a written justification, for 4 hours; alerted and reviewed.

* ``break_glass_open`` checks the justification, then grants the one user (not their
  colleagues) the ``BREAK_GLASS`` involvement for 4 hours, records it in the audit, and sends
  an emergency access alert to the placing council and to the user's own organisation.
* ``break_glass_review`` lets a senior officer (team manager, nominated officer or
  administrator) of the placing council or of the user's organisation mark a use justified
  or not, with a note. Nobody reviews their own use.

A user who gives no justification learns nothing: the page that offers emergency access is the
same for a child that does not exist.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from sightline.access.audit import audit_append
from sightline.access.models import (
    AccessGrant,
    AuditKind,
    BreakGlassReview,
    GrantReason,
    ReviewOutcome,
)
from sightline.access.policy import (
    BREAK_GLASS_ROLES,
    GRANT_INVOLVEMENT,
    POLICY,
    Action,
    _load_child,
    grant_create,
    involvements,
    may,
)
from sightline.children.models import Child
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now
from sightline.organisations.models import OrganisationKind, User

logger = logging.getLogger(__name__)

BREAK_GLASS_HOURS = 4
JUSTIFICATION_MIN = 40
JUSTIFICATION_MAX = 2000
NOTE_MAX = 2000


def can_break_glass(user: User) -> bool:
    return bool(user.is_active and user.organisation_id and user.role in BREAK_GLASS_ROLES)


def standing_view(user: User, child: Child) -> bool:
    """Whether the user may already view the child without breaking the glass."""
    standing = involvements(user, child) - {GRANT_INVOLVEMENT[GrantReason.BREAK_GLASS]}
    return bool(POLICY[Action.VIEW].get(user.role, set()) & standing)


def _check_justification(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValidationError(
            "Enter why you need this child's record in an emergency", field="justification"
        )
    if len(text) < JUSTIFICATION_MIN:
        raise ValidationError(
            f"Your reason must be {JUSTIFICATION_MIN} characters or more: say what the "
            "emergency is and why you need this child's record",
            field="justification",
        )
    if len(text) > JUSTIFICATION_MAX:
        raise ValidationError(
            f"Your reason must be {JUSTIFICATION_MAX:,} characters or fewer",
            field="justification",
        )
    return text


def break_glass_active(*, user: User, child_id: Any) -> AccessGrant | None:
    at = now()
    return (
        AccessGrant.objects.filter(
            reason=GrantReason.BREAK_GLASS, user=user, child_id=child_id, starts_at__lte=at
        )
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
        .first()
    )


# Who sends the emergency access alert. ``access`` sits below the outbox, so it cannot send a
# notice itself: the module that composes the alert registers it at start-up
# (``sightline.placements.apps``), and ``break_glass_open`` calls it inside its transaction,
# so that a grant is never made without its alert (ADR 0009).
BreakGlassAlert = Callable[..., object]
_alerts: list[BreakGlassAlert] = []


def break_glass_alert_register(alert: BreakGlassAlert) -> None:
    """Register ``alert(grant=..., user=...)``, called once per new break-glass grant."""
    if alert not in _alerts:
        _alerts.append(alert)


def _alert(*, grant: AccessGrant, user: User) -> None:
    if not _alerts:
        # Refuse rather than open a record nobody is told about.
        raise RuntimeError("No break-glass alert is registered; emergency access is off.")
    for alert in _alerts:
        alert(grant=grant, user=user)


def break_glass_open(*, user: User, child_id: Any, justification: str) -> AccessGrant:
    """Open a child's record in an emergency. Returns the grant (an active one is reused).

    Raises ValidationError (field ``justification``) before looking the child up, and
    NotFoundOrNotAllowed when the child does not exist or the user's role may not break the
    glass.
    """
    if not can_break_glass(user):
        raise NotFoundOrNotAllowed()
    text = _check_justification(justification)
    child = _load_child(child_id)
    with transaction.atomic():
        existing = break_glass_active(user=user, child_id=child.id)
        if existing is not None:
            return existing
        starts = now()
        assert user.organisation is not None
        grant = grant_create(
            actor=user,
            organisation=user.organisation,
            user=user,
            child=child,
            reason=GrantReason.BREAK_GLASS,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=BREAK_GLASS_HOURS),
            about_id=None,
            purpose=f"Emergency access: {text}",
            justification=text,
        )
        _alert(grant=grant, user=user)
    logger.warning(
        "break-glass grant id=%s child=%s user=%s organisation=%s",
        grant.id,
        child.id,
        user.id,
        user.organisation_id,
    )
    return grant


# --- Review --------------------------------------------------------------------------------


def can_review(user: User) -> bool:
    return may(user, Action.REVIEW_EMERGENCY_ACCESS)


def break_glass_reviewable_by(user: User) -> QuerySet[AccessGrant]:
    """Uses of emergency access this senior officer may review: by users of their own
    organisation, or of children their council placed; never their own."""
    if not can_review(user):
        return AccessGrant.objects.none()
    org = user.organisation
    assert org is not None
    scope = Q(organisation=org)
    if org.kind == OrganisationKind.COUNCIL and org.council_id:
        scope |= Q(child__placing_council_id=org.council_id)
    return (
        AccessGrant.objects.filter(scope, reason=GrantReason.BREAK_GLASS)
        .exclude(user=user)
        .select_related("user", "organisation", "child__placing_council", "review__reviewed_by")
        .annotate(looks=Count("records", filter=~Q(records__action="grant")))
        .order_by("-starts_at")
    )


def break_glass_use(*, user: User, grant_id: Any) -> AccessGrant:
    try:
        return break_glass_reviewable_by(user).get(pk=grant_id)
    except (AccessGrant.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFoundOrNotAllowed() from exc
    except Exception as exc:  # a malformed UUID
        if exc.__class__.__name__ == "ValidationError":
            raise NotFoundOrNotAllowed() from exc
        raise


def break_glass_review(*, actor: User, grant_id: Any, outcome: str, note: str) -> BreakGlassReview:
    """Record a senior officer's verdict on one use. Once only."""
    if outcome not in ReviewOutcome.values:
        raise ValidationError("Select whether the emergency access was justified", field="outcome")
    note = note.strip()
    if not note:
        raise ValidationError("Enter a note about your decision", field="note")
    if len(note) > NOTE_MAX:
        raise ValidationError(f"The note must be {NOTE_MAX:,} characters or fewer", field="note")
    with transaction.atomic():
        grant = break_glass_use(user=actor, grant_id=grant_id)
        AccessGrant.objects.select_for_update().filter(pk=grant.pk).first()
        if BreakGlassReview.objects.filter(grant=grant).exists():
            raise ValidationError(
                "This use of emergency access has already been reviewed", field="outcome"
            )
        review = BreakGlassReview.objects.create(
            grant=grant, outcome=outcome, note=note, reviewed_by=actor, reviewed_at=now()
        )
        audit_append(
            kind=AuditKind.REVIEW,
            action="review emergency access",
            user=actor,
            child_id=grant.child_id,
            purpose=f"{ReviewOutcome(outcome).label}: {note}",
            grant_id=grant.id,
            object_type="break-glass review",
            object_id=review.id,
        )
    logger.info("break-glass review grant=%s outcome=%s actor=%s", grant.id, outcome, actor.id)
    return review
