"""Writes of the child's voice, plan and family: each takes the acting user, checks the access
policy, runs in one transaction with its audit event, and sends e-mail only on commit.

The appropriate-language checker runs here, on the text professionals write (a statement's
context, the plan, a restriction's reason, what was shared), never on the child's own words:
a flagged phrase is refused until the writer confirms the wording (``language_confirmed``),
and the phrases kept are recorded with ``language_flags_record``. Forms and the API call the
same services, so the same input gets the same answer.

A restricted parent (a risk to the child) is never contacted automatically by any channel:
``parent_invite`` and ``parent_code_send`` refuse them, restricting a parent ends their open
invitations in the same transaction, and nothing is recorded as shared with them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse

from sightline.access.policy import Action, ChildAccess, require_write
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.children.selectors import age_on
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.core.timeutil import today
from sightline.family.models import (
    ChildStatement,
    ContactPreference,
    Parent,
    ParentCode,
    ParentInvitation,
    ParentSharing,
    PlanVersion,
    Relationship,
    SharingChannel,
    StatementOccasion,
    StatementTopic,
)
from sightline.language.checker import Flag, check_text
from sightline.language.services import language_flags_record
from sightline.notifications import conf as notification_conf
from sightline.notifications import links
from sightline.notifications.secure_view import code_hash, code_matches, code_new
from sightline.organisations.models import Organisation, User

logger = logging.getLogger(__name__)

TEXT_MAX = 10_000
INVITATION_DAYS = 28
INVITATION_DAYS_MAX = 90
CODE_MINUTES = 10
VIEW_MINUTES = 30
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 3


# --- Checks shared by every service --------------------------------------------------------


def _no_control(value: str, *, field: str, record: str) -> str:
    """Control characters (a NUL, which PostgreSQL cannot store in text, among them) are
    refused, naming the field; tabs and line breaks are text."""
    if any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 for c in value):
        raise ValidationError("Enter it without control characters", field=field, record=record)
    return value


def _text(value: str, *, field: str, record: str, required: bool = True) -> str:
    value = _no_control((value or "").strip(), field=field, record=record)
    if required and not value:
        raise ValidationError("Enter this", field=field, record=record)
    if len(value) > TEXT_MAX:
        raise ValidationError(
            f"Must be {TEXT_MAX:,} characters or fewer", field=field, record=record
        )
    return value


def _choice(value: str, choices: Any, *, field: str, record: str) -> str:
    if value not in choices.values:
        raise ValidationError(
            "Choose one of: " + ", ".join(str(label) for label in choices.labels),
            field=field,
            record=record,
        )
    return value


def _language(
    texts: dict[str, str], *, child: Child, confirmed: bool, record: str
) -> dict[str, list[Flag]]:
    """The flagged phrases in professionals' text. Unconfirmed, the first is refused with the
    suggestion, naming the record and field; confirmed, they are returned to be kept."""
    age = age_on(child.date_of_birth, today())
    found = {name: check_text(text, child_age=age) for name, text in texts.items() if text}
    found = {name: flags for name, flags in found.items() if flags}
    if found and not confirmed:
        name, flags = next(iter(found.items()))
        flag = flags[0]
        matched = " ".join(flag.matched_text.split())
        raise ValidationError(
            f"“{matched}”: consider “{flag.suggestion}”. {flag.reason} Change the wording, or "
            "confirm that you want to save it as it is",
            field=name,
            record=record,
        )
    return found


def _keep_flags(
    actor: User, flags: dict[str, list[Flag]], *, record_kind: str, record_id: Any
) -> int:
    for field, found in flags.items():
        language_flags_record(
            actor=actor, record_kind=record_kind, record_id=record_id, field=field, flags=found
        )
    return sum(len(found) for found in flags.values())


def _organisation(actor: User) -> Organisation:
    if actor.organisation is None:  # pragma: no cover - the policy admits no one without one
        raise NotFoundOrNotAllowed()
    return actor.organisation


def _digest(address: str) -> str:
    return hashlib.sha256(address.lower().encode()).hexdigest()


def _when(value: dt.datetime | None, *, field: str, record: str) -> dt.datetime:
    if value is None:
        raise ValidationError("Enter a date and time", field=field, record=record)
    if value.tzinfo is None:
        raise ValidationError("Give the time zone of the time", field=field, record=record)
    if value > current_time():
        raise ValidationError("Must be now or in the past", field=field, record=record)
    return value


# --- The child's words -----------------------------------------------------------------------


def child_statement_record(
    *,
    actor: User,
    child: Child,
    topic: str,
    occasion: str,
    words: str,
    said_at: dt.datetime | None,
    said_to: str,
    context: str = "",
    language_confirmed: bool = False,
    checked: ChildAccess | None = None,
) -> ChildStatement:
    """Keep what the child said, in their own words, with when and to whom."""
    record = "Child's words"
    access = require_write(actor, child, action=Action.RECORD_CHILD_VOICE, checked=checked)
    topic = _choice(topic, StatementTopic, field="topic", record=record)
    occasion = _choice(occasion, StatementOccasion, field="occasion", record=record)
    words = _text(words, field="words", record=record)
    said_to = _text(said_to, field="said_to", record=record)[:200]
    context = _text(context, field="context", record=record, required=False)
    said_at = _when(said_at, field="said_at", record=record)
    flags = _language(
        {"context": context}, child=child, confirmed=language_confirmed, record=record
    )
    with transaction.atomic():
        statement = ChildStatement.objects.create(
            child=child,
            topic=topic,
            occasion=occasion,
            words=words,
            said_at=said_at,
            said_to=said_to,
            context=context,
            organisation=_organisation(actor),
            recorded_by=actor,
        )
        kept = _keep_flags(actor, flags, record_kind="family.statement", record_id=statement.pk)
        audit_append(
            actor=actor,
            verb=AuditVerb.CHILD_STATEMENT_RECORDED,
            obj=statement,
            child=child,
            payload={"topic": topic, "occasion": occasion, "language_flags": kept},
            involvement=access.involvement,
            grant=access.grant,
        )
    logger.info("child statement id=%s recorded child=%s", statement.id, child.id)
    return statement


# --- The plan --------------------------------------------------------------------------------


def plan_version_record(
    *,
    actor: User,
    child: Child,
    summary: str,
    child_took_part: bool,
    child_views: str = "",
    carers_took_part: str = "",
    agencies: Sequence[Organisation] = (),
    language_confirmed: bool = False,
    checked: ChildAccess | None = None,
) -> PlanVersion:
    """A new version of the child's plan, with who took part. Nothing is overwritten."""
    record = "Child's plan"
    access = require_write(actor, child, action=Action.RECORD_PLAN, checked=checked)
    summary = _text(summary, field="summary", record=record)
    child_views = _text(child_views, field="child_views", record=record, required=False)
    carers_took_part = _text(
        carers_took_part, field="carers_took_part", record=record, required=False
    )
    if child_took_part and not child_views:
        raise ValidationError(
            "Enter what the child said about the plan, in their words",
            field="child_views",
            record=record,
        )
    flags = _language(
        {"summary": summary, "carers_took_part": carers_took_part},
        child=child,
        confirmed=language_confirmed,
        record=record,
    )
    with transaction.atomic():
        # One writer at a time per child: the version numbers follow on.
        Child.objects.select_for_update().filter(pk=child.pk).first()
        last = PlanVersion.objects.filter(child=child).order_by("-version").first()
        plan = PlanVersion.objects.create(
            child=child,
            version=(last.version + 1) if last else 1,
            summary=summary,
            child_took_part=child_took_part,
            child_views=child_views,
            carers_took_part=carers_took_part,
            organisation=_organisation(actor),
            written_by=actor,
        )
        unique = {org.pk: org for org in agencies}
        plan.agencies.set(list(unique.values()))
        kept = _keep_flags(actor, flags, record_kind="family.plan", record_id=plan.pk)
        audit_append(
            actor=actor,
            verb=AuditVerb.PLAN_VERSION_RECORDED,
            obj=plan,
            child=child,
            payload={
                "version": plan.version,
                "child_took_part": child_took_part,
                "agencies": len(unique),
                "language_flags": kept,
            },
            involvement=access.involvement,
            grant=access.grant,
        )
    logger.info("plan version id=%s (%s) recorded child=%s", plan.id, plan.version, child.id)
    return plan


# --- Parents and carers ----------------------------------------------------------------------


def _parent_fields(
    *,
    record: str,
    contact_preference: str,
    email: str,
    phone: str,
    restricted: bool,
    restriction_reason: str,
) -> tuple[str, str, str, str]:
    contact_preference = _choice(
        contact_preference, ContactPreference, field="contact_preference", record=record
    )
    email = _no_control((email or "").strip().lower()[:254], field="email", record=record)
    phone = _no_control((phone or "").strip()[:30], field="phone", record=record)
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        raise ValidationError(
            "Enter an e-mail address in the correct format, like name@example.com",
            field="email",
            record=record,
        )
    if contact_preference == ContactPreference.EMAIL and not email:
        raise ValidationError(
            "Enter the e-mail address, or choose another way to contact them",
            field="email",
            record=record,
        )
    if contact_preference == ContactPreference.PHONE and not phone:
        raise ValidationError(
            "Enter the phone number, or choose another way to contact them",
            field="phone",
            record=record,
        )
    restriction_reason = _text(
        restriction_reason, field="restriction_reason", record=record, required=restricted
    )
    return contact_preference, email, phone, restriction_reason


def parent_record(
    *,
    actor: User,
    child: Child,
    name: str,
    relationship: str,
    contact_preference: str,
    email: str = "",
    phone: str = "",
    parental_responsibility: bool = False,
    restricted: bool = False,
    restriction_reason: str = "",
    language_confirmed: bool = False,
    checked: ChildAccess | None = None,
) -> Parent:
    """Record a parent or carer with their relationship, how to contact them and any
    restriction."""
    record = "Parent or carer"
    access = require_write(actor, child, action=Action.MANAGE_PARENTS, checked=checked)
    name = _text(name, field="name", record=record)[:200]
    relationship = _choice(relationship, Relationship, field="relationship", record=record)
    contact_preference, email, phone, restriction_reason = _parent_fields(
        record=record,
        contact_preference=contact_preference,
        email=email,
        phone=phone,
        restricted=restricted,
        restriction_reason=restriction_reason,
    )
    flags = _language(
        {"restriction_reason": restriction_reason},
        child=child,
        confirmed=language_confirmed,
        record=record,
    )
    with transaction.atomic():
        parent = Parent.objects.create(
            child=child,
            name=name,
            relationship=relationship,
            parental_responsibility=parental_responsibility,
            contact_preference=contact_preference,
            email=email,
            phone=phone,
            restricted=restricted,
            restriction_reason=restriction_reason if restricted else "",
            organisation=_organisation(actor),
            recorded_by=actor,
        )
        _keep_flags(actor, flags, record_kind="family.parent", record_id=parent.pk)
        audit_append(
            actor=actor,
            verb=AuditVerb.PARENT_RECORDED,
            obj=parent,
            child=child,
            payload={"relationship": relationship, "restricted": restricted},
            involvement=access.involvement,
            grant=access.grant,
        )
    logger.info("parent id=%s recorded child=%s", parent.id, child.id)
    return parent


def parent_update(
    *,
    actor: User,
    parent: Parent,
    contact_preference: str,
    email: str,
    phone: str,
    restricted: bool,
    restriction_reason: str,
    language_confirmed: bool = False,
    checked: ChildAccess | None = None,
) -> Parent:
    """Change how to contact a parent and whether they are restricted. Restricting a parent
    ends every open invitation to the parent's view at once, in the same transaction."""
    record = "Parent or carer"
    access = require_write(actor, parent.child, action=Action.MANAGE_PARENTS, checked=checked)
    contact_preference, email, phone, restriction_reason = _parent_fields(
        record=record,
        contact_preference=contact_preference,
        email=email,
        phone=phone,
        restricted=restricted,
        restriction_reason=restriction_reason,
    )
    flags = _language(
        {"restriction_reason": restriction_reason},
        child=parent.child,
        confirmed=language_confirmed,
        record=record,
    )
    at = current_time()
    with transaction.atomic():
        locked = Parent.objects.select_for_update().get(pk=parent.pk)
        new = {
            "contact_preference": contact_preference,
            "email": email,
            "phone": phone,
            "restricted": restricted,
            "restriction_reason": restriction_reason if restricted else "",
        }
        changed = [name for name, value in new.items() if getattr(locked, name) != value]
        for name, value in new.items():
            setattr(locked, name, value)
        locked.save()
        _keep_flags(actor, flags, record_kind="family.parent", record_id=locked.pk)
        audit_append(
            actor=actor,
            verb=AuditVerb.PARENT_CHANGED,
            obj=locked,
            child=locked.child_id,
            payload={"fields": sorted(changed), "restricted": restricted},
            involvement=access.involvement,
            grant=access.grant,
        )
        if restricted:
            for invitation in ParentInvitation.objects.select_for_update().filter(
                parent=locked, ended_at__isnull=True
            ):
                _end(actor, invitation, at=at, reason="parent restricted")
    logger.info("parent id=%s changed fields=%s", parent.id, ",".join(sorted(changed)))
    return locked


def parent_sharing_record(
    *,
    actor: User,
    parent: Parent,
    what: str,
    channel: str,
    shared_at: dt.datetime | None,
    language_confirmed: bool = False,
    checked: ChildAccess | None = None,
) -> ParentSharing:
    """Log what was shared with a parent, when and by whom. A restricted parent is shown
    nothing, so nothing can be logged as shared with them."""
    record = "Sharing with a parent"
    access = require_write(
        actor, parent.child, action=Action.RECORD_PARENT_SHARING, checked=checked
    )
    if parent.restricted:
        raise ValidationError(
            "This parent is restricted: nothing is shared with them", field="parent", record=record
        )
    what = _text(what, field="what", record=record)
    channel = _choice(channel, SharingChannel, field="channel", record=record)
    if channel == SharingChannel.PARENT_VIEW:
        raise ValidationError(
            "The parent's view records its own looks; choose how you shared it",
            field="channel",
            record=record,
        )
    shared_at = _when(shared_at, field="shared_at", record=record)
    flags = _language(
        {"what": what}, child=parent.child, confirmed=language_confirmed, record=record
    )
    with transaction.atomic():
        sharing = ParentSharing.objects.create(
            parent=parent,
            child=parent.child,
            what=what,
            channel=channel,
            shared_at=shared_at,
            shared_by=actor,
            organisation=_organisation(actor),
        )
        _keep_flags(actor, flags, record_kind="family.sharing", record_id=sharing.pk)
        audit_append(
            actor=actor,
            verb=AuditVerb.PARENT_SHARING_RECORDED,
            obj=sharing,
            child=parent.child_id,
            payload={"channel": channel},
            involvement=access.involvement,
            grant=access.grant,
        )
    logger.info("parent sharing id=%s recorded parent=%s", sharing.id, parent.id)
    return sharing


# --- The parent's view: invitation, code, looks ----------------------------------------------


def parent_view_url(invitation: ParentInvitation) -> str:
    token = links.link_sign(
        purpose=links.Purpose.PARENT_VIEW,
        # The address's digest, never the address: a signed link is readable by anyone who
        # holds it, and a refused one reaches the request log (security review).
        value={"i": str(invitation.id), "a": _digest(invitation.email)},
    )
    return notification_conf.base_url() + reverse("parent_view", args=[token])


def _send(*, to: str, subject: str, lines: list[str]) -> None:
    EmailMessage(
        subject=subject,
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    ).send(fail_silently=False)


def parent_invite(
    *, actor: User, parent: Parent, days: int = INVITATION_DAYS, checked: ChildAccess | None = None
) -> ParentInvitation:
    """Invite a parent to the narrow view of the plan and contacts: a signed link e-mailed to
    the parent's address; the view opens with a one-time code sent to the same address.
    Refused for a restricted parent and for a parent with no e-mail address."""
    record = "Invitation to the parent's view"
    access = require_write(actor, parent.child, action=Action.MANAGE_PARENTS, checked=checked)
    if parent.restricted:
        raise ValidationError(
            "This parent is restricted: they are never contacted and never see anything",
            field="parent",
            record=record,
        )
    if not parent.email:
        raise ValidationError(
            "Add the parent's e-mail address before inviting them", field="email", record=record
        )
    if not 1 <= days <= INVITATION_DAYS_MAX:
        raise ValidationError(
            f"Must be between 1 and {INVITATION_DAYS_MAX} days", field="days", record=record
        )
    at = current_time()
    with transaction.atomic():
        locked = Parent.objects.select_for_update().get(pk=parent.pk)
        if locked.restricted:  # restricted since the page was read
            raise ValidationError(
                "This parent is restricted: they are never contacted and never see anything",
                field="parent",
                record=record,
            )
        for open_one in ParentInvitation.objects.select_for_update().filter(
            parent=locked, ended_at__isnull=True
        ):
            _end(actor, open_one, at=at, reason="replaced")
        invitation = ParentInvitation.objects.create(
            parent=locked,
            child=locked.child,
            email=locked.email,
            invited_by=actor,
            organisation=_organisation(actor),
            ends_at=at + dt.timedelta(days=days),
        )
        audit_append(
            actor=actor,
            verb=AuditVerb.PARENT_INVITED,
            obj=invitation,
            child=locked.child_id,
            payload={"days": days},
            involvement=access.involvement,
            grant=access.grant,
        )
        url = parent_view_url(invitation)
        sender = _organisation(actor).name
        transaction.on_commit(
            lambda: _send(
                to=invitation.email,
                subject=f"{sender} has invited you to see your child's plan",
                lines=[
                    f"{sender} has invited you to see your child's plan and who to contact.",
                    "",
                    f"Open this link: {url}",
                    "",
                    "We will send a code to this e-mail address when you open it. The link "
                    f"works until {invitation.ends_at:%d %B %Y} unless the social worker "
                    "ends it sooner. If you were not expecting this, tell the council.",
                ],
            )
        )
    logger.info("parent invitation id=%s sent parent=%s", invitation.id, parent.id)
    return invitation


def _end(actor: User | None, invitation: ParentInvitation, *, at: dt.datetime, reason: str) -> None:
    invitation.ended_at = at
    invitation.ended_by = actor
    invitation.save(update_fields=["ended_at", "ended_by", "updated_at"])
    audit_append(
        actor=actor,
        verb=AuditVerb.PARENT_INVITATION_ENDED,
        obj=invitation,
        child=invitation.child_id,
        payload={"reason": reason},
    )


def parent_invitation_end(
    *, actor: User, invitation: ParentInvitation, checked: ChildAccess | None = None
) -> ParentInvitation:
    """End a parent's invitation now: the link and any open view stop working at once."""
    require_write(actor, invitation.child, action=Action.MANAGE_PARENTS, checked=checked)
    with transaction.atomic():
        locked = ParentInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.ended_at is None:
            _end(actor, locked, at=current_time(), reason="ended by social worker")
    logger.info("parent invitation id=%s ended", invitation.id)
    return locked


def parent_invitation_open(*, invitation_id: Any, address: str) -> ParentInvitation:
    """The invitation a link names, if it is still open, went to this address (``address``:
    the digest the link carries) which is still the parent's, and its parent is not
    restricted; else ``NotFoundOrNotAllowed``. Checked on every request."""
    invitation = (
        ParentInvitation.objects.select_related("parent", "child").filter(pk=invitation_id).first()
    )
    if (
        invitation is None
        or not hmac.compare_digest(_digest(invitation.email), str(address))
        # The parent's address changed since (a wrong or compromised mailbox corrected): the
        # link sent to the old one no longer opens.
        or invitation.email.lower() != invitation.parent.email.lower()
        or invitation.ended_at is not None
        or invitation.ends_at <= current_time()
        or invitation.parent.restricted
    ):
        raise NotFoundOrNotAllowed()
    return invitation


def parent_code_send(*, invitation_id: Any, address: str) -> ParentCode:
    """Send a one-time code to the invited address (never to a restricted parent)."""
    invitation = parent_invitation_open(invitation_id=invitation_id, address=address)
    at = current_time()
    recent = ParentCode.objects.filter(
        invitation=invitation, created_at__gte=at - dt.timedelta(hours=1)
    ).count()
    if recent >= MAX_CODES_PER_HOUR:
        raise ValidationError(
            "We have sent 3 codes in the last hour. Use the latest one, or try again later",
            field="code",
        )
    code = code_new()
    with transaction.atomic():
        row = ParentCode(invitation=invitation, expires_at=at + dt.timedelta(minutes=CODE_MINUTES))
        row.code_hash = code_hash(code, code_id=row.id)
        row.save()
        audit_append(
            actor=None,
            verb=AuditVerb.PARENT_CODE_SENT,
            obj=invitation,
            child=invitation.child_id,
            organisation=invitation.organisation,
            payload={"address": _digest(invitation.email)},
            at=at,
        )
        email = invitation.email
        transaction.on_commit(
            lambda: _send(
                to=email,
                subject="Your Sightline code",
                lines=[
                    f"Your code is {code}",
                    "",
                    f"Enter it on the page within {CODE_MINUTES} minutes. If you did not ask "
                    "for it, tell the council.",
                ],
            )
        )
    logger.info("parent code id=%s sent invitation=%s", row.id, invitation.id)
    return row


def parent_code_check(*, invitation_id: Any, address: str, code: str) -> dt.datetime:
    """A correct, unexpired, unused code: returns until when the view is open."""
    invitation = parent_invitation_open(invitation_id=invitation_id, address=address)
    at = current_time()
    with transaction.atomic():
        row = (
            ParentCode.objects.select_for_update()
            .filter(invitation=invitation, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if row is None or row.expires_at <= at or row.attempts >= MAX_ATTEMPTS:
            raise ValidationError("The code has expired. Ask for a new one", field="code")
        row.attempts += 1
        good = code_matches(row.code_hash, code, code_id=row.id)
        if good:
            row.used_at = at
        row.save(update_fields=["attempts", "used_at", "updated_at"])
    if not good:
        raise ValidationError("The code is not right. Check the e-mail and try again", field="code")
    return min(at + dt.timedelta(minutes=VIEW_MINUTES), invitation.ends_at)


def parent_view_look(*, invitation_id: Any, address: str, page: str) -> ParentInvitation:
    """One look at the parent's view: on the audit chain, and in the sharing log (what was
    shared with the parent, when, and through which invitation)."""
    invitation = parent_invitation_open(invitation_id=invitation_id, address=address)
    at = current_time()
    with transaction.atomic():
        audit_append(
            actor=None,
            verb=AuditVerb.PARENT_VIEW_LOOKED,
            obj=invitation,
            child=invitation.child_id,
            organisation=invitation.organisation,
            payload={"page": page},
            at=at,
        )
        ParentSharing.objects.create(
            parent=invitation.parent,
            child=invitation.child,
            what=f"Looked at the {page} in the parent's view",
            channel=SharingChannel.PARENT_VIEW,
            shared_at=at,
            shared_by=invitation.invited_by,
            organisation=invitation.organisation,
        )
    logger.info("parent view invitation=%s looked page=%s", invitation.id, page)
    return invitation
