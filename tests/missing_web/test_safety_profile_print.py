"""The safety profile on paper: one A4 page per child, with the episode open now (last seen
when, where and wearing what), the photo, the risks and who to call; and the same page as a
PDF printed by Chromium. Both are reads of the profile: declared, recorded, never cached."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sightline.access.models import AccessRecord
from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.core.pdf import chromium_path
from sightline.missing.services import safety_profile_update
from tests.missing_web.conftest import World, png, report, signed_in, squash, without_csrf

pytestmark = pytest.mark.django_db

PDF_PURPOSE = "Download the safety profile as a PDF"


def print_url(world: World) -> str:
    return reverse("safety_profile_print", args=[world.child.id])


def pdf_url(world: World) -> str:
    return reverse("safety_profile_pdf", args=[world.child.id])


def keep_profile(world: World) -> None:
    safety_profile_update(
        actor=world.home_staff,
        child=world.child,
        description="Slim, 5 ft 2, long dark hair, scar above left eyebrow",
        associates="Friends at the skate park",
        places_frequented="Stockport bus station",
        phones_and_social_media="07700 900123",
        medical_needs="Asthma: blue inhaler",
        known_risks="Older men approaching her near the station",
        photo=SimpleUploadedFile("robin.png", png(), content_type="image/png"),
    )


def need_chromium() -> None:
    if chromium_path() is not None:
        return
    reason = "Printing to PDF needs Chromium (apt-get install chromium)."
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def pdf_pages(pdf: bytes) -> int:
    """Page objects in the file: ``/Type /Page`` but not ``/Type /Pages``."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_the_print_page_has_what_a_patrol_needs(world: World, at_monday):
    keep_profile(world)
    report(world)
    response = signed_in(world.officer).get(print_url(world))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = squash(response.content.decode())
    for text in (
        "Robin Quillfeather",
        "Missing now",
        "2 February 2026 at 9am",  # last seen, an hour before the report
        "Leaving the home by the back gate",
        "Black puffer jacket, grey joggers",
        "Missing for",
        "1 hour",
        "Medium risk (2021 list)",
        "GMP-0202-1234",
        "scar above left eyebrow",
        "Older men approaching her near the station",
        "Asthma: blue inhaler",
        "Stockport bus station",
        "Who to call",
        "Larch House, SK4 2AB",
        "missing@stockport.example",
        "children@southwark.example",
        "mispers@gmp.example",
        "OFFICIAL-SENSITIVE",
    ):
        assert text in html, text
    # The photo through its access-checked view; the PDF link is on the page.
    assert f"{reverse('safety_profile_photo', args=[world.child.id])}?version=1" in html
    assert pdf_url(world) in html
    assert AccessRecord.objects.filter(
        user=world.officer, purpose="Print the safety profile"
    ).exists()


def test_the_profile_page_links_to_printing_and_the_pdf(world: World, at_monday):
    keep_profile(world)
    html = (
        signed_in(world.social_worker)
        .get(reverse("safety_profile", args=[world.child.id]))
        .content.decode()
    )
    assert print_url(world) in html and pdf_url(world) in html


def test_the_print_page_without_an_open_episode_or_profile(world: World, at_monday):
    html = squash(signed_in(world.home_staff).get(print_url(world)).content.decode())
    assert "Not missing now" in html
    assert "No photo" in html
    assert "No safety profile has been recorded: ask the home." in html
    assert "Larch House" in html  # who to call comes from the current placement


def test_the_print_page_and_pdf_are_refused_like_a_child_that_does_not_exist(
    world: World, at_monday
):
    keep_profile(world)
    # The police see the profile only once the child is reported missing; the host council
    # and other organisations never.
    for user in (world.officer, world.coordinator, world.other_home_staff):
        client = signed_in(user)
        for url in (print_url(world), pdf_url(world)):
            refused = client.get(url)
            assert refused.status_code == 404, (user, url)
        unknown = client.get(reverse("safety_profile_pdf", args=[uuid.uuid4()]))
        assert without_csrf(refused.content.decode()) == without_csrf(unknown.content.decode())
    assert not AccessRecord.objects.filter(purpose=PDF_PURPOSE).exists()


def test_the_pdf_is_one_a4_page_and_its_download_is_recorded(world: World, at_monday):
    need_chromium()
    keep_profile(world)
    report(world)
    response = signed_in(world.officer).get(pdf_url(world))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="safety-profile-{world.child.child_ref}-2026-02-02.pdf"'
    )
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == 1
    # A4 is 595 x 842 points.
    [box] = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert (round(float(box[0])), round(float(box[1]))) == (595, 842)
    record = AccessRecord.objects.get(user=world.officer, purpose=PDF_PURPOSE)
    assert record.action == "view safety profile" and record.grant is not None
    event = AuditEvent.objects.get(verb=AuditVerb.CHILD_VIEWED, purpose=PDF_PURPOSE)
    assert event.user_id == world.officer.pk
