"""The safety profile on the web: kept by the home, read by the placing council, and by the
police only from the moment a missing report is made. The photo is served only through a
view that goes through the access policy, and never cached."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sightline.access.models import AccessRecord
from sightline.missing.models import SafetyProfileVersion
from sightline.missing.services import safety_profile_update
from sightline.missing.storage import private_storage
from tests.missing_web.conftest import World, png, report, signed_in, squash, without_csrf

pytestmark = pytest.mark.django_db


def profile_url(world: World) -> str:
    return reverse("safety_profile", args=[world.child.id])


def photo_url(world: World) -> str:
    return reverse("safety_profile_photo", args=[world.child.id])


def edit(client, world: World, **changes):
    data = {
        "description": "Slim, 5 ft 2, long dark hair, scar above left eyebrow",
        "associates": "Friends at the skate park",
        "places_frequented": "Stockport bus station",
        "phones_and_social_media": "07700 900123",
        "medical_needs": "Asthma: blue inhaler",
        "known_risks": "",
        **changes,
    }
    return client.post(reverse("safety_profile_edit", args=[world.child.id]), data)


def test_the_home_keeps_the_profile_with_a_photo_and_each_change_is_a_version(
    world: World, at_monday
):
    client = signed_in(world.home_staff)
    photo = SimpleUploadedFile("robin.png", png(), content_type="image/png")
    response = edit(
        client,
        world,
        photo=photo,
        photo_taken_on_0="12",
        photo_taken_on_1="1",
        photo_taken_on_2="2026",
    )
    assert response.status_code == 302
    assert response["Location"] == profile_url(world)
    first = SafetyProfileVersion.objects.get()
    assert first.version == 1 and first.photo.name.endswith(".png")
    assert first.description.startswith("Slim")

    edit(client, world, known_risks="Older men approaching her near the station")
    assert SafetyProfileVersion.objects.count() == 2
    # The same answers again: no new version.
    response = edit(client, world, known_risks="Older men approaching her near the station")
    assert SafetyProfileVersion.objects.count() == 2

    html = squash(client.get(profile_url(world)).content.decode())
    for text in (
        "Safety profile",
        "Scar above left eyebrow".lower(),
        "Asthma: blue inhaler",
        "Older men approaching her near the station",
        "Taken on 12 January 2026",
        "Versions",
        "Known risks",
    ):
        assert text.lower() in html.lower(), text
    # The photo is shown through the view, never from a public address.
    assert f'src="{photo_url(world)}?version=2"' in html
    with pytest.raises(NotImplementedError):
        private_storage().url(first.photo.name)


def test_the_photo_is_streamed_through_the_policy_with_no_caching(world: World, at_monday):
    safety_profile_update(
        actor=world.home_staff,
        child=world.child,
        description="Slim",
        photo=SimpleUploadedFile("robin.png", png(), content_type="image/png"),
    )
    response = signed_in(world.social_worker).get(photo_url(world))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png()
    record = AccessRecord.objects.filter(
        user=world.social_worker, purpose="View the safety profile photo"
    ).get()
    assert record.action == "view safety profile"


def test_police_see_the_profile_only_after_the_report(world: World, at_monday):
    safety_profile_update(
        actor=world.home_staff,
        child=world.child,
        description="Slim",
        photo=SimpleUploadedFile("robin.png", png(), content_type="image/png"),
    )
    police = signed_in(world.officer)
    before = police.get(profile_url(world))
    assert before.status_code == 404
    assert police.get(photo_url(world)).status_code == 404
    # The same "Page not found" as for a child that does not exist.
    missing_child = police.get(reverse("safety_profile", args=[uuid.uuid4()]))
    assert without_csrf(before.content.decode()) == without_csrf(missing_child.content.decode())

    report(world)
    after = police.get(profile_url(world))
    assert after.status_code == 200
    html = squash(after.content.decode())
    assert "You can see this profile because Robin was reported missing or away" in html
    assert "Edit the safety profile" not in html
    assert police.get(photo_url(world)).status_code == 200
    record = AccessRecord.objects.filter(user=world.officer, action="view safety profile").first()
    assert record is not None and record.grant is not None


@pytest.mark.parametrize("who", ["coordinator", "other_home_staff", "other_officer"])
def test_others_never_see_it(world: World, at_monday, who: str):
    report(world)
    client = signed_in(getattr(world, who))
    assert client.get(profile_url(world)).status_code == 404
    assert client.get(photo_url(world)).status_code == 404


def test_only_the_home_edits_it(world: World, at_monday):
    for user in (world.social_worker, world.officer, world.coordinator):
        assert (
            signed_in(user).get(reverse("safety_profile_edit", args=[world.child.id])).status_code
            == 404
        )
    assert edit(signed_in(world.social_worker), world).status_code == 404
    assert not SafetyProfileVersion.objects.exists()


def test_a_photo_must_be_a_jpg_or_png(world: World, at_monday):
    response = edit(
        signed_in(world.home_staff),
        world,
        photo=SimpleUploadedFile("robin.png", b"%PDF-1.7 not an image", content_type="image/png"),
    )
    html = squash(response.content.decode())
    assert response.status_code == 200
    assert '<a href="#id_photo">The photo must be a JPG or PNG.</a>' in html
    assert not SafetyProfileVersion.objects.exists()


def test_previous_episodes_are_listed_automatically(world: World, at_monday):
    report(world)
    html = squash(signed_in(world.home_staff).get(profile_url(world)).content.decode())
    assert "Previous episodes" in html
    assert "Still missing or away" in html
    assert "No safety profile has been recorded yet." in html
    assert "Add the safety profile" in html


def test_saving_without_changes_says_so(world: World, at_monday):
    client = signed_in(world.home_staff)
    client.get(edit(client, world)["Location"])  # shows "Safety profile saved"
    response = edit(client, world)
    html = squash(client.get(response["Location"]).content.decode())
    assert "No changes to save" in html
    assert "govuk-notification-banner--success" not in html
    assert SafetyProfileVersion.objects.count() == 1


def test_the_profile_text_is_language_checked(world: World, at_monday):
    response = edit(signed_in(world.home_staff), world, known_risks="Known runaway")
    html = squash(response.content.decode())
    assert "consider “child who goes missing”" in html
    assert not SafetyProfileVersion.objects.exists()
