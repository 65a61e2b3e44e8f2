"""Break-glass: emergency access with a written justification, for 4 hours, alerted to the
placing council and the user's organisation, and reviewed by a senior officer."""

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from sightline.access.breakglass import BREAK_GLASS_HOURS, break_glass_open, break_glass_review
from sightline.access.models import AccessGrant, AccessRecord, BreakGlassReview, GrantReason
from sightline.audit.models import AuditEvent, AuditKind
from sightline.audit.selectors import audit_verify
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.notifications.models import Notice
from sightline.placements.notices import BREAK_GLASS_KIND
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
    assert "40 characters or more" in real.content.decode()
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
    assert events.get(kind=AuditKind.GRANT).payload == {"hours": BREAK_GLASS_HOURS}
    assert REASON[:60] in events.get(kind=AuditKind.GRANT).purpose
    # Not the safety profile, and not colleagues.
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        profile = client.get(reverse("safety_profile", args=[world.child.id]))
        assert profile.status_code == 404
        assert signed_in(world["met_colleague"]).get(_page(world.child.id)).status_code == 404
    with time_machine.travel(NOW + dt.timedelta(hours=BREAK_GLASS_HOURS), tick=False):
        assert client.get(_page(world.child.id)).status_code == 404
    assert audit_verify().intact


def test_the_placing_council_and_the_users_organisation_are_alerted(world):
    officer = world["met_officer"]
    with time_machine.travel(NOW, tick=False):
        grant = break_glass_open(user=officer, child_id=world.child.id, justification=REASON)
        again = break_glass_open(user=officer, child_id=world.child.id, justification=REASON)
    assert again == grant  # an active grant is reused: one alert per use
    notices = Notice.objects.filter(kind=BREAK_GLASS_KIND)
    assert {n.recipient for n in notices} == {
        world["placing"].organisation,
        officer.organisation,
    }
    notice = notices.get(recipient=world["placing"].organisation)
    assert notice.sender == officer.organisation
    assert notice.setting_name == "Larch House"
    # The placing council reads it in its inbox.
    inbox = signed_in(world["placing"]).get(reverse("notice_detail", args=[notice.id]))
    assert inbox.status_code == 200
    assert "Emergency access" in inbox.content.decode()


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


def test_a_senior_officer_reviews_each_use(world):
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
    detail = manager.get(url)
    assert escape(REASON) in detail.content.decode()
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
    with pytest.raises(ValidationError, match="already been reviewed"):
        break_glass_review(
            actor=world["kent_other_manager"], grant_id=grant.id, outcome="justified", note="x"
        )
    # The user's own organisation's senior officer sees it; the user does not review it.
    assert signed_in(world["kent_other_manager"]).get(url).status_code == 200
    assert signed_in(kent).get(url).status_code == 404
    with pytest.raises(NotFoundOrNotAllowed):
        break_glass_review(actor=kent, grant_id=grant.id, outcome="justified", note="Mine")
    # Senior officers of organisations not concerned do not see it.
    assert signed_in(world["host_manager"]).get(url).status_code == 404
    assert signed_in(world["placing"]).get(reverse("emergency_access_queue")).status_code == 404


def test_police_use_is_reviewed_by_the_forces_administrator(world):
    with time_machine.travel(NOW, tick=False):
        grant = break_glass_open(
            user=world["met_officer"], child_id=world.child.id, justification=REASON
        )
    review = break_glass_review(
        actor=world["met_admin"], grant_id=grant.id, outcome="not justified", note="No call log."
    )
    assert review.outcome == "not justified"


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
