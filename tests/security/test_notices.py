"""Notices follow the involvement (issue 12's finding: analysts and administrators, whom the
policy denies every child, read notices' child details on the web and through the API).

For every kind of organisation × role × involvement of the authorisation matrix's world: a
notice about the child is seen by its sender and recipient only (anyone else gets the same 404
as for a notice that does not exist), and shows the child's first name and initial and the
home's name and postcode exactly when ``POLICY[VIEW_NOTICE]`` allows the role through its
involvement. An organisation no longer involved sees that the notice existed, not the child.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from sightline.access.policy import Action, Involvement
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.core.timeutil import now
from sightline.notifications.access import access_notice
from sightline.notifications.models import Notice
from sightline.organisations.models import OrganisationKind, Role
from sightline.placements.services import placement_end
from tests import factories
from tests.security.world import SUBJECTS, Subject, World

pytestmark = pytest.mark.django_db

CHILD_NAME = "Morgan M."  # first name and surname initial, as notices carry it
HOME = ("Beacon House", "SK4 2AB")
NOT_SHOWN = "Not shown"


def _notices(world: World) -> list[Notice]:
    notices = list(Notice.objects.filter(child=world.child).order_by("created_at"))
    assert notices, "The world sent no notices"
    return notices


def _party(world: World, subject: Subject, notice: Notice) -> bool:
    return world.org(subject).pk in (notice.recipient_id, notice.sender_id)


def test_the_world_sends_notices_to_agencies_with_and_without_child_access(
    matrix_world: World,
) -> None:
    parties = {s for s in SUBJECTS for n in _notices(matrix_world) if _party(matrix_world, s, n)}
    assert any(s.may(Action.VIEW_NOTICE) for s in parties)
    assert any(not s.may(Action.VIEW_NOTICE) for s in parties)
    assert {Role.ANALYST, Role.ADMINISTRATOR} <= {s.role for s in parties}


@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_each_notice_page_shows_the_child_exactly_when_the_policy_allows(
    matrix_world: World, subject: Subject
) -> None:
    client = factories.signed_in(matrix_world.users[subject])
    wrong = []
    for notice in _notices(matrix_world):
        response = client.get(reverse("notice_detail", args=[notice.id]))
        if not _party(matrix_world, subject, notice):
            if response.status_code != 404:
                wrong.append(f"{notice.kind}: {response.status_code}, not 404")
            continue
        html = response.content.decode()
        shows = subject.may(Action.VIEW_NOTICE)
        if response.status_code != 200 or notice.reference not in html:
            wrong.append(f"{notice.kind}: {response.status_code}")
        elif notice.child_name and (CHILD_NAME in html) is not shows:
            wrong.append(f"{notice.kind}: child's name shown is {not shows}")
        elif notice.setting_name and any(h in html for h in HOME) is not shows:
            wrong.append(f"{notice.kind}: home shown is {not shows}")
        elif not shows and NOT_SHOWN not in html:
            wrong.append(f"{notice.kind}: does not say the child is not shown")
    assert wrong == []


@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_the_inbox_shows_the_child_exactly_when_the_policy_allows(
    matrix_world: World, subject: Subject
) -> None:
    html = factories.signed_in(matrix_world.users[subject]).get("/notices/").content.decode()
    received = [n for n in _notices(matrix_world) if n.recipient_id == matrix_world.org(subject).pk]
    if not received:
        return
    assert (CHILD_NAME in html) is subject.may(Action.VIEW_NOTICE), subject.id
    for notice in received:
        assert notice.reference in html


@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_the_urgent_lane_shows_the_child_exactly_when_the_policy_allows(
    matrix_world: World, subject: Subject
) -> None:
    """The urgent lane and its banner (issue 14): the organisation's own waiting alerts only;
    the child's first name and initial exactly when the policy allows, the banner never."""
    html = factories.signed_in(matrix_world.users[subject]).get("/notices/urgent/")
    page = html.content.decode()
    waiting = [
        n
        for n in _notices(matrix_world)
        if n.recipient_id == matrix_world.org(subject).pk
        and n.urgent_ack_due_at is not None
        and n.acknowledged_at is None
    ]
    others = [n for n in _notices(matrix_world) if n not in waiting]
    assert html.status_code == 200
    assert not [n.reference for n in others if n.reference in page.split("<table")[-1]]
    if not waiting:
        assert "There are no urgent alerts to acknowledge" in page
        assert "app-urgent-banner" not in page
        return
    for notice in waiting:
        assert notice.reference in page
    assert (CHILD_NAME in page) is subject.may(Action.VIEW_NOTICE), subject.id
    banner = page.split('id="app-urgent-banner-title"')[1].split("</form>")[0]
    assert CHILD_NAME not in banner and "Morgan" not in banner


KEYED = [s for s in SUBJECTS if s.role != Role.ADMINISTRATOR]


@pytest.mark.parametrize("subject", KEYED, ids=[s.id for s in KEYED])
def test_the_api_inbox_shows_the_child_exactly_when_the_policy_allows(
    matrix_world: World, subject: Subject
) -> None:
    headers = {"Authorization": f"Bearer {matrix_world.keys[subject]}"}
    response = Client().get("/api/v1/notices", {"limit": 100}, headers=headers)
    assert response.status_code == 200
    body = response.content.decode()
    items = response.json()["items"]
    ours = {str(n.id) for n in _notices(matrix_world)}
    shows = subject.may(Action.VIEW_NOTICE)
    for item in items:
        if item["id"] in ours:
            assert item["child_shown"] is shows, subject.id
            assert (item["child_id"] == str(matrix_world.child.id)) is shows
    if not shows:
        assert CHILD_NAME not in body and HOME[0] not in body and HOME[1] not in body


@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.id for s in SUBJECTS])
def test_the_access_function_gives_one_answer_for_absent_and_not_a_party(
    matrix_world: World, subject: Subject
) -> None:
    user = matrix_world.users[subject]
    with pytest.raises(NotFoundOrNotAllowed) as absent:
        access_notice(user, uuid.uuid4(), purpose="Authorisation matrix")
    for notice in _notices(matrix_world):
        if _party(matrix_world, subject, notice):
            access = access_notice(user, notice.id, purpose="Authorisation matrix")
            assert (access.child is not None) is subject.may(Action.VIEW_NOTICE)
        else:
            with pytest.raises(NotFoundOrNotAllowed) as denied:
                access_notice(user, notice.id, purpose="Authorisation matrix")
            assert str(denied.value) == str(absent.value)


HOST = (OrganisationKind.COUNCIL, Involvement.HOST_COUNCIL)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ADMINISTRATOR])
def test_analysts_and_administrators_get_no_child_details_from_a_notice(
    matrix_world: World, role: str
) -> None:
    """The finding itself: the host council's analyst and administrator see the notice
    exists, never who or where the child is; the administrator may still acknowledge it."""
    w = matrix_world
    subject = Subject(*HOST[:1], role, HOST[1])
    notice = Notice.objects.filter(child=w.child, recipient=w.org(subject)).first()
    assert notice is not None
    client = factories.signed_in(w.users[subject])
    for url in ("/notices/", reverse("notice_detail", args=[notice.id])):
        html = client.get(url).content.decode()
        assert notice.reference in html
        assert CHILD_NAME not in html and "Morgan" not in html, url
        assert HOME[0] not in html and HOME[1] not in html, url
    if role == Role.ANALYST:
        headers = {"Authorization": f"Bearer {w.keys[subject]}"}
        body = Client().get("/api/v1/notices", headers=headers).content.decode()
        assert notice.reference in body and "Morgan" not in body and HOME[1] not in body
    acknowledged = client.post(reverse("notice_acknowledge", args=[notice.id]))
    notice.refresh_from_db()
    if role == Role.ADMINISTRATOR:  # ORGANISATION_POLICY lets administrators acknowledge
        assert acknowledged.status_code == 302 and notice.acknowledged_at is not None
    else:
        assert acknowledged.status_code == 404 and notice.acknowledged_at is None


def test_a_police_force_no_longer_involved_sees_the_notice_existed_but_not_the_child(
    matrix_world: World,
) -> None:
    w = matrix_world
    police = Subject(OrganisationKind.POLICE, Role.POLICE_MISSING_OFFICER, Involvement.HOST_POLICE)
    notice = Notice.objects.filter(child=w.child, recipient=w.org(police)).first()
    assert notice is not None
    client = factories.signed_in(w.users[police])
    headers = {"Authorization": f"Bearer {w.keys[police]}"}
    before = client.get(reverse("notice_detail", args=[notice.id])).content.decode()
    assert CHILD_NAME in before
    placing = w.users[
        Subject(OrganisationKind.COUNCIL, Role.SOCIAL_WORKER, Involvement.PLACING_COUNCIL)
    ]
    placement_end(actor=placing, placement=w.placement, end_date=now().date())
    page = client.get(reverse("notice_detail", args=[notice.id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert notice.reference in html and notice.kind_label in html  # it existed
    assert w.org(police).name in html  # to whom
    assert CHILD_NAME not in html and HOME[0] not in html and HOME[1] not in html
    assert NOT_SHOWN in html
    api = json.loads(Client().get("/api/v1/notices", {"limit": 100}, headers=headers).content)
    [item] = [i for i in api["items"] if i["id"] == str(notice.id)]
    assert item["child_shown"] is False
    assert [item[k] for k in ("child_id", "child_name", "setting_name", "setting_postcode")] == [
        None
    ] * 4
    assert item["reference"] == notice.reference and item["due_at"]
