"""What can happen to a child's information, as a closed list (``AuditVerb``), and for each
verb the kind of event, the type of record it is about and the payload it carries.

The payload says what changed in codes, counts, flags and ids: never free text about the
child, never a name or a date of birth (the audit is read by people who may not read the
record). ``validate_payload`` refuses an unknown key, a missing key or a value of the wrong
type, so a service cannot put something else there by accident. Adding a verb needs no
migration: the column holds the value, this module holds the list.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sightline.audit.models import AuditKind

# Longest string a payload may hold: enough for a code or a UUID, too short for prose.
MAX_STRING = 64


class StrList:
    """A payload value that is a list of short strings (the names of fields that changed)."""


class AuditVerb(enum.StrEnum):
    # Reads
    CHILD_VIEWED = "child viewed"
    CHILD_EXPORTED = "child exported"
    AUDIT_VIEWED = "audit viewed"
    CHILDREN_LISTED = "children listed"
    CHILDREN_EXPORTED = "children exported"
    # Writes
    CHILD_CREATED = "child created"
    SETTING_CREATED = "setting created"
    PLACEMENT_RECORDED = "placement recorded"
    PLACEMENT_ENDED = "placement ended"
    ADMISSION_RECORDED = "admission recorded"
    NOTICE_ACKNOWLEDGED = "notice acknowledged"
    SAFETY_PROFILE_CHANGED = "safety profile changed"
    MISSING_REPORTED = "missing reported"
    MISSING_UPDATE = "missing update"
    MISSING_CLOSED = "missing closed"
    INTERVIEW_RECORDED = "interview recorded"
    INTERVIEW_EPISODE_ADDED = "interview episode added"
    INTERVIEW_INFORMATION_ADDED = "interview information added"
    TASK_CLOSED = "task closed"
    CONTACT_POINT_CHANGED = "contact point changed"
    WEBHOOK_SUBSCRIPTION_CHANGED = "webhook subscription changed"
    CALLBACK_REFUSED = "callback refused"
    CONTACT_CHANGED = "contact changed"
    NOTICE_SETTINGS_CHANGED = "notice settings changed"
    URGENT_SETTINGS_CHANGED = "urgent alert settings changed"
    ALERT_SUBSCRIPTIONS_CHANGED = "alert subscriptions changed"
    NOTICE_ESCALATED = "notice escalated"
    ALERT_SETTINGS_CHANGED = "alert settings changed"
    INTERVIEW_SETTINGS_CHANGED = "interview settings changed"
    TRIGGER_SETTINGS_CHANGED = "trigger settings changed"
    API_KEY_CREATED = "API key created"
    API_KEY_REVOKED = "API key revoked"
    SECOND_FACTOR_RESET = "second factor reset"
    IMPORT_CHANGED_CHILD = "import changed child"
    DEMO_HISTORY_RECORDED = "demo history recorded"
    CHAIN_HEAD_RECREATED = "chain head recreated"
    # Grants and emergency access
    ACCESS_GRANTED = "access granted"
    ACCESS_GRANT_ENDED = "access grant ended"
    EMERGENCY_ACCESS_GRANTED = "emergency access granted"
    EMERGENCY_ACCESS_REVIEWED = "emergency access reviewed"
    # Administration: people, their roles, organisations and status (issue 12, part 2)
    PERSON_ADDED = "person added"
    PERSON_ROLE_CHANGED = "person role changed"
    PERSON_ORGANISATION_CHANGED = "person organisation changed"
    PERSON_STATUS_CHANGED = "person status changed"
    ADMINISTRATION_REFUSED = "administration refused"
    ORGANISATION_AUDIT_VIEWED = "organisation audit viewed"
    # Agencies not on Sightline (issue 15): the directory, its addresses, signed links
    DIRECTORY_IMPORTED = "directory imported"
    DIRECTORY_ENTRY_CHANGED = "directory entry changed"
    INBOX_ADDRESS_TEST_SENT = "inbox address test sent"
    INBOX_ADDRESS_VERIFIED = "inbox address verified"
    NOTICE_ACKNOWLEDGED_BY_LINK = "notice acknowledged by link"
    SECURE_VIEW_CODE_SENT = "secure view code sent"
    CHILD_VIEWED_BY_CODE = "child viewed by code"
    # Sightline to Sightline (issue 15, part 3)
    FEDERATION_PEER_TRUSTED = "federation peer trusted"
    FEDERATION_SENT = "federation message sent"
    FEDERATION_RECEIVED = "federation message received"
    FEDERATION_ACKNOWLEDGED = "notice acknowledged by peer"
    FEDERATION_REFUSED = "federation message refused"
    # --- exploitation (issue 18 part 1) ---
    SCREENING_RECORDED = "exploitation screening recorded"
    PANEL_REFERRAL_CHANGED = "panel referral changed"
    NRM_REFERRAL_RECORDED = "NRM referral recorded"
    NRM_DECISION_RECORDED = "NRM decision recorded"
    PLACEMENT_DECISION_RECORDED = "placement decision recorded"
    # Issue 18 part 2: the register of concern and computed links.
    CONCERN_VIEWED = "concern viewed"
    CONCERNS_SEARCHED = "concerns searched"
    CONCERN_RECORDED = "concern recorded"
    CONCERN_SHARED = "concern shared"
    CONCERN_SHARE_ENDED = "concern share ended"
    CONCERN_LINKED = "concern linked"
    CHILD_LINKS_REFRESHED = "child links refreshed"
    # chronology (issue 17)
    CHRONOLOGY_ENTRY_ADDED = "chronology entry added"
    CHRONOLOGY_PRINTED = "chronology printed"
    # family (issue 17, parts 3 and 4)
    CHILD_STATEMENT_RECORDED = "child's words recorded"
    PLAN_VERSION_RECORDED = "plan version recorded"
    PARENT_RECORDED = "parent recorded"
    PARENT_CHANGED = "parent changed"
    PARENT_SHARING_RECORDED = "sharing with a parent recorded"
    PARENT_INVITED = "parent invited"
    PARENT_INVITATION_ENDED = "parent invitation ended"
    PARENT_CODE_SENT = "parent code sent"
    PARENT_VIEW_LOOKED = "parent view looked at"
    # casework (issue 17 part 2): the child's tasks and strategy meetings
    CASE_TASK_SET = "case task set"
    CASE_TASK_STATUS_CHANGED = "case task status changed"
    CASE_TASK_ESCALATED = "case task escalated"
    STRATEGY_MEETING_RECORDED = "strategy meeting recorded"

    @property
    def spec(self) -> VerbSpec:
        return VERBS[self]


@dataclass(frozen=True)
class VerbSpec:
    kind: AuditKind
    object_type: str
    required: Mapping[str, Any] = field(default_factory=dict)
    optional: Mapping[str, Any] = field(default_factory=dict)


_OPT_STR = (str, type(None))
_OPT_BOOL = (bool, type(None))

V = AuditVerb
R, W, G = AuditKind.READ, AuditKind.WRITE, AuditKind.GRANT

VERBS: dict[AuditVerb, VerbSpec] = {
    V.CHILD_VIEWED: VerbSpec(R, "access record", {"action": str}),
    V.CHILD_EXPORTED: VerbSpec(R, "child", {"export": str}),
    V.AUDIT_VIEWED: VerbSpec(R, "child", {"via": str}),
    # One event per list page or API page served; the children it named are rows of
    # ``AuditListedChild``, and ``children`` is the digest of their sorted ids (lists.py).
    V.CHILDREN_LISTED: VerbSpec(
        R,
        "list",
        {"where": str, "page": int, "count": int, "children": str},
        {"offset": int, "limit": int},
    ),
    # One event per download or export (CSV, SSDA903), its children named the same way.
    V.CHILDREN_EXPORTED: VerbSpec(R, "export", {"export": str, "count": int, "children": str}),
    V.CHILD_CREATED: VerbSpec(W, "child"),
    V.SETTING_CREATED: VerbSpec(W, "setting", {"place_type": str, "sector": str}),
    V.PLACEMENT_RECORDED: VerbSpec(
        W, "placement", {"emergency": bool, "out_of_area": bool, "ended": bool}
    ),
    V.PLACEMENT_ENDED: VerbSpec(W, "placement"),
    V.ADMISSION_RECORDED: VerbSpec(W, "placement", {"notices": int}),
    V.NOTICE_ACKNOWLEDGED: VerbSpec(W, "notice", {"notice_kind": str}),
    V.SAFETY_PROFILE_CHANGED: VerbSpec(
        W, "safety profile version", {"version": int, "fields": StrList}
    ),
    V.MISSING_REPORTED: VerbSpec(
        W, "episode", {"kind": str, "police_alerted": bool, "reported_to_police": bool}
    ),
    V.MISSING_UPDATE: VerbSpec(W, "episode update", {"kind": str, "risk_grade": _OPT_STR}),
    V.MISSING_CLOSED: VerbSpec(
        W,
        "episode",
        {"found_by": str, "outside_host_area": _OPT_BOOL, "other_force_area": _OPT_BOOL},
    ),
    V.INTERVIEW_RECORDED: VerbSpec(W, "return interview", {"status": str}),
    V.INTERVIEW_EPISODE_ADDED: VerbSpec(W, "return interview", {"episode_id": str}),
    V.INTERVIEW_INFORMATION_ADDED: VerbSpec(W, "interview information", {"interview_id": str}),
    V.TASK_CLOSED: VerbSpec(W, "task", {"task_kind": str, "status": str}),
    V.CONTACT_POINT_CHANGED: VerbSpec(
        W, "contact point", {"notice_kind": str, "channel": str, "enabled": bool}
    ),
    # An organisation's webhook subscription added, changed, given a new secret, or one of
    # its failed deliveries sent again (``change``); the URL's host, never the whole URL or
    # the secret.
    V.WEBHOOK_SUBSCRIPTION_CHANGED: VerbSpec(
        W,
        "webhook subscription",
        {"change": str},
        {"kinds": StrList, "active": _OPT_BOOL, "host": _OPT_STR},
    ),
    # A provider's callback refused for its credentials (GOV.UK Notify's bearer token): the
    # object is the provider's name, ``reason`` why; nothing from the body. No longer written
    # (refusals are logged, not audited: see notifications/callbacks.py); kept so that rows
    # written before still verify.
    V.CALLBACK_REFUSED: VerbSpec(W, "callback", {"reason": str}),
    # A record's contact (issue 14): its role, which fields changed (none: confirmed as right).
    V.CONTACT_CHANGED: VerbSpec(W, "contact", {"role": str, "fields": StrList}),
    V.NOTICE_SETTINGS_CHANGED: VerbSpec(W, "notice policy", {"receives_placement_notices": bool}),
    # The urgent lane's target and the duty contact (a user id), never the phone number.
    V.URGENT_SETTINGS_CHANGED: VerbSpec(
        W, "notice policy", {"ack_minutes": int, "duty_phone": bool}, {"duty_contact": _OPT_STR}
    ),
    # A person's own alerts: "kind:channel" codes, whether a mobile is held, the days on duty.
    V.ALERT_SUBSCRIPTIONS_CHANGED: VerbSpec(
        W,
        "alert preferences",
        {"subscriptions": StrList, "mobile": bool, "days": str, "hours": bool},
    ),
    # Sightline itself escalated a late notice (the urgent lane's rule): how, and to how many.
    V.NOTICE_ESCALATED: VerbSpec(W, "notice", {"reason": str, "escalations": int}),
    V.ALERT_SETTINGS_CHANGED: VerbSpec(W, "alert policy", {"receives_away_alerts": bool}),
    V.INTERVIEW_SETTINGS_CHANGED: VerbSpec(
        W,
        "interview service config",
        {"service_id": _OPT_STR, "use_host_service_out_of_area": bool},
    ),
    V.TRIGGER_SETTINGS_CHANGED: VerbSpec(
        W,
        "trigger config",
        {
            "episodes": int,
            "days": int,
            "include_away": bool,
            "high_risk_task": bool,
            "exploitation_prompt": bool,
            "task_due_working_days": int,
        },
    ),
    V.API_KEY_CREATED: VerbSpec(W, "api key", {"prefix": str, "role": str}),
    V.API_KEY_REVOKED: VerbSpec(W, "api key", {"prefix": str}),
    V.SECOND_FACTOR_RESET: VerbSpec(W, "user", {"devices": int}),
    V.IMPORT_CHANGED_CHILD: VerbSpec(W, "return import", {"year": int, "council": str}),
    V.DEMO_HISTORY_RECORDED: VerbSpec(W, "demo dataset", {"episodes": int}),
    V.CHAIN_HEAD_RECREATED: VerbSpec(W, "audit", {"from_seq": int}),
    # A grant's times are in the chain (canonical.timestamp, UTC): a scheduled expiry is the
    # creating event's ends_at; shortening or ending a grant is an event of its own.
    V.ACCESS_GRANTED: VerbSpec(
        G,
        "access grant",
        {"reason": str, "organisation_id": str, "starts_at": str, "ends_at": _OPT_STR},
    ),
    V.ACCESS_GRANT_ENDED: VerbSpec(
        G, "access grant", {"reason": str, "ends_at": str, "previous_ends_at": _OPT_STR}
    ),
    V.EMERGENCY_ACCESS_GRANTED: VerbSpec(
        G, "access grant", {"hours": int, "starts_at": str, "ends_at": str}
    ),
    V.EMERGENCY_ACCESS_REVIEWED: VerbSpec(AuditKind.REVIEW, "break-glass review", {"outcome": str}),
    # Roles are codes ("team_manager"), organisations ids: never a person's name.
    V.PERSON_ADDED: VerbSpec(W, "user", {"role": str, "organisation_id": str}),
    V.PERSON_ROLE_CHANGED: VerbSpec(W, "user", {"old_role": str, "new_role": str}),
    V.PERSON_ORGANISATION_CHANGED: VerbSpec(
        W,
        "user",
        {
            "old_organisation_id": _OPT_STR,
            "new_organisation_id": str,
            "old_role": str,
            "new_role": str,
        },
    ),
    V.PERSON_STATUS_CHANGED: VerbSpec(W, "user", {"old_active": bool, "new_active": bool}),
    # An attempt the administration refused (someone's own role, another organisation's
    # person or audit, a role the organisation's kind does not hold): the object is what was
    # aimed at (a user or an organisation id), ``attempt`` what was tried, ``reason`` why not.
    # --- exploitation (issue 18 part 1): codes and counts, never the indicators' wording ---
    V.SCREENING_RECORDED: VerbSpec(
        W,
        "exploitation screening",
        {"version": int, "grade": str, "indicators": int, "referrals": int, "rules": str},
    ),
    V.PANEL_REFERRAL_CHANGED: VerbSpec(W, "panel referral", {"status": str, "previous": str}),
    V.NRM_REFERRAL_RECORDED: VerbSpec(W, "NRM referral", {"exploitation": str}),
    V.NRM_DECISION_RECORDED: VerbSpec(W, "NRM referral", {"stage": str, "outcome": str}),
    V.PLACEMENT_DECISION_RECORDED: VerbSpec(
        W,
        "placement decision",
        {"proceed": bool, "warnings": int, "distant": bool, "overridden": bool},
        {"approver": _OPT_STR},
    ),
    # Issue 18 part 2: every look at a concern (a person of concern above all) is an event:
    # the kind and the organisation that owns it, never its name or description.
    V.CONCERN_VIEWED: VerbSpec(R, "concern", {"kind": str, "owner_id": str}),
    # A search of the register: how many concerns the page or API page showed.
    V.CONCERNS_SEARCHED: VerbSpec(R, "concern register", {"kind": str, "shown": int}),
    V.CONCERN_RECORDED: VerbSpec(W, "concern", {"kind": str, "owner_id": str}),
    V.CONCERN_SHARED: VerbSpec(W, "concern", {"organisation_id": str}),
    # A sharing decision ended: the organisation that no longer sees it (the reason is kept
    # with the decision, not in the audit: it may name people).
    V.CONCERN_SHARE_ENDED: VerbSpec(W, "concern", {"organisation_id": str}),
    V.CONCERN_LINKED: VerbSpec(W, "concern link", {"kind": str, "source": str}),
    # What the computation kept, and what it wrote: the links added, changed and removed
    # (optional: events sealed before 7 December rewrote every link).
    V.CHILD_LINKS_REFRESHED: VerbSpec(
        W,
        "child links",
        {"links": int, "confirmed": int, "children": int},
        {"added": (int, type(None)), "changed": (int, type(None)), "removed": (int, type(None))},
    ),
    V.ADMINISTRATION_REFUSED: VerbSpec(
        W, "administration", {"attempt": str, "reason": str}, {"role": _OPT_STR}
    ),
    V.ORGANISATION_AUDIT_VIEWED: VerbSpec(R, "organisation", {"rows": int}),
    V.DIRECTORY_IMPORTED: VerbSpec(W, "directory", {"rows": int, "created": int, "changed": int}),
    V.DIRECTORY_ENTRY_CHANGED: VerbSpec(W, "directory entry", {"fields": StrList}),
    V.INBOX_ADDRESS_TEST_SENT: VerbSpec(W, "inbox address"),
    V.INBOX_ADDRESS_VERIFIED: VerbSpec(W, "inbox address"),
    # Someone without an account acknowledged through the signed link e-mailed to their
    # agency's verified inbox. Their name, role and the address are on the notice and its
    # history; the chain seals them through ``digest`` (SHA-256 of the four, hex) without
    # holding a name.
    V.NOTICE_ACKNOWLEDGED_BY_LINK: VerbSpec(W, "notice", {"notice_kind": str, "digest": str}),
    # The secure view for someone without an account: a one-time code sent to the verified
    # directory inbox the notice went to, then each look at the child's details it opened.
    # ``address`` is a SHA-256 digest of the inbox, never the address itself.
    V.SECURE_VIEW_CODE_SENT: VerbSpec(W, "notice", {"address": str}),
    V.CHILD_VIEWED_BY_CODE: VerbSpec(R, "notice", {"address": str}),
    # Sightline to Sightline (sightline.federation): ``peer`` is the other deployment's host,
    # ``message`` "notice" or "acknowledgement"; key ids are public-key thumbprints.
    V.FEDERATION_PEER_TRUSTED: VerbSpec(W, "federation peer", {"peer": str, "keys": StrList}),
    V.FEDERATION_SENT: VerbSpec(W, "notice", {"peer": str, "message": str}),
    V.FEDERATION_RECEIVED: VerbSpec(
        W, "notice", {"peer": str, "message": str, "remote_reference": str}
    ),
    # The other deployment's person who acknowledged is on the notice (name and role); the
    # chain seals them through ``digest`` (SHA-256 of name, role, peer and time, hex).
    V.FEDERATION_ACKNOWLEDGED: VerbSpec(
        W, "notice", {"notice_kind": str, "peer": str, "digest": str}
    ),
    # A request signed with a trusted peer's key refused: ``reason`` bad-signature (tampered,
    # another key, expired, incomplete), replayed-nonce, unreadable-message or
    # not-sent-to-peer; ``suppressed`` counts refusals only logged since the last
    # audited one (at most REFUSALS_AUDITED_PER_HOUR per peer are audited). Requests naming
    # no trusted key are logged only: anyone can send them.
    V.FEDERATION_REFUSED: VerbSpec(
        W, "federation peer", {"peer": str, "reason": str, "suppressed": int}
    ),
    # chronology (issue 17). An entry added, or a correction superseding an earlier one
    # (``supersedes``: its id); codes and flags only, never the entry's text. A printed or PDF
    # chronology names the audience it was produced for (asked on the page, 64 characters at
    # most: "Strategy meeting, 8 December") and how many entries it held.
    V.CHRONOLOGY_ENTRY_ADDED: VerbSpec(
        W,
        "chronology entry",
        {"entry_type": str, "significance": str, "restricted": bool, "supersedes": _OPT_STR},
    ),
    V.CHRONOLOGY_PRINTED: VerbSpec(R, "child", {"format": str, "audience": str, "entries": int}),
    # family: codes and counts only; never the child's words, a parent's name or address.
    V.CHILD_STATEMENT_RECORDED: VerbSpec(
        W, "child statement", {"topic": str, "occasion": str, "language_flags": int}
    ),
    V.PLAN_VERSION_RECORDED: VerbSpec(
        W,
        "plan version",
        {"version": int, "child_took_part": bool, "agencies": int, "language_flags": int},
    ),
    V.PARENT_RECORDED: VerbSpec(W, "parent", {"relationship": str, "restricted": bool}),
    V.PARENT_CHANGED: VerbSpec(W, "parent", {"fields": StrList, "restricted": bool}),
    V.PARENT_SHARING_RECORDED: VerbSpec(W, "parent sharing", {"channel": str}),
    V.PARENT_INVITED: VerbSpec(W, "parent invitation", {"days": int}),
    V.PARENT_INVITATION_ENDED: VerbSpec(W, "parent invitation", {"reason": str}),
    # Sent to the invited e-mail (its digest, as for the secure view).
    V.PARENT_CODE_SENT: VerbSpec(W, "parent invitation", {"address": str}),
    V.PARENT_VIEW_LOOKED: VerbSpec(R, "parent invitation", {"page": str}),
    # casework (issue 17 part 2). Codes, ids and counts: never a task's title or the minutes.
    # ``beside``: the open task it looked like, which the person setting it confirmed.
    V.CASE_TASK_SET: VerbSpec(
        W,
        "case task",
        {"kind": str, "organisation_id": str, "owner_id": str, "due_date": str},
        {"beside": _OPT_STR, "meeting_id": _OPT_STR},
    ),
    V.CASE_TASK_STATUS_CHANGED: VerbSpec(W, "case task", {"old_status": str, "new_status": str}),
    # Sightline itself told the owner's managers that the task is overdue (through the outbox).
    V.CASE_TASK_ESCALATED: VerbSpec(W, "case task", {"due_date": str, "managers": int}),
    V.STRATEGY_MEETING_RECORDED: VerbSpec(
        W, "strategy meeting", {"attendees": int, "organisations": int, "actions": int}
    ),
}


class AuditPayloadError(ValueError):
    """A service tried to write a payload its verb does not allow: a programming error."""


def _valid(value: Any, expected: Any) -> bool:
    if expected is StrList:
        return isinstance(value, list) and all(
            isinstance(v, str) and len(v) <= MAX_STRING for v in value
        )
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in types:
        return False  # True is an int to Python, not to the schema
    if not isinstance(value, types):
        return False
    return not isinstance(value, str) or len(value) <= MAX_STRING


def validate_payload(verb: AuditVerb, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as stored, or ``AuditPayloadError`` naming the key that is wrong."""
    spec = VERBS[verb]
    unknown = set(payload) - set(spec.required) - set(spec.optional)
    if unknown:
        raise AuditPayloadError(f"{verb}: unknown payload key(s) {sorted(unknown)}")
    missing = set(spec.required) - set(payload)
    if missing:
        raise AuditPayloadError(f"{verb}: payload key(s) {sorted(missing)} missing")
    schema = {**spec.required, **spec.optional}
    for key, value in payload.items():
        if not _valid(value, schema[key]):
            raise AuditPayloadError(
                f"{verb}: payload key {key!r} has a value of the wrong type or length"
            )
    return dict(payload)
