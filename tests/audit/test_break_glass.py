"""Break-glass: emergency access with a written justification, for 4 hours, alerted to the
reviewers and to the user's organisation (which learns nothing of the child), and reviewed by
an independent senior officer."""

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from sightline.access.breakglass import (
    BREAK_GLASS_HOURS,
    JUSTIFICATION_TOO_THIN,
    NOT_YOUR_REVIEW,
    break_glass_open,
    break_glass_review,
    may_review,
)
from sightline.access.models import AccessGrant, AccessRecord, BreakGlassReview, GrantReason
from sightline.audit.models import AuditEvent, AuditKind
from sightline.audit.selectors import audit_verify
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.notifications.content import notice_message, webhook_payload
from sightline.notifications.models import Channel, ContactPoint, Notice
from sightline.organisations.models import Role
from sightline.placements.notices import BREAK_GLASS_KIND
from tests import factories as f
from tests.factories import signed_in

pytestmark = pytest.mark.django_db

REASON = (
    "Officers found a girl matching this child's description at a bus station in Croydon "
    "at 2am and need to confirm who she is and who to contact."
)
NOW = dt.datetime(2026, 3, 2, 2, 30, tzinfo=dt.UTC)


def _page(url_child):
    return reverse("child_detail", args=[url_child])


def _emergency(url_child):
    return reverse("emergency_access", args=[url_child])


def _same(a, b):
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|/children/[0-9a-f-]{36}/')
    return strip.sub("", a.content.decode()) == strip.sub("", b.content.decode())


def test_the_offer_looks_the_same_for_a_child_that_does_not_exist(world):
    client = signed_in(world["met_officer"])
    for url in (_page, _emergency):
        real, none = client.get(url(world.child.id)), client.get(url(uuid.uuid4()))
        assert real.status_code == none.status_code
        assert _same(real, none), url
        assert world.child.first_name not in real.content.decode()
    denied = client.get(_page(world.child.id)).content.decode()
    assert "Request emergency access" in denied and 'href="emergency-access/"' in denied
    assert not AuditEvent.objects.filter(child_id=world.child.id, kind=AuditKind.READ).exists()


def test_no_justification_no_access_and_nothing_revealed(world):
    client = signed_in(world["met_officer"])
    for text in ("", "I need to see it"):
        real = client.post(_emergency(world.child.id), {"justification": text})
        none = client.post(_emergency(uuid.uuid4()), {"justification": text})
        assert real.status_code == none.status_code == 200
        assert _same(real, none)
        assert "There is a problem" in real.content.decode()
    assert JUSTIFICATION_TOO_THIN in real.content.decode()
    assert not AccessGrant.objects.exists()
    assert client.get(_page(world.child.id)).status_code == 404


def test_a_justified_request_opens_the_record_for_4_hours_to_that_user_only(world):
    officer = world["met_officer"]
    client = signed_in(officer)
    with time_machine.travel(NOW, tick=False):
        response = client.post(_emergency(world.child.id), {"justification": REASON})
        assert response.status_code == 302 and response.url == _page(world.child.id)
        page = client.get(_page(world.child.id))
        assert page.status_code == 200
        assert "You are using emergency access" in page.content.decode()
    grant = AccessGrant.objects.get(reason=GrantReason.BREAK_GLASS)
    assert (grant.user, grant.organisation) == (officer, officer.organisation)
    assert grant.ends_at - grant.starts_at == dt.timedelta(hours=BREAK_GLASS_HOURS)
    assert grant.justification == REASON
    look = AccessRecord.objects.get(action="view", child=world.child)
    assert look.grant == grant and "emergency access" in look.involvement
    events = AuditEvent.objects.filter(child_id=world.child.id, grant_id=grant.id)
    assert {(e.kind, e.verb) for e in events} == {
        (AuditKind.GRANT, AuditVerb.EMERGENCY_ACCESS_GRANTED),
        (AuditKind.READ, AuditVerb.CHILD_VIEWED),
    }
    # The grant's times are in the chain: its expiry cannot be moved without the audit key.
    assert events.get(kind=AuditKind.GRANT).payload == {
        "hours": BREAK_GLASS_HOURS,
        "starts_at": "2026-03-02T02:30:00.000000Z",
        "ends_at": "2026-03-02T06:30:00.000000Z",
    }
    assert REASON[:60] in events.get(kind=AuditKind.GRANT).purpose
    # Not the safety profile, and not colleagues.
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        profile = client.get(reverse("safety_profile", args=[world.child.id]))
        assert profile.status_code == 404
        assert signed_in(world["met_colleague"]).get(_page(world.child.id)).status_code == 404
    with time_machine.travel(NOW + dt.timedelta(hours=BREAK_GLASS_HOURS), tick=False):
        assert client.get(_page(world.child.id)).status_code == 404
    assert audit_verify().intact


def _channels(notice):
    """Everything each channel carries for this notice: the inbox, e-mail and GOV.UK Notify
    (subject, body and personalisation) and the webhook's JSON."""
    message = notice_message(notice)
    texts = {}
    for delivery in notice.deliveries.all():
        text = " ".join([message.subject, message.body, *message.fields.values()])
        if delivery.channel == Channel.WEBHOOK:
            text = repr(webhook_payload(delivery))
        texts[delivery.channel] = text
    return texts


def test_the_placing_council_and_the_users_organisation_are_alerted(world, settings):
    officer = world["met_officer"]
    met = officer.organisation
    settings.NOTIFY_API_KEY = "test-" + "1" * 36 + "-" + "2" * 36
    for channel, address in (
        (Channel.EMAIL, "duty@met.example.invalid"),
        (Channel.NOTIFY, "notify@met.example.invalid"),
        (Channel.WEBHOOK, "https://met.example.invalid/hook"),
    ):
        ContactPoint.objects.create(
            organisation=met, kind=BREAK_GLASS_KIND, channel=channel, address=address
        )
    with time_machine.travel(NOW, tick=False):
        grant = break_glass_open(user=officer, child_id=world.child.id, justification=REASON)
        again = break_glass_open(user=officer, child_id=world.child.id, justification=REASON)
    assert again == grant  # an active grant is reused: one alert per use
    notices = Notice.objects.filter(kind=BREAK_GLASS_KIND)
    assert {n.recipient for n in notices} == {world["placing"].organisation, met}
    review_path = reverse("emergency_access_review", args=[grant.id])
    # The reviewers are involved with the child: their alert names the child and the home.
    notice = notices.get(recipient=world["placing"].organisation)
    assert notice.sender == met
    assert notice.setting_name == "Larch House"
    assert notice.child == world.child and notice.child_name == f"Alex {world.child.last_name[0]}."
    assert notice.subject_path == review_path
    inbox = signed_in(world["placing"]).get(reverse("notice_detail", args=[notice.id]))
    assert inbox.status_code == 200
    assert "Emergency access" in inbox.content.decode()
    # The user's own organisation was refused the child: who, when and a link, nothing more.
    own = notices.get(recipient=met)
    assert own.subject_path == review_path
    assert (own.child_name, own.setting_name, own.setting_postcode, own.area_name) == ("",) * 4
    assert own.placing_council_name == ""
    texts = _channels(own)
    assert set(texts) == {Channel.IN_APP, Channel.EMAIL, Channel.NOTIFY, Channel.WEBHOOK}
    # The e-mail leaves out the lines about a child and a home it does not name.
    body = notice_message(own).body
    assert "Child:" not in body and "Placed by:" not in body and "Where:" not in body
    secrets = [
        world.child.first_name,
        world.child.last_name,
        "Larch House",
        "SK4 2AB",
        "Southwark",
        "Stockport",
        "Croydon",  # from the reason, which may name the child
    ]
    for channel, text in texts.items():
        # A partner system's JSON has no subject line, and carries the child's opaque id.
        if channel != Channel.WEBHOOK:
            assert officer.get_full_name() in text, channel
            assert str(world.child.id) not in text, channel
        assert f"/notices/{own.id}/" in text, channel  # signed in, it links to the review
        for secret in secrets:
            assert secret.lower() not in text.lower(), (channel, secret)
    page = signed_in(world["met_colleague"]).get(reverse("notice_detail", args=[own.id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert review_path in body and str(world.child.id) not in body
    for secret in secrets:
        assert secret.lower() not in body.lower(), secret


def test_roles_that_may_not_view_children_are_not_offered_emergency_access(world):
    client = signed_in(world["leeds_analyst"])
    page = client.get(_page(world.child.id))
    assert page.status_code == 404 and "emergency access" not in page.content.decode()
    assert client.get(_emergency(world.child.id)).status_code == 404
    with pytest.raises(NotFoundOrNotAllowed):
        break_glass_open(user=world["leeds_analyst"], child_id=world.child.id, justification=REASON)


def test_involved_users_are_sent_to_the_record(world):
    response = signed_in(world["host"]).get(_emergency(world.child.id))
    assert response.status_code == 302 and response.url == _page(world.child.id)


def test_a_senior_officer_of_the_placing_council_reviews_each_use(world):
    kent = world["kent_manager"]
    with time_machine.travel(NOW, tick=False):
        grant = break_glass_open(user=kent, child_id=world.child.id, justification=REASON)
    manager = signed_in(world["placing_manager"])
    queue = manager.get(reverse("emergency_access_queue"))
    assert queue.status_code == 200
    assert "1 to review" in queue.content.decode()
    # The navigation shows the queue, with how many wait, only while some do.
    nav = 'Emergency access <span class="app-count">1<span class="govuk-visually-hidden"> to review'
    assert nav in manager.get(reverse("home")).content.decode()
    url = reverse("emergency_access_review", args=[grant.id])
    detail = manager.get(url).content.decode()
    assert escape(REASON) in detail
    # The child as elsewhere, first name and initial, linked; never a database id.
    name = f"Alex {world.child.last_name[0]}."
    assert f'href="{_page(world.child.id)}">{name}</a>' in detail
    assert str(world.child.id) not in detail.replace(_page(world.child.id), "")
    missing = manager.post(url, {"note": "Checked"})
    assert "Select whether the emergency access was justified" in missing.content.decode()
    saved = manager.post(url, {"outcome": "justified", "note": "Croydon police confirmed."})
    assert saved.status_code == 302
    review = BreakGlassReview.objects.get(grant=grant)
    assert (review.outcome, review.reviewed_by) == ("justified", world["placing_manager"])
    assert "Emergency access" not in manager.get(reverse("home")).content.decode()
    event = AuditEvent.objects.get(kind=AuditKind.REVIEW)
    assert event.grant_id == grant.id and event.child_id == world.child.id
    assert (event.verb, event.payload) == (
        AuditVerb.EMERGENCY_ACCESS_REVIEWED,
        {"outcome": "justified"},
    )
    assert (event.object_type, event.object_id) == ("break-glass review", str(review.id))
    placing_officer = f.user(world["placing"].organisation, Role.NOMINATED_OFFICER)
    with pytest.raises(ValidationError, match="already been reviewed"):
        break_glass_review(actor=placing_officer, grant_id=grant.id, outcome="justified", note="x")
    # The user does not see their own use; senior officers not concerned do not either.
    assert signed_in(kent).get(url).status_code == 404
    with pytest.raises(NotFoundOrNotAllowed):
        break_glass_review(actor=kent, grant_id=grant.id, outcome="justified", note="Mine")
    assert signed_in(world["host_manager"]).get(url).status_code == 404
    assert signed_in(world["placing"]).get(reverse("emergency_access_queue")).status_code == 404


def test_a_colleague_in_the_users_organisation_may_not_review(world):
    with time_machine.travel(NOW, tick=False):
        grant = break_glass_open(
            user=world["kent_manager"], child_id=world.child.id, justification=REASON
        )
    colleague = world["kent_other_manager"]
    with pytest.raises(ValidationError) as refused:
        break_glass_review(actor=colleague, grant_id=grant.id, outcome="justified", note="Fine")
    assert (refused.value.message, refused.value.field) == (NOT_YOUR_REVIEW, "outcome")
    client = signed_in(colleague)
    url = reverse("emergency_access_review", args=[grant.id])
    page = client.get(url)
    assert page.status_code == 200  # the alert links here: who and when, nothing more
    body = page.content.decode()
    assert "You cannot review a colleague" in body and 'name="outcome"' not in body
    for secret in (world.child.first_name, world.child.last_name, str(world.child.id), "Croydon"):
        assert secret not in body
    posted = client.post(url, {"outcome": "justified", "note": "Fine"})
    assert posted.status_code == 200
    assert not BreakGlassReview.objects.exists()
    # Not in their queue, nor counted in their navigation.
    queue = client.get(reverse("emergency_access_queue")).content.decode()
    assert url not in queue and "No one has used emergency access" in queue
    assert "Emergency access <span" not in client.get(reverse("home")).content.decode()


def test_police_use_is_reviewed_by_the_placing_council_not_the_force(world):
    with time_machine.travel(NOW, tick=False):
        grant = break_glass_open(
            user=world["met_officer"], child_id=world.child.id, justification=REASON
        )
    with pytest.raises(ValidationError, match="your own organisation"):
        break_glass_review(
            actor=world["met_admin"], grant_id=grant.id, outcome="justified", note="Call log."
        )
    review = break_glass_review(
        actor=world["placing_manager"],
        grant_id=grant.id,
        outcome="not justified",
        note="No call log.",
    )
    assert review.outcome == "not justified"


def test_the_placing_councils_own_use_is_reviewed_by_the_host_council(world):
    """A placing council cannot mark its own work: the council where the child lives does."""
    with time_machine.travel(NOW, tick=False):
        grant = break_glass_open(
            user=world["placing"], child_id=world.child.id, justification=REASON
        )
    url = reverse("emergency_access_review", args=[grant.id])
    with pytest.raises(ValidationError, match="your own organisation"):
        break_glass_review(
            actor=world["placing_manager"], grant_id=grant.id, outcome="justified", note="Ok"
        )
    placing_queue = signed_in(world["placing_manager"]).get(reverse("emergency_access_queue"))
    assert url not in placing_queue.content.decode()
    host = signed_in(world["host_manager"])
    queue = host.get(reverse("emergency_access_queue")).content.decode()
    assert url in queue and "1 to review" in queue
    assert f"Alex {world.child.last_name[0]}." in host.get(url).content.decode()
    # The host council is alerted as reviewer; the placing council as the user's organisation.
    host_org = world["host_manager"].organisation
    alerts = Notice.objects.filter(kind=BREAK_GLASS_KIND)
    assert {n.recipient for n in alerts} == {host_org, world["placing"].organisation}
    assert alerts.get(recipient=host_org).setting_name == "Larch House"
    assert alerts.get(recipient=world["placing"].organisation).child_name == ""
    saved = host.post(url, {"outcome": "justified", "note": "Placing council's duty line."})
    assert saved.status_code == 302
    assert BreakGlassReview.objects.get(grant=grant).reviewed_by == world["host_manager"]


def test_with_no_independent_council_the_platform_reviews(world):
    world["host_manager"].is_active = False
    world["host_manager"].save()
    platform = f.platform_operator()
    with time_machine.travel(NOW, tick=False):
        grant = break_glass_open(
            user=world["placing"], child_id=world.child.id, justification=REASON
        )
    with pytest.raises(ValidationError, match="your own organisation"):
        break_glass_review(
            actor=world["placing_manager"], grant_id=grant.id, outcome="justified", note="Ok"
        )
    queue = signed_in(platform).get(reverse("emergency_access_queue")).content.decode()
    assert reverse("emergency_access_review", args=[grant.id]) in queue
    review = break_glass_review(
        actor=platform, grant_id=grant.id, outcome="justified", note="Duty line confirmed."
    )
    assert review.reviewed_by == platform


def test_an_organisation_administrator_is_not_the_platform(world):
    """Before issue 12 the demo's council administrator was a superuser, and reviewed as the
    platform. An organisation's people never are the platform: a superuser with an
    organisation cannot be saved."""
    from django.db import IntegrityError, transaction

    world["host_manager"].is_active = False
    world["host_manager"].save()
    admin = f.user(f.council_org("383"), Role.ADMINISTRATOR)
    admin.is_superuser = True
    with pytest.raises(IntegrityError), transaction.atomic():
        admin.save()
    admin.refresh_from_db()
    with time_machine.travel(NOW, tick=False):
        grant = break_glass_open(
            user=world["placing"], child_id=world.child.id, justification=REASON
        )
    assert not may_review(admin, grant)


@pytest.mark.parametrize(
    "reason",
    [
        "a" * 40,
        "x x x x",
        "because",
        "Missing child urgently",  # 3 words
        "help help help help help help",  # the same word
        "1234 5678 9012 3456 7890",  # no words of letters
    ],
)
def test_a_reason_must_say_something(world, reason):
    with pytest.raises(ValidationError) as refused:
        break_glass_open(user=world["met_officer"], child_id=world.child.id, justification=reason)
    assert (refused.value.message, refused.value.field) == (JUSTIFICATION_TOO_THIN, "justification")
    page = signed_in(world["met_officer"]).post(
        _emergency(world.child.id), {"justification": reason}
    )
    assert page.status_code == 200
    assert JUSTIFICATION_TOO_THIN in page.content.decode()
    assert not AccessGrant.objects.exists()


@pytest.mark.parametrize("reason", [REASON, "Child found at station, carer unknown"])
def test_a_reason_that_says_something_is_accepted(world, reason):
    response = signed_in(world["met_officer"]).post(
        _emergency(world.child.id), {"justification": reason}
    )
    assert response.status_code == 302
    assert AccessGrant.objects.get(reason=GrantReason.BREAK_GLASS).justification == reason


def test_a_justified_request_for_no_child_is_not_found_and_grants_nothing(world):
    client = signed_in(world["met_officer"])
    response = client.post(_emergency(uuid.uuid4()), {"justification": REASON})
    assert response.status_code == 404
    assert not AccessGrant.objects.exists()
    assert not Notice.objects.filter(kind=BREAK_GLASS_KIND).exists()


def test_an_involved_user_never_breaks_the_glass(world):
    response = signed_in(world["host"]).post(_emergency(world.child.id), {"justification": REASON})
    assert response.status_code == 302
    assert not AccessGrant.objects.filter(reason=GrantReason.BREAK_GLASS).exists()


def test_the_review_queue_names_the_child_for_reviewers_who_may_see_the_child(world):
    """Issue 14: the queue, like the review page, names the child (first name and initial)
    for a senior officer who may see the child, and never shows a database id."""
    with time_machine.travel(NOW, tick=False):
        grant = break_glass_open(
            user=world["kent_manager"], child_id=world.child.id, justification=REASON
        )
    name = f"Alex {world.child.last_name[0]}."
    queue = signed_in(world["placing_manager"]).get(reverse("emergency_access_queue"))
    html = queue.content.decode()
    assert f"{name}, placed by " in html
    assert str(world.child.id) not in html and str(grant.child_id) not in html
    # The platform, reviewing when no council is independent, sees no name.
    world["host_manager"].is_active = False
    world["host_manager"].save()
    with time_machine.travel(NOW, tick=False):
        own = break_glass_open(user=world["placing"], child_id=world.child.id, justification=REASON)
    platform = signed_in(f.platform_operator()).get(reverse("emergency_access_queue"))
    html = platform.content.decode()
    assert reverse("emergency_access_review", args=[own.id]) in html
    assert "A child placed by " in html and name not in html
    assert str(world.child.id) not in html
