"""Step 2 of 3 (ADR 0009): carry today's notices over to the generic outbox.

Each notice gets its subject (the placement; the missing episode through its link; the
break-glass grant), the content the domains now build (kind label, date label, subject line,
a link to the episode) and the idempotency key the domain would build for it now, so that a
replay of an old change finds the old notice and sends nothing. Deliveries, references,
events and acknowledgements are not touched: nothing already sent is sent again.

The texts below are frozen copies of what ``notifications/content.py`` said before the
move, as a migration must not import code that will change.
"""

from django.db import migrations

KIND_LABEL = {
    "placement": "Placement notice",
    "admission": "Admission notice",
    "discharge": "Discharge notice",
    "escalation": "Escalation notice",
    "missing": "Missing alert",
    "away": "Away alert",
    "found": "Child safe notice",
    "break-glass": "Emergency access alert",
}
DATE_LABEL = {
    "placement": "Placed from",
    "admission": "Admitted on",
    "discharge": "Left on",
    "missing": "Last seen",
    "away": "Away since",
    "found": "Returned or found on",
    "break-glass": "Opened on",
}
MISSING_KINDS = ("missing", "away", "found")
EPISODE_LINK_TEXT = "View the episode: last seen, updates and return"


def _subject_line(kind, *, area, council, sender_name):
    if kind == "placement":
        return f"Placement notice: a child placed in {area} by {council}"
    if kind == "admission":
        return f"Admission notice: a child placed by {council} admitted to a home in {area}"
    if kind == "missing":
        return f"Missing alert: a child placed by {council} is missing from a placement in {area}"
    if kind == "away":
        return (
            f"Away alert: a child placed by {council} is away from a placement in {area} "
            "without permission"
        )
    if kind == "found":
        return (
            f"Child safe: a child placed by {council}, missing or away from a placement in "
            f"{area}, has returned or been found"
        )
    if kind == "break-glass":
        return (
            f"Emergency access: {sender_name} opened the record of a child placed by "
            f"{council}, with a written justification"
        )
    return f"Discharge notice: a child placed in {area} by {council} has left the placement"


def _escalation_line(late_kind, reason):
    label = KIND_LABEL.get(late_kind, late_kind).lower()
    if reason == "not-acknowledged":
        return f"Escalation: a {label} about a child has not been acknowledged"
    return f"Escalation: a {label} about a child was not sent by its due date"


def forwards(apps, schema_editor):
    Notice = apps.get_model("notifications", "Notice")
    EpisodeNotice = apps.get_model("missing", "EpisodeNotice")
    AccessGrant = apps.get_model("access", "AccessGrant")
    episode_of = dict(EpisodeNotice.objects.values_list("notice_id", "episode_id"))
    done = {}
    fields = [
        "kind_label",
        "subject_type",
        "subject_id",
        "idempotency_key",
        "chase_acknowledgement",
        "subject_line",
        "date_label",
        "subject_path",
        "subject_link_text",
    ]
    # Late notices first: an escalation takes its late notice's subject.
    for notice in Notice.objects.filter(escalates__isnull=True).order_by("created_at", "id"):
        kind, recipient = notice.kind, notice.recipient_id
        notice.kind_label = KIND_LABEL.get(kind, kind.capitalize())
        notice.date_label = DATE_LABEL.get(kind, "Date")
        notice.subject_line = _subject_line(
            kind,
            area=notice.area_name,
            council=notice.placing_council_name,
            sender_name=notice.sender_name,
        )
        notice.chase_acknowledgement = kind != "found"
        episode_id = episode_of.get(notice.id)
        grant = None
        if kind == "break-glass":
            grant = (
                AccessGrant.objects.filter(
                    child_id=notice.child_id,
                    user_id=notice.created_by_id,
                    reason="break glass",
                    starts_at=notice.due_at,
                )
                .values_list("id", flat=True)
                .first()
            )
        if notice.placement_id is not None:
            notice.subject_type = "placements.placement"
            notice.subject_id = notice.placement_id
            notice.idempotency_key = (
                f"placements.placement:{notice.placement_id}:{kind}:{recipient}"
            )
        elif kind in MISSING_KINDS and episode_id is not None:
            notice.subject_type = "missing.episode"
            notice.subject_id = episode_id
            notice.idempotency_key = f"missing.episode:{episode_id}:{kind}:{recipient}"
            notice.subject_path = f"/episodes/{episode_id}/"
            notice.subject_link_text = EPISODE_LINK_TEXT
        elif grant is not None:
            notice.subject_type = "access.grant"
            notice.subject_id = grant
            notice.idempotency_key = f"access.grant:{grant}:{recipient}"
        else:
            notice.subject_type = "children.child"
            notice.subject_id = notice.child_id
            notice.idempotency_key = f"notice:{notice.id}"
        notice.save(update_fields=fields)
        done[notice.id] = notice
    for notice in Notice.objects.filter(escalates__isnull=False).order_by("created_at", "id"):
        late = done.get(notice.escalates_id) or Notice.objects.get(pk=notice.escalates_id)
        notice.kind_label = KIND_LABEL["escalation"]
        notice.date_label = late.date_label
        notice.subject_line = _escalation_line(late.kind, notice.escalation_reason)
        notice.subject_type = late.subject_type
        notice.subject_id = late.subject_id
        notice.subject_path = late.subject_path
        notice.subject_link_text = late.subject_link_text
        notice.chase_acknowledgement = True
        notice.idempotency_key = (
            f"escalation:{notice.escalates_id}:{notice.escalation_reason}:{notice.recipient_id}"
        )
        notice.save(update_fields=fields)


def backwards(apps, schema_editor):
    """The placement comes back from the subject; the other columns are dropped by 0005."""
    Notice = apps.get_model("notifications", "Notice")
    for notice in Notice.objects.filter(subject_type="placements.placement"):
        notice.placement_id = notice.subject_id
        notice.save(update_fields=["placement"])


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0004_audit_chain_and_break_glass"),
        ("missing", "0002_risk_grade_lists"),
        ("notifications", "0005_generic_notice_fields"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
