"""The demo's directory: every entry filled with synthetic, verified front doors; nothing
that could be a real address or number."""

from __future__ import annotations

import re

import pytest

from sightline.notifications.directory import SHIPPED
from sightline.notifications.models import AddressStatus, DirectoryEntry, InboxAddress
from sightline.synth.demo.directory import SOURCE, demo_directory_fill

pytestmark = pytest.mark.django_db


def test_every_entry_gets_synthetic_verified_inboxes_and_a_drama_number():
    rows = len(SHIPPED.read_text(encoding="utf-8").strip().splitlines()) - 1
    assert demo_directory_fill() == rows
    entries = list(DirectoryEntry.objects.all())
    assert len(entries) == rows
    for entry in entries:
        assert entry.placement_inbox.endswith(".example.org")
        assert entry.missing_inbox.endswith(".example.org")
        assert re.fullmatch(r"01632 960\d{3}", entry.out_of_hours_phone)
        assert entry.source == SOURCE
    assert set(InboxAddress.objects.values_list("status", flat=True)) == {AddressStatus.VERIFIED}
    assert InboxAddress.objects.count() == 2 * rows
    # Again: nothing to fill, nothing changed.
    assert demo_directory_fill() == 0
