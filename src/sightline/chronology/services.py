"""Writes to a child's one chronology (issue 17): add an entry, or correct one by adding a
new entry that supersedes it. There is nothing else: no change, no deletion (append-only).

The web form, the API and anything else that writes an entry call these services, which
hold every rule: who may write (``Action.ADD_CHRONOLOGY_ENTRY``; a correction only by the
source agency), the type and significance, the date of the event (not in the future), the
text (the appropriate-language checker: flagged wording is refused until the writer confirms
it, and the phrases confirmed are kept), and which organisations a restricted entry is for.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from typing import Any

from django.db import transaction

from sightline.access.policy import Action, ChildAccess, require_write
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.children.selectors import age_on
from sightline.chronology.models import ChronologyEntry, EntryType, Significance
from sightline.chronology.selectors import chronology_audience_choices
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now, today
from sightline.language.checker import check_text
from sightline.language.services import language_flags_record
from sightline.organisations.models import Organisation, User

logger = logging.getLogger(__name__)

TEXT_MAX = 10_000
# A clock a few minutes fast on the writer's device is not an event in the future.
FUTURE_SLACK = dt.timedelta(minutes=5)
LANGUAGE_RECORD_KIND = "chronology.entry"


def _record(child: Child) -> str:
    return f"Child {child.child_ref}"


def _choice(value: str, choices: Any, *, field: str, message: str, record: str) -> str:
    if value not in choices.values:
        raise ValidationError(message, field=field, record=record)
    return value


def _language(*, text: str, child: Child, confirmed: bool, record: str) -> list[Any]:
    """The flagged phrases in the text: refused unless the writer confirmed the wording."""
    flags = check_text(text, child_age=age_on(child.date_of_birth, today()))
    if flags and not confirmed:
        first = flags[0]
        matched = " ".join(first.matched_text.split())
        raise ValidationError(
            f"Check the wording of the entry: “{matched}”: consider “{first.suggestion}”. "
            f"{first.reason} Change the wording, or confirm that you want to save it as it is.",
            field="text",
            record=record,
        )
    return flags


def _audience(
    *,
    access: ChildAccess,
    actor: User,
    restricted: bool,
    visible_to: Collection[Any],
    record: str,
) -> list[Organisation]:
    ids = {str(v.pk if isinstance(v, Organisation) else v) for v in visible_to}
    if not restricted:
        if ids:
            raise ValidationError(
                "Name organisations only for an entry marked for named organisations only",
                field="visible_to",
                record=record,
            )
        return []
    if not ids:
        raise ValidationError(
            "Select the organisations that may read the entry",
            field="visible_to",
            record=record,
        )
    allowed = {str(o.pk): o for o in chronology_audience_choices(access=access, user=actor)}
    unknown = ids - set(allowed)
    if unknown:
        raise ValidationError(
            "An entry can be marked only for organisations involved with the child: "
            f"{len(unknown)} of those named {'is' if len(unknown) == 1 else 'are'} not",
            field="visible_to",
            record=record,
        )
    return [allowed[i] for i in sorted(ids)]


def chronology_entry_add(
    *,
    actor: User,
    child: Child,
    entry_type: str,
    significance: str,
    occurred_at: dt.datetime,
    text: str,
    restricted: bool = False,
    visible_to: Collection[Any] = (),
    language_confirmed: bool = False,
    supersedes: ChronologyEntry | None = None,
    checked: ChildAccess | None = None,
) -> ChronologyEntry:
    """Add an entry to the child's chronology, written by ``actor`` for their organisation
    (the source agency). ``supersedes``: the earlier entry this one corrects (use
    ``chronology_entry_supersede``). ``checked``: the access the request already resolved."""
    access = require_write(actor, child, action=Action.ADD_CHRONOLOGY_ENTRY, checked=checked)
    if actor.organisation is None:  # the policy allows no one without an organisation
        raise NotFoundOrNotAllowed()
    record = _record(child)
    if supersedes is not None:  # checked again under a lock before the write
        _check_supersedable(supersedes, actor=actor, child=child)
    _choice(
        entry_type,
        EntryType,
        field="entry_type",
        message="Select the type of entry",
        record=record,
    )
    _choice(
        significance,
        Significance,
        field="significance",
        message="Select how significant the event is",
        record=record,
    )
    if occurred_at is None or occurred_at.tzinfo is None:
        raise ValidationError(
            "Enter the date and time of the event, with its time zone",
            field="occurred_at",
            record=record,
        )
    written = now()
    if occurred_at > written + FUTURE_SLACK:
        raise ValidationError(
            "The date and time of the event must be in the past", field="occurred_at", record=record
        )
    text = (text or "").strip()
    if not text:
        raise ValidationError("Enter what happened", field="text", record=record)
    if len(text) > TEXT_MAX:
        raise ValidationError(
            f"What happened must be {TEXT_MAX:,} characters or fewer", field="text", record=record
        )
    flags = _language(text=text, child=child, confirmed=language_confirmed, record=record)
    audience = _audience(
        access=access, actor=actor, restricted=restricted, visible_to=visible_to, record=record
    )
    with transaction.atomic():
        if supersedes is not None:
            earlier = ChronologyEntry.objects.select_for_update().get(pk=supersedes.pk)
            _check_supersedable(earlier, actor=actor, child=child)
        entry = ChronologyEntry.objects.create(
            child=child,
            entry_type=entry_type,
            significance=significance,
            occurred_at=occurred_at,
            recorded_at=written,
            organisation=actor.organisation,
            author=actor,
            text=text,
            restricted=restricted,
            supersedes=supersedes,
        )
        if audience:
            entry.visible_to.set(audience)
        if flags:
            language_flags_record(
                actor=actor,
                record_kind=LANGUAGE_RECORD_KIND,
                record_id=entry.pk,
                field="text",
                flags=flags,
            )
        audit_append(
            actor=actor,
            verb=AuditVerb.CHRONOLOGY_ENTRY_ADDED,
            obj=entry,
            child=child,
            payload={
                "entry_type": entry_type,
                "significance": significance,
                "restricted": restricted,
                "supersedes": str(supersedes.pk) if supersedes else None,
            },
            purpose="Correct a chronology entry" if supersedes else "Add a chronology entry",
            involvement=access.involvement,
            grant=access.grant,
        )
    logger.info(
        "chronology entry id=%s child=%s organisation=%s supersedes=%s actor=%s",
        entry.pk,
        child.pk,
        actor.organisation_id,
        supersedes.pk if supersedes else None,
        actor.pk,
    )
    return entry


def chronology_entry_correctable(*, entry: ChronologyEntry, user: User) -> bool:
    """Whether the user's organisation may correct the entry now: it is the source agency
    and the entry has not been corrected yet (the rules ``_check_supersedable`` enforces)."""
    return (
        user.organisation_id is not None
        and entry.organisation_id == user.organisation_id
        and not ChronologyEntry.objects.filter(supersedes=entry).exists()
    )


def _check_supersedable(earlier: ChronologyEntry, *, actor: User, child: Child) -> None:
    record = _record(child)
    if earlier.child_id != child.pk:
        raise NotFoundOrNotAllowed()
    if earlier.organisation_id != actor.organisation_id:
        raise ValidationError(
            f"Only the agency that wrote an entry can correct it: ask {earlier.organisation.name}",
            field="supersedes",
            record=record,
        )
    if ChronologyEntry.objects.filter(supersedes=earlier).exists():
        raise ValidationError(
            "This entry has already been corrected: correct the latest correction instead",
            field="supersedes",
            record=record,
        )


def chronology_entry_supersede(
    *,
    actor: User,
    entry: ChronologyEntry,
    entry_type: str,
    significance: str,
    occurred_at: dt.datetime,
    text: str,
    restricted: bool = False,
    visible_to: Collection[Any] = (),
    language_confirmed: bool = False,
    checked: ChildAccess | None = None,
) -> ChronologyEntry:
    """Correct an entry: a new entry that supersedes it. The earlier one stays, shown as
    superseded and linked to its correction. Only the source agency corrects its entries,
    and an entry is corrected once (a correction can itself be corrected)."""
    return chronology_entry_add(
        actor=actor,
        child=entry.child,
        entry_type=entry_type,
        significance=significance,
        occurred_at=occurred_at,
        text=text,
        restricted=restricted,
        visible_to=visible_to,
        language_confirmed=language_confirmed,
        supersedes=entry,
        checked=checked,
    )


PRINT_FORMATS = ("print", "pdf")
AUDIENCE_MAX = 64


def chronology_printed_record(
    *, actor: User, access: ChildAccess, audience: str, format: str, entries: int
) -> str:
    """Record that the user produced the child's chronology on paper (a page to print, or a
    PDF) for an audience (a strategy meeting, a court): one audit event naming the audience
    and how many entries it held, in the same chain as the look that opened it. Returns the
    audience as recorded."""
    record = _record(access.child)
    audience = " ".join((audience or "").split())
    if not audience:
        raise ValidationError("Enter who the chronology is for", field="audience", record=record)
    if len(audience) > AUDIENCE_MAX:
        raise ValidationError(
            f"Who the chronology is for must be {AUDIENCE_MAX} characters or fewer",
            field="audience",
            record=record,
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in audience):
        raise ValidationError(
            "Enter who the chronology is for without control characters",
            field="audience",
            record=record,
        )
    if format not in PRINT_FORMATS:
        raise ValidationError("Choose a page to print or a PDF", field="format", record=record)
    with transaction.atomic():
        audit_append(
            actor=actor,
            verb=AuditVerb.CHRONOLOGY_PRINTED,
            obj=access.child,
            child=access.child,
            payload={"format": format, "audience": audience, "entries": entries},
            purpose=f"Chronology produced for: {audience}",
            involvement=access.involvement,
            grant=access.grant,
        )
    logger.info(
        "chronology printed child=%s format=%s entries=%s actor=%s",
        access.child.pk,
        format,
        entries,
        actor.pk,
    )
    return audience
