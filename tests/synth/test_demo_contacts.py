"""The demo fills every contact the record shows (issue 14): no child living somewhere
has an empty contact, each was confirmed in the past three months, and nothing reaches a
real person."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from sightline.access.policy import ChildAccess, children_visible_to
from sightline.core.timeutil import now
from sightline.missing.contacts import child_contacts
from sightline.notifications.models import NoticePolicy
from sightline.organisations.models import User
from sightline.placements.models import Contact
from sightline.placements.selectors import placements_current
from sightline.synth.demo import demo_load
from tests.factories import signed_in

pytestmark = pytest.mark.django_db


def test_no_contact_is_empty_in_the_demo():
    demo_load(seed=3)
    current = list(
        placements_current().select_related("child__placing_council", "setting", "host_council")
    )
    assert current
    reader = User.objects.get(username="coordinator.stockport")
    for placement in current:
        # Every child, also those no demo sign-in sees: the selector's input, made here.
        access = ChildAccess(child=placement.child, involvements=frozenset())
        lines = child_contacts(user=reader, access=access, placement=placement, can_allocate=False)
        assert [line.missing for line in lines] == [""] * 6, (placement.child.child_ref, lines)
    recent = now() - dt.timedelta(days=91)
    for contact in Contact.objects.all():
        assert contact.last_confirmed_at > recent
        assert re.fullmatch(r"01632 960 \d{3}|0808 157 0\d{3}", contact.phone), contact.phone
        assert contact.email.endswith("@example.invalid")
    # Each organisation on shift names a duty contact for urgent alerts (issue 14): its own
    # person, on a drama-range mobile.
    for username in ("coordinator.stockport", "police.gmp", "manager.brightwater"):
        user = User.objects.get(username=username)
        policy = NoticePolicy.objects.get(organisation=user.organisation)
        assert policy.duty_contact == user and policy.urgent_ack_minutes == 30
        assert re.fullmatch(r"\+447700900\d{3}", policy.duty_phone), policy.duty_phone


def test_the_record_shows_the_demo_contacts():
    demo_load(seed=3)
    user = User.objects.get(username="coordinator.stockport")
    child = next(
        c for c in children_visible_to(user) if placements_current().filter(child=c).exists()
    )
    html = signed_in(user).get(reverse("child_detail", args=[child.pk])).content.decode()
    contacts = html.split('id="contacts"')[1].split("</dl>")[0]
    assert "Not recorded" not in contacts and contacts.count("Last confirmed") == 6
