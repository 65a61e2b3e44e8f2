"""The parent's view: a social worker invites a parent; the parent opens the signed link,
gets a one-time code at the invited address and sees the plan and the council's contacts,
and nothing else. Ending the invitation, or restricting the parent, closes it at once."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.family.models import Parent, ParentInvitation, ParentSharing
from sightline.family.services import plan_version_record
from sightline.notifications import links
from sightline.placements.models import Contact, ContactRole
from tests import factories
from tests.family.conftest import PARENT_EMAIL

pytestmark = pytest.mark.django_db

PLAN = "Stay at the home; weekly football with the local club."


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.actions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        if tag == "form":
            self.actions.append(values.get("action") or "")


def _links(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _invite(world, smtp_server, capture) -> str:
    """The social worker invites the parent through the pages; returns the link's path."""
    parent = world.parent()
    sw = factories.signed_in(world.social_worker)
    with capture(execute=True):
        response = sw.post(reverse("family_parent_invite", args=[parent.id]), {"days": "28"})
    assert response.status_code == 302
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == [PARENT_EMAIL]
    body = mail.message.get_content()
    assert world.child.last_name not in body and world.child.first_name not in body
    url = re.search(r"https?://\S+(/parent/\S+/)", body)
    assert url
    return url.group(1)


def _open(client: Client, path: str, smtp_server, capture) -> None:
    with capture(execute=True):
        assert client.post(path, {"action": "send"}).status_code == 302
    code = re.search(r"Your code is (\d{6})", smtp_server.received[-1].message.get_content())
    assert code and smtp_server.received[-1].rcpt_tos == [PARENT_EMAIL]
    assert client.post(path, {"action": "check", "code": code.group(1)}).status_code == 302


@pytest.fixture
def invited(family_world, smtp_server, django_capture_on_commit_callbacks):
    w = family_world
    plan_version_record(
        actor=w.social_worker,
        child=w.child,
        summary=PLAN,
        child_took_part=True,
        child_views="I picked football.",
    )
    for role, name in ((ContactRole.SOCIAL_WORKER, "Casey Allocated"),):
        Contact.objects.create(
            organisation=w.social_worker.organisation,
            placement=w.placement,
            role=role,
            name=name,
            phone="020 7946 0001",
            email="casey@southwark.example",
            last_confirmed_at=w.placement.created_at,
        )
    # The home's manager would say where the child lives: never shown to a parent.
    Contact.objects.create(
        organisation=w.home_staff.organisation,
        setting=w.placement.setting,
        role=ContactRole.HOME_MANAGER,
        name="Morgan Homemanager",
        phone="0161 496 0000",
        last_confirmed_at=w.placement.created_at,
    )
    return _invite(w, smtp_server, django_capture_on_commit_callbacks)


def test_the_parent_sees_the_plan_and_contacts_with_a_code_and_every_look_is_audited(
    family_world, invited, smtp_server, django_capture_on_commit_callbacks
):
    parent = Client()
    before = parent.get(invited).content.decode()
    assert PLAN not in before and "Send a code" in before
    _open(parent, invited, smtp_server, django_capture_on_commit_callbacks)
    plan = parent.get(invited).content.decode()
    assert PLAN in plan
    contacts = parent.get(reverse("parent_view_contacts", args=[invited.split("/")[2]]))
    text = contacts.content.decode()
    assert "Casey Allocated" in text and "020 7946 0001" in text
    assert "Morgan Homemanager" not in text
    setting = family_world.placement.setting
    for page_html in (plan, text):
        assert setting.postcode not in page_html and setting.name not in page_html
        assert "Jordan Example" not in page_html  # no other people: not even their own name
        assert "I picked football." not in page_html  # the child's words stay with staff
    looks = AuditEvent.objects.filter(verb=AuditVerb.PARENT_VIEW_LOOKED)
    assert sorted(e.payload["page"] for e in looks) == ["contacts", "plan"]
    assert AuditEvent.objects.filter(verb=AuditVerb.PARENT_CODE_SENT).count() == 1
    assert AuditEvent.objects.filter(verb=AuditVerb.PARENT_INVITED).count() == 1
    assert ParentSharing.objects.filter(channel="parent_view").count() == 2


def test_the_parent_view_shows_nothing_beyond_the_plan_and_contacts(
    invited, smtp_server, django_capture_on_commit_callbacks
):
    """Walks every link and form on the parent's pages: each stays inside the view (the
    plan, the contacts) or is a page fragment or a static file; nothing else is reachable."""
    parent = Client()
    _open(parent, invited, smtp_server, django_capture_on_commit_callbacks)
    token = invited.split("/")[2]
    allowed = {reverse("parent_view", args=[token]), reverse("parent_view_contacts", args=[token])}
    seen: set[str] = set()
    queue = [invited]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = parent.get(path)
        assert response.status_code == 200, path
        found = _links(response.content.decode())
        for href in found.hrefs + [a for a in found.actions if a]:
            target = urlsplit(href)
            if href.startswith("#") or target.path.startswith("/static/"):
                continue
            assert not target.netloc, href
            assert target.path in allowed, f"{path} links to {href}"
            queue.append(target.path)
    assert seen == allowed


def test_ending_the_invitation_closes_the_view_at_once(
    family_world, invited, smtp_server, django_capture_on_commit_callbacks
):
    parent = Client()
    _open(parent, invited, smtp_server, django_capture_on_commit_callbacks)
    invitation = ParentInvitation.objects.get()
    sw = factories.signed_in(family_world.social_worker)
    response = sw.post(reverse("family_parent_invitation_end", args=[invitation.parent_id]))
    assert response.status_code == 302
    refused = parent.get(invited)
    assert refused.status_code == 404 and PLAN not in refused.content.decode()
    assert AuditEvent.objects.filter(verb=AuditVerb.PARENT_INVITATION_ENDED).count() == 1


def test_a_tampered_or_wrong_code_opens_nothing(
    invited, smtp_server, django_capture_on_commit_callbacks
):
    parent = Client()
    assert parent.get(invited[:-3] + "xx/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        parent.post(invited, {"action": "send"})
    wrong = parent.post(invited, {"action": "check", "code": "000000"})
    assert wrong.status_code == 400
    assert PLAN not in parent.get(invited).content.decode()


@pytest.mark.parametrize("role", ["nobody", "social_worker", "police"])
def test_every_signed_in_role_gets_the_same_answer_from_the_link(family_world, invited, role):
    """The link is public: the session admits nothing more (the authorisation matrix of the
    parent's view). Without the code, nobody sees the plan, staff included."""
    users = {"social_worker": family_world.social_worker, "police": family_world.police}
    client = factories.signed_in(users[role]) if role in users else Client()
    page = client.get(invited)
    assert page.status_code == 200 and PLAN not in page.content.decode()
    token = invited.split("/")[2]
    assert client.get(reverse("parent_view_contacts", args=[token])).status_code == 302


def test_the_link_carries_no_address_and_dies_when_the_address_changes(
    family_world, invited, smtp_server, django_capture_on_commit_callbacks
):
    """The signed link is readable by whoever holds it and reaches the request log when
    refused: it carries the address's digest, never the address. Correcting the parent's
    address closes a link sent to the old one (security review)."""
    token = invited.rstrip("/").rsplit("/", 1)[1]
    value = links.link_read(token=token, purpose=links.Purpose.PARENT_VIEW, max_age_days=400)
    assert PARENT_EMAIL not in json.dumps(value) and "@" not in json.dumps(value)
    parent = Client()
    _open(parent, invited, smtp_server, django_capture_on_commit_callbacks)
    assert PLAN in parent.get(invited).content.decode()
    invitation = ParentInvitation.objects.select_related("parent").get()
    Parent.objects.filter(pk=invitation.parent_id).update(email="corrected@example.org")
    refused = parent.get(invited)
    assert refused.status_code == 404 and PLAN not in refused.content.decode()
