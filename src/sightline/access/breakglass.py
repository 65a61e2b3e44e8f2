"""Break-glass: emergency access to a child's record by a user whose organisation is not
involved, with a written justification, for 4 hours; alerted and reviewed.

* ``break_glass_open`` checks that the justification says something, then grants the one user
  (not their colleagues) the ``BREAK_GLASS`` involvement for 4 hours, records it in the audit,
  and sends an emergency access alert to the reviewers and to the user's own organisation
  (which is told who and when, never which child: it was refused the child).
* ``break_glass_review`` lets an independent senior officer (team manager, nominated officer
  or administrator) mark a use justified or not, with a note: one of the placing council's,
  or, when the placing council is the user's own organisation, one of the host council's
  (the platform's administrators when it has none). A colleague in the user's own
  organisation may read the use but never review it: they would be marking their own
  organisation's work (ADR 0015).

A user who gives no justification learns nothing: the page that offers emergency access is the
same for a child that does not exist.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet

from sightline.access.models import (
    AccessGrant,
    BreakGlassReview,
    GrantReason,
    ReviewOutcome,
)
from sightline.access.policy import (
    BREAK_GLASS_ROLES,
    GRANT_INVOLVEMENT,
    POLICY,
    SENIOR_ROLES,
    Action,
    _load_child,
    grant_create,
    involvements,
    is_platform_operator,
)
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.core.calendar import LONDON
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now
from sightline.geography.models import Council
from sightline.organisations.models import OrganisationKind, User

logger = logging.getLogger(__name__)

BREAK_GLASS_HOURS = 4
JUSTIFICATION_MIN = 20
JUSTIFICATION_MIN_WORDS = 4
JUSTIFICATION_MAX = 2000
NOTE_MAX = 2000

JUSTIFICATION_EMPTY = "Enter why you need this child's record in an emergency"
JUSTIFICATION_TOO_THIN = "Explain why you need emergency access, in at least 4 words"
NOT_YOUR_REVIEW = (
    "You cannot review emergency access used by someone in your own organisation. "
    "A senior officer of an organisation that is independent of theirs reviews it"
)

# A word of letters, in any alphabet: digits and punctuation do not explain anything.
_WORD = re.compile(r"[^\W\d_]+")


def can_break_glass(user: User) -> bool:
    return bool(user.is_active and user.organisation_id and user.role in BREAK_GLASS_ROLES)


def standing_view(user: User, child: Child) -> bool:
    """Whether the user may already view the child without breaking the glass."""
    standing = involvements(user, child) - {GRANT_INVOLVEMENT[GrantReason.BREAK_GLASS]}
    return bool(POLICY[Action.VIEW].get(user.role, set()) & standing)


def _check_justification(text: str) -> str:
    """The reason is what a reviewer judges the use by, so it must say something: a length
    alone let "aaaa..." through."""
    text = " ".join(text.split())
    if not text:
        raise ValidationError(JUSTIFICATION_EMPTY, field="justification")
    if len(text) > JUSTIFICATION_MAX:
        raise ValidationError(
            f"Your reason must be {JUSTIFICATION_MAX:,} characters or fewer",
            field="justification",
        )
    words = [w.casefold() for w in _WORD.findall(text)]
    if (
        len(text) < JUSTIFICATION_MIN
        or len(words) < JUSTIFICATION_MIN_WORDS
        or len(set(text.replace(" ", "").casefold())) < 2
        or len(set(words)) < 2
    ):
        raise ValidationError(JUSTIFICATION_TOO_THIN, field="justification")
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
#
# Who reviews a use is derived from the grant, never chosen: the placing council's senior
# officers; when the placing council is the user's own organisation, the host council's
# (where the child was placed when the glass was broken); and when there is no such council
# with an active senior officer, the platform's operators (``policy.is_platform_operator``:
# active superusers, who belong to no organisation, so never the user's). Uses are rare,
# so the independent case is worked out in Python (ADR 0015).


def can_review(user: User) -> bool:
    return bool(
        user.is_active
        and ((user.organisation_id and user.role in SENIOR_ROLES) or is_platform_operator(user))
    )


def _senior(user: User) -> bool:
    return bool(user.is_active and user.organisation_id and user.role in SENIOR_ROLES)


def _by_placing_council(grant: AccessGrant) -> bool:
    org = grant.organisation
    return org.kind == OrganisationKind.COUNCIL and org.council_id == grant.child.placing_council_id


def break_glass_reviewer_councils(*, grant: AccessGrant) -> list[Council]:
    """The councils whose senior officers review this use; none means the platform's
    administrators do (the placing council used it and no independent council can)."""
    child = grant.child
    if not _by_placing_council(grant):
        return [child.placing_council]
    on = grant.starts_at.astimezone(LONDON).date()
    hosts = (
        child.placements.filter(start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=on))
        .exclude(host_council_id=child.placing_council_id)
        .exclude(host_council__isnull=True)
        .values_list("host_council_id", flat=True)
    )
    staffed = User.objects.filter(
        is_active=True,
        role__in=SENIOR_ROLES,
        organisation__kind=OrganisationKind.COUNCIL,
        organisation__council_id__in=list(hosts),
    ).values_list("organisation__council_id", flat=True)
    return list(Council.objects.filter(pk__in=list(staffed)).order_by("pk"))


def may_review(user: User, grant: AccessGrant) -> bool:
    """Whether this user is one of the use's independent reviewers (never the user)."""
    if not can_review(user) or grant.user_id == user.id:
        return False
    councils = break_glass_reviewer_councils(grant=grant)
    if not councils:
        return bool(is_platform_operator(user) and user.organisation_id != grant.organisation_id)
    org = user.organisation
    return bool(
        _senior(user)
        and org is not None
        and org.kind == OrganisationKind.COUNCIL
        and org.council_id in {c.pk for c in councils}
        and org.pk != grant.organisation_id
    )


def _uses() -> QuerySet[AccessGrant]:
    return (
        AccessGrant.objects.filter(reason=GrantReason.BREAK_GLASS)
        .select_related("user", "organisation", "child__placing_council", "review__reviewed_by")
        .annotate(looks=Count("records", filter=~Q(records__action="grant")))
        .order_by("-starts_at")
    )


def break_glass_reviewable_by(user: User) -> QuerySet[AccessGrant]:
    """Uses of emergency access this user reviews (the queue): exactly their reviewers see
    each one, and nobody sees their own."""
    if not can_review(user):
        return AccessGrant.objects.none()
    org = user.organisation
    scope = Q(
        organisation__kind=OrganisationKind.COUNCIL,
        child__placing_council_id=F("organisation__council_id"),
    )  # the placing council's own uses: reviewed independently
    if _senior(user) and org is not None and org.kind == OrganisationKind.COUNCIL:
        scope |= Q(child__placing_council_id=org.council_id)
    candidates = _uses().filter(scope).exclude(user=user)
    ids = [g.pk for g in candidates if may_review(user, g)]
    return _uses().filter(pk__in=ids)


def break_glass_visible_to(user: User) -> QuerySet[AccessGrant]:
    """Uses this user may read: those they review, and (read only, without the child) those
    of colleagues in their own organisation, whom the organisation's alert names."""
    if not can_review(user):
        return AccessGrant.objects.none()
    own = Q(organisation_id=user.organisation_id) if _senior(user) else Q(pk__in=[])
    reviewable = break_glass_reviewable_by(user).values("pk")
    return _uses().filter(own | Q(pk__in=reviewable)).exclude(user=user)


def break_glass_use(*, user: User, grant_id: Any) -> AccessGrant:
    try:
        return break_glass_visible_to(user).get(pk=grant_id)
    except (AccessGrant.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFoundOrNotAllowed() from exc
    except Exception as exc:  # a malformed UUID
        if exc.__class__.__name__ == "ValidationError":
            raise NotFoundOrNotAllowed() from exc
        raise


def break_glass_child_name(*, user: User, grant: AccessGrant) -> str:
    """The child as the rest of Sightline names it ("Alex T."), for a reader who may see the
    child without breaking the glass; empty for anyone else."""
    if not standing_view(user, grant.child):
        return ""
    first = grant.child.first_name.strip()
    initial = grant.child.last_name.strip()[:1].upper()
    return f"{first} {initial}." if initial else first


def break_glass_review(*, actor: User, grant_id: Any, outcome: str, note: str) -> BreakGlassReview:
    """Record an independent senior officer's verdict on one use. Once only.

    Raises NotFoundOrNotAllowed when the actor may not read the use, and ValidationError
    (field ``outcome``) when they may read it but not review it: a colleague of the user."""
    if outcome not in ReviewOutcome.values:
        raise ValidationError("Select whether the emergency access was justified", field="outcome")
    note = note.strip()
    if not note:
        raise ValidationError("Enter a note about your decision", field="note")
    if len(note) > NOTE_MAX:
        raise ValidationError(f"The note must be {NOTE_MAX:,} characters or fewer", field="note")
    with transaction.atomic():
        grant = break_glass_use(user=actor, grant_id=grant_id)
        if not may_review(actor, grant):
            raise ValidationError(NOT_YOUR_REVIEW, field="outcome")
        AccessGrant.objects.select_for_update().filter(pk=grant.pk).first()
        if BreakGlassReview.objects.filter(grant=grant).exists():
            raise ValidationError(
                "This use of emergency access has already been reviewed", field="outcome"
            )
        review = BreakGlassReview.objects.create(
            grant=grant, outcome=outcome, note=note, reviewed_by=actor, reviewed_at=now()
        )
        audit_append(
            actor=actor,
            verb=AuditVerb.EMERGENCY_ACCESS_REVIEWED,
            obj=review,
            child=grant.child_id,
            payload={"outcome": str(outcome)},
            purpose=f"{ReviewOutcome(outcome).label}: {note}",
            grant=grant,
        )
    logger.info("break-glass review grant=%s outcome=%s actor=%s", grant.id, outcome, actor.id)
    return review
