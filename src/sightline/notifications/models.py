"""Notices one agency owes another about a child, and the outbox that delivers them.

A ``Notice`` is the message (who, where, from when, who to call) and its acknowledgement.
Each ``Delivery`` is one row of the outbox: the notice on one channel to one address, with a
status in the style of GOV.UK Notify. The outbox is the record of truth: the worker only ever
moves a delivery forward from the status it expects, holding a lease (see ``delivery.py`` and
``docs/notices.md``).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from sightline.core.models import BaseModel


class NoticeKind(models.TextChoices):
    """The outbox's own kind of notice. Every other kind is a string its domain owns
    (``sightline.placements.notices``, ``sightline.missing.notices``): the outbox stores it,
    routes contact points by it and shows the label the domain gave with it."""

    ESCALATION = "escalation", "Escalation notice"


class EscalationReason(models.TextChoices):
    NOT_ACKNOWLEDGED = "not-acknowledged", "Not acknowledged in time"
    NOT_SENT = "not-sent", "Not sent by its due date"
    # An urgent alert (a child missing, away or safe) not acknowledged within its recipient's
    # target (``NoticePolicy.urgent_ack_minutes``): escalated to the named duty contact.
    URGENT_NOT_ACKNOWLEDGED = "urgent-not-ack", "Urgent alert not acknowledged within the target"
    # GOV.UK Notify's delivery receipt said a message could not be delivered (``receipts.py``):
    # escalated to the sender's duty contact, who must reach the recipient another way.
    DELIVERY_FAILED = "delivery-failed", "Could not be delivered"


class Channel(models.TextChoices):
    IN_APP = "inapp", "Sightline inbox"
    EMAIL = "email", "E-mail"
    NOTIFY = "notify", "E-mail through GOV.UK Notify"
    WEBHOOK = "webhook", "Signed webhook"
    SMS = "sms", "Text message through GOV.UK Notify"
    # A signed request to the recipient's own Sightline deployment (``sightline.federation``,
    # which registers the channel): for a recipient not on this deployment whose directory
    # entry names one. Never a contact point's channel.
    FEDERATION = "federation", "Sightline to Sightline"


class DeliveryStatus(models.TextChoices):
    CREATED = "created", "Created"
    SENDING = "sending", "Sending"
    # Handed to GOV.UK Notify, which has not yet said whether it reached the inbox or phone:
    # only while Notify's delivery receipts are switched on (``NOTIFY_CALLBACK_TOKEN``);
    # its receipt moves the delivery on (``receipts.py``). Neither due nor final.
    ACCEPTED = "accepted", "Accepted by GOV.UK Notify"
    DELIVERED = "delivered", "Delivered"
    TEMPORARY_FAILURE = "temporary-failure", "Temporary failure"
    TECHNICAL_FAILURE = "technical-failure", "Technical failure"
    PERMANENT_FAILURE = "permanent-failure", "Permanent failure"


# A delivery in one of these never changes status again.
FINAL_STATUSES = frozenset(
    {
        DeliveryStatus.DELIVERED,
        DeliveryStatus.TECHNICAL_FAILURE,
        DeliveryStatus.PERMANENT_FAILURE,
    }
)
# What GOV.UK Notify's delivery receipts can say (``receipts.py``): a failure it reports is
# escalated; a message Notify took in time was sent in time.
RECEIPT_FAILURES = frozenset({DeliveryStatus.PERMANENT_FAILURE, DeliveryStatus.TECHNICAL_FAILURE})
RECEIPT_STATUSES_SENT = frozenset(
    {DeliveryStatus.ACCEPTED, DeliveryStatus.DELIVERED, *RECEIPT_FAILURES}
)
# A delivery in one of these is taken by the worker once its next_attempt_at has come.
DUE_STATUSES = frozenset({DeliveryStatus.CREATED, DeliveryStatus.TEMPORARY_FAILURE})


class Notice(BaseModel):
    """A notice about something a domain owns (its *subject*) from one organisation to another.

    The outbox knows no domain: the domain names the kind and the subject, builds the content
    and says when the notice is due (``docs/adr/0009-generic-outbox.md``). The content fields
    are a snapshot, taken when the notice is created, of the minimum the recipient needs to act;
    every channel carries only these (``docs/notices.md``). The child's surname and date of
    birth are never copied here: they stay behind sign-in.
    """

    kind = models.CharField(max_length=30, help_text="A string the owning domain defines.")
    kind_label = models.CharField(
        max_length=60, help_text='What people call it: "Placement notice".'
    )
    subject_type = models.CharField(
        max_length=40, help_text='What the notice is about, as "app.model": "placements.placement".'
    )
    subject_id = models.UUIDField()
    idempotency_key = models.CharField(
        max_length=200,
        unique=True,
        help_text="Built by the domain; a second notice_create with the same key "
        "returns the first.",
    )
    child = models.ForeignKey(
        "children.Child",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
        help_text="The child the notice concerns, if any: for the inbox and the access policy.",
        db_index=False,
    )
    sender = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices_sent",
        help_text="The organisation that owes the notice; empty when a setting has no provider.",
        db_index=False,
    )
    recipient = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="notices_received",
        db_index=False,
    )
    reference = models.CharField(
        max_length=40,
        unique=True,
        help_text="Quoted in every message; the idempotency key sent to GOV.UK Notify.",
    )
    due_at = models.DateTimeField(help_text="When the notice must have been sent by law.")
    ack_due_at = models.DateTimeField(help_text="When the recipient should have acknowledged.")
    chase_acknowledgement = models.BooleanField(
        default=True,
        help_text="False for notices that tell agencies to stand down: not escalated when "
        "unacknowledged.",
    )

    # What every channel carries: the minimum to act, as the domain built it.
    subject_line = models.CharField(max_length=300, help_text="The e-mail subject line.")
    child_name = models.CharField(
        max_length=120, blank=True, help_text="First name and surname initial."
    )
    setting_name = models.CharField(max_length=200, blank=True)
    setting_postcode = models.CharField(max_length=8, blank=True)
    area_name = models.CharField(max_length=100, blank=True, help_text="The host council's area.")
    date_label = models.CharField(max_length=40, help_text='"Placed from", "Last seen"...')
    effective_date = models.DateField(help_text="Placed from, admitted on or left on.")
    placing_council_name = models.CharField(max_length=200, blank=True)
    sender_name = models.CharField(max_length=200)
    sender_contact = models.CharField(max_length=254, blank=True)
    subject_path = models.CharField(
        max_length=200, blank=True, help_text="A URL path to the subject's own page, if it has one."
    )
    subject_link_text = models.CharField(max_length=120, blank=True)

    # Who did it, never looked up by (issue 13: no index, one write less per notice).
    created_by = models.ForeignKey(
        "organisations.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    urgent_ack_due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Urgent kinds only (``urgency``): when the recipient should have acknowledged "
        "by its target in minutes; empty for every other notice. The urgent lane and its "
        "escalation read this.",
    )
    acknowledged_by = models.ForeignKey(
        "organisations.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Acknowledged without an account, through the signed link e-mailed to an agency not on
    # Sightline (``notifications/links.py``): who said they had it, their role, and the
    # directory address the link was sent to.
    acknowledged_by_name = models.CharField(max_length=120, blank=True)
    acknowledged_by_role = models.CharField(max_length=120, blank=True)
    acknowledged_address = models.CharField(max_length=254, blank=True)
    undeliverable = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why no e-mail could reach a recipient not on Sightline (no verified or a "
        "bouncing directory inbox): escalated at once, shown on the sender's page.",
    )

    # Escalation notices only: the notice that is late, and how (notifications/escalation.py).
    escalates = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations",
        help_text="Escalation notices only: the notice that was not acknowledged or not sent.",
    )
    escalation_reason = models.CharField(
        max_length=20, choices=EscalationReason.choices, blank=True
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalates", "escalation_reason", "recipient"],
                condition=models.Q(escalates__isnull=False),
                name="escalation_once_per_notice_reason_recipient",
            ),
            models.CheckConstraint(
                name="notice_escalation_names_the_late_notice",
                condition=(
                    models.Q(kind="escalation", escalates__isnull=False)
                    & ~models.Q(escalation_reason="")
                )
                | (
                    ~models.Q(kind="escalation")
                    & models.Q(escalates__isnull=True, escalation_reason="")
                ),
            ),
            models.CheckConstraint(
                name="notice_acknowledged_by_whom_and_when",
                condition=models.Q(
                    acknowledged_at__isnull=True,
                    acknowledged_by__isnull=True,
                    acknowledged_by_name="",
                )
                | models.Q(
                    acknowledged_at__isnull=False,
                    acknowledged_by__isnull=False,
                    acknowledged_by_name="",
                )
                | (
                    models.Q(acknowledged_at__isnull=False, acknowledged_by__isnull=True)
                    & ~models.Q(acknowledged_by_name="")
                    & ~models.Q(acknowledged_by_role="")
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "created_at"]),
            models.Index(fields=["child", "created_at"]),
            models.Index(fields=["sender", "created_at"]),
            models.Index(fields=["subject_type", "subject_id"]),
            # The escalation passes (escalation.py) look for notices past these deadlines
            # within LOOKBACK; without these they read every notice ever sent (ADR 22).
            models.Index(
                fields=["ack_due_at"],
                condition=models.Q(acknowledged_at__isnull=True),
                name="notice_unacknowledged_due",
            ),
            models.Index(fields=["due_at"], name="notice_due_at"),
            # The urgent lane: the banner's count on every page, per recipient, and the
            # urgent escalation rule (docs/notices.md).
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(acknowledged_at__isnull=True, urgent_ack_due_at__isnull=False),
                name="notice_urgent_waiting",
            ),
            models.Index(
                fields=["urgent_ack_due_at"],
                condition=models.Q(acknowledged_at__isnull=True, urgent_ack_due_at__isnull=False),
                name="notice_urgent_unacknowledged",
            ),
            # The few notices no e-mail could reach (``undeliverable``): escalated at once.
            models.Index(
                fields=["created_at"],
                condition=~models.Q(undeliverable=""),
                name="notice_undeliverable",
            ),
        ]

    def __str__(self) -> str:
        # Deliberately no names: str() ends up in logs.
        return f"Notice {self.reference}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def acknowledged_by_text(self) -> str:
        """Who acknowledged: the user, or the name and role given through the signed link."""
        if self.acknowledged_by_name:
            return f"{self.acknowledged_by_name} ({self.acknowledged_by_role})"
        by = self.acknowledged_by
        return (by.get_full_name() or by.username) if by is not None else ""


class WebhookSubscription(BaseModel):
    """A partner system of an organisation asks for some kinds of notice as signed webhooks.

    It owns one webhook ``ContactPoint`` per kind it ever asked for (``webhooks.py`` keeps
    them in step: enabled while the subscription is active and asks for the kind), so the
    outbox routes, signs and retries its deliveries like any contact point's. The secret
    signs every request and is shown once, when made.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
    )
    name = models.CharField(max_length=100, help_text="What the partner system is called.")
    url = models.CharField(max_length=500, help_text="The https address requests are sent to.")
    secret = models.CharField(max_length=200, help_text="The key that signs each request.")
    kinds = models.JSONField(default=list, help_text="The kinds of notice, as domains name them.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "url"], name="webhook_subscription_url_once"
            )
        ]

    def __str__(self) -> str:
        return f"Webhook subscription {self.id}"


class ContactPoint(BaseModel):
    """Where an organisation wants one kind of notice sent, on one channel.

    The in-app inbox needs no contact point: every notice is in the recipient's inbox.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="contact_points"
    )
    kind = models.CharField(max_length=30, help_text="A kind of notice, as its domain names it.")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(
        max_length=500, help_text="An e-mail address, or the webhook's https URL."
    )
    secret = models.CharField(
        max_length=200, blank=True, help_text="Webhooks only: the key that signs each request."
    )
    enabled = models.BooleanField(default=True)
    subscription = models.ForeignKey(
        WebhookSubscription,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact_points",
        help_text="Webhooks of a subscription only: its secret signs, it decides enabled.",
    )

    class Meta:
        ordering = ["organisation", "kind", "channel", "address"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "channel", "address"],
                name="contact_point_unique",
            ),
            models.CheckConstraint(
                name="contact_point_not_in_app", condition=~models.Q(channel="inapp")
            ),
        ]

    def __str__(self) -> str:
        return f"Contact point {self.id} ({self.channel})"


class NoticePolicy(BaseModel):
    """An organisation's choices about the notices it receives."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="notice_policy"
    )
    receives_placement_notices = models.BooleanField(
        default=True,
        help_text=(
            "Police forces only: receive placement and discharge notices for children placed "
            "in the force area by other councils. Councils always receive them (reg 13(4))."
        ),
    )

    # The urgent lane (issue 14): how soon an urgent alert must be acknowledged, and who is
    # told when it is not.
    urgent_ack_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="Minutes to acknowledge a missing, away or child safe alert."
    )
    duty_contact = models.ForeignKey(
        "organisations.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A person of the organisation told when an urgent alert is not acknowledged.",
    )
    duty_phone = models.CharField(
        max_length=16, blank=True, help_text="The duty contact's UK mobile, as +447..."
    )

    class Meta:
        verbose_name_plural = "notice policies"

    def __str__(self) -> str:
        return f"Notice policy {self.organisation_id}"


class Delivery(BaseModel):
    """One notice on one channel to one address: a row of the outbox."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=500, blank=True)
    contact_point = models.ForeignKey(
        ContactPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.CREATED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    last_error = models.CharField(
        max_length=300, blank=True, help_text="What went wrong, without personal data."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    signed_link = models.BooleanField(
        default=False,
        help_text="E-mail to a directory inbox of an agency not on Sightline: the message "
        "carries a signed acknowledgement link bound to the notice and this address.",
    )
    retry_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retried_by",
        help_text="The failed delivery an operator asked to send again.",
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "channel", "address"],
                condition=models.Q(retry_of__isnull=True),
                name="delivery_once_per_notice_channel_address",
            ),
            models.CheckConstraint(
                name="delivery_sending_holds_a_lease",
                condition=~models.Q(status="sending")
                | models.Q(lease_token__isnull=False, leased_until__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["status", "leased_until"]),
            # GOV.UK Notify's receipts name the delivery by Notify's id (receipts.py).
            models.Index(
                fields=["provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="delivery_provider_reference",
            ),
            # The sweeper of messages Notify accepted and gave no receipt for (receipts.py).
            models.Index(
                fields=["sent_at"],
                condition=models.Q(status="accepted"),
                name="delivery_accepted_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.id} ({self.channel}, {self.status})"

    @property
    def reference(self) -> str:
        """Stable per delivery: the notice reference plus a suffix from the delivery id.

        Sent to GOV.UK Notify as ``reference`` (looked up before any re-send), to webhooks as
        ``Idempotency-Key`` and in the e-mail ``Message-ID``.
        """
        return f"{self.notice.reference}-{self.id.hex[:8].upper()}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def idempotency_key(self) -> str:
        """The first attempt's reference, kept by every retry and replay of it: a partner
        that received the first attempt can tell the replay is the same message."""
        first = self
        while first.retry_of is not None:
            first = first.retry_of
        return first.reference


class NoticeEventKind(models.TextChoices):
    CREATED = "created", "Notice created"
    ACCEPTED = "accepted", "Accepted by GOV.UK Notify, waiting for its receipt"
    DELIVERED = "delivered", "Delivered"
    TEMPORARY_FAILURE = "temporary-failure", "Temporary failure, will retry"
    TECHNICAL_FAILURE = "technical-failure", "Technical failure"
    PERMANENT_FAILURE = "permanent-failure", "Permanent failure"
    LEASE_EXPIRED = "lease-expired", "Worker stopped mid-delivery; queued again"
    RETRIED = "retried", "Failed delivery queued again by an operator"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ESCALATED = "escalated", "Escalated"
    UNDELIVERABLE = "undeliverable", "No verified address to send it to"


class NoticeEvent(BaseModel):
    """What happened to a notice, in order: for the child's timeline and for compliance."""

    notice = models.ForeignKey(
        Notice, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    event = models.CharField(max_length=20, choices=NoticeEventKind.choices)
    at = models.DateTimeField()
    # Never looked up by (issue 13: no index, one write less per event).
    actor = models.ForeignKey(
        "organisations.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    detail = models.CharField(max_length=300, blank=True, help_text="Never personal data.")

    class Meta:
        ordering = ["at", "created_at"]
        indexes = [models.Index(fields=["notice", "at"])]

    def __str__(self) -> str:
        return f"Notice event {self.id} ({self.event})"


class AlertPreferences(BaseModel):
    """One person's mobile number and on-duty hours, for the alerts they subscribe to.

    The hours are London wall-clock times; a window whose end is before its start crosses
    midnight (22:00 to 07:00), and belongs to the day it starts on. No window: at any hour.
    """

    user = models.OneToOneField(
        "organisations.User", on_delete=models.CASCADE, related_name="alert_preferences"
    )
    mobile = models.CharField(max_length=16, blank=True, help_text="A UK mobile, as +447...")
    days = models.CharField(
        max_length=7,
        default="0123456",
        blank=True,
        help_text="The days on duty, Monday 0 to Sunday 6, as digits.",
    )
    starts_at = models.TimeField(null=True, blank=True)
    ends_at = models.TimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "alert preferences"
        constraints = [
            models.CheckConstraint(
                name="alert_hours_both_or_neither",
                condition=models.Q(starts_at__isnull=True, ends_at__isnull=True)
                | models.Q(starts_at__isnull=False, ends_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"Alert preferences {self.user_id}"


class AlertSubscription(BaseModel):
    """A person asks for one kind of notice addressed to their organisation, on one channel
    (e-mail or text message), while on duty. The organisation's contact points still get
    everything: a subscription adds a delivery, it never takes one away."""

    user = models.ForeignKey(
        "organisations.User", on_delete=models.CASCADE, related_name="alert_subscriptions"
    )
    kind = models.CharField(max_length=30)
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        ordering = ["kind", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="alert_subscription_unique"
            ),
            models.CheckConstraint(
                name="alert_subscription_email_or_sms",
                condition=models.Q(channel__in=["email", "sms"]),
            ),
        ]
        indexes = [models.Index(fields=["kind", "user"])]

    def __str__(self) -> str:
        return f"Alert subscription {self.id} ({self.kind}, {self.channel})"


class Inbox(models.TextChoices):
    """Which of an agency's published inboxes a kind of notice goes to (``directory.py``)."""

    PLACEMENT = "placement", "Placement notices"
    MISSING = "missing", "Missing-from-care alerts"


class HttpsURLField(models.URLField):
    """A URL whose forms (the admin's included) take a bare address as https://, as Django 6
    will for every URL field: a deployment's address is never plain http."""

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"assume_scheme": "https", **kwargs})

    def deconstruct(self) -> Any:
        # Stored exactly as a URLField: only its forms differ, so no migration.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.URLField", args, kwargs


class DirectoryEntry(BaseModel):
    """An agency's front door: its published inboxes, out-of-hours number and Sightline
    deployment, with where that came from and when someone last checked it.

    Shipped for every council in England and Wales and every police force
    (``notifications/data/directory.csv``); platform operators edit it and import
    corrections (``sightline directory import``). An empty inbox, or one not verified
    (``InboxAddress``), is never used.
    """

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="directory_entry"
    )
    placement_inbox = models.EmailField(blank=True, help_text="For placement notices.")
    missing_inbox = models.EmailField(blank=True, help_text="For missing-from-care alerts.")
    out_of_hours_phone = models.CharField(max_length=40, blank=True)
    sightline_url = HttpsURLField(
        blank=True, help_text="The agency's own Sightline deployment, if it has one."
    )
    source = models.CharField(
        max_length=300, help_text='Where this came from, or "to be verified".'
    )
    last_verified = models.DateField(
        null=True, blank=True, help_text="When someone last checked this entry against its source."
    )

    class Meta:
        ordering = ["organisation__name"]
        verbose_name_plural = "directory entries"

    def __str__(self) -> str:
        return f"Directory entry {self.organisation_id}"

    def inbox(self, which: str) -> str:
        return self.missing_inbox if which == Inbox.MISSING else self.placement_inbox


class AddressStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Not verified"
    PENDING = "pending", "Test message sent, awaiting confirmation"
    VERIFIED = "verified", "Verified"
    BOUNCING = "bouncing", "Bouncing"


class InboxAddress(BaseModel):
    """Whether a directory address is known to reach the agency: a test message with a signed
    confirmation link was sent and someone there confirmed it. Only ``verified`` is used; a
    permanent delivery failure moves it to ``bouncing`` until verified again."""

    address = models.CharField(max_length=254, unique=True, help_text="Lower case.")
    status = models.CharField(
        max_length=12, choices=AddressStatus.choices, default=AddressStatus.UNVERIFIED
    )
    challenge = models.CharField(
        max_length=64, blank=True, help_text="Bound into the pending confirmation link; one use."
    )
    test_sent_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "inbox addresses"

    def __str__(self) -> str:
        return f"Inbox address {self.id} ({self.status})"


class SecureViewCode(BaseModel):
    """A one-time code e-mailed to the verified directory inbox a notice went to: entered on
    the acknowledgement link's page, it opens a short, audited view of the child's details
    for someone at an agency not on Sightline (``secure_view.py``). Only a keyed hash of the
    code is kept."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="secure_codes")
    address = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["notice", "address", "created_at"])]

    def __str__(self) -> str:
        return f"Secure view code {self.id}"
