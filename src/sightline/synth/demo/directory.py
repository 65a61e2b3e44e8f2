"""The demo's directory: every council and force with clearly synthetic front doors.

The shipped directory has no contact details (no published list exists, and the project
invents none for real councils). The demo fills every entry with synthetic ones, so that a
notice to a council or force nobody signs in as is e-mailed with its acknowledgement link:
inboxes at ``<slug>.example.org`` (a domain reserved for examples, RFC 2606) and out-of-hours
numbers from Ofcom's range for drama (01632 960000 to 960999), never a real one. They are
marked verified without a link (``address_mark_verified``, refused in production), since
nobody reads them. Entries an operator already filled in are left alone.
"""

from __future__ import annotations

from django.db import transaction

from sightline.core.timeutil import now
from sightline.notifications.directory import address_mark_verified, directory_load
from sightline.notifications.models import DirectoryEntry

SOURCE = "synthetic (Sightline demo)"


def _slug(name: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return slug


def demo_directory_fill() -> int:
    """Load the directory and give every empty entry synthetic, verified inboxes. Returns how
    many entries were filled."""
    directory_load()
    today = now().date()
    filled = 0
    with transaction.atomic():
        entries = DirectoryEntry.objects.select_related("organisation").filter(
            placement_inbox="", missing_inbox=""
        )
        for index, entry in enumerate(entries.order_by("organisation__name")):
            slug = _slug(entry.organisation.name)
            entry.placement_inbox = f"placements@{slug}.example.org"
            entry.missing_inbox = f"missing@{slug}.example.org"
            entry.out_of_hours_phone = f"01632 960{index % 1000:03d}"
            entry.source = SOURCE
            entry.last_verified = today
            entry.save()
            address_mark_verified(address=entry.placement_inbox, actor=None)
            address_mark_verified(address=entry.missing_inbox, actor=None)
            filled += 1
    return filled
