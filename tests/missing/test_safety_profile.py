"""The safety profile (Philomena Protocol): kept by the home, versioned, private, and it moves
with the child."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.core.files.base import ContentFile

from sightline.access.models import AccessRecord
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.missing.models import SafetyProfileVersion
from sightline.missing.selectors import (
    safety_profile_for_user,
    safety_profile_history,
    safety_profile_photo_open,
)
from sightline.missing.services import safety_profile_update
from sightline.missing.storage import private_storage
from sightline.organisations.models import Role
from tests import factories
from tests.missing.conftest import World

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def test_each_edit_is_a_new_version_with_who_and_what(world: World):
    first = safety_profile_update(
        actor=world.home_manager, child=world.child, description="Short dark hair"
    )
    second = safety_profile_update(
        actor=world.home_staff, child=world.child, medical_needs="Asthma: blue inhaler"
    )
    same = safety_profile_update(
        actor=world.home_staff, child=world.child, medical_needs="Asthma: blue inhaler"
    )
    assert (first.version, second.version) == (1, 2)
    assert same == second  # nothing changed: no new version
    assert second.description == "Short dark hair"  # kept from the version before
    assert second.changed_fields == "medical_needs"
    assert second.recorded_by == world.home_staff
    assert second.recorded_by_organisation == world.provider
    assert [v.version for v in safety_profile_history(child=world.child)] == [2, 1]
    first.refresh_from_db()
    assert first.medical_needs == ""  # an earlier version is never changed


def test_only_the_home_edits_it(world: World):
    for who in (world.social_worker, world.coordinator, world.officer, world.other_home_staff):
        with pytest.raises(NotFoundOrNotAllowed):
            safety_profile_update(actor=who, child=world.child, description="x")
    assert not SafetyProfileVersion.objects.exists()


def test_the_home_and_the_placing_council_read_it_and_each_read_is_recorded(world: World):
    safety_profile_update(actor=world.home_staff, child=world.child, description="Tall")
    for who in (world.home_staff, world.social_worker, world.team_manager):
        view = safety_profile_for_user(user=who, child_id=world.child.id, purpose="review")
        assert view.profile is not None and view.profile.description == "Tall"
        assert view.access.grant is None
    assert AccessRecord.objects.filter(action="view safety profile").count() == 3
    # The host council sees the child, but not the profile.
    with pytest.raises(NotFoundOrNotAllowed):
        safety_profile_for_user(user=world.coordinator, child_id=world.child.id, purpose="x")


def test_the_profile_moves_with_the_child_to_the_next_home(world: World):
    safety_profile_update(actor=world.home_staff, child=world.child, associates="A cousin")
    other_provider = factories.provider_org("Willow Care Ltd")
    new_home = factories.setting(other_provider, postcode="M1 1AE")
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        factories.placement(world.child, new_home, start=dt.date(2026, 3, 2))
    new_staff = factories.user(other_provider, Role.HOME_STAFF)
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC), tick=False):
        view = safety_profile_for_user(user=new_staff, child_id=world.child.id, purpose="x")
        assert view.profile is not None and view.profile.associates == "A cousin"
        version = safety_profile_update(
            actor=new_staff, child=world.child, places_frequented="Piccadilly Gardens"
        )
        assert version.version == 2 and version.associates == "A cousin"
        with pytest.raises(NotFoundOrNotAllowed):
            safety_profile_for_user(user=world.home_staff, child_id=world.child.id, purpose="x")
        with pytest.raises(NotFoundOrNotAllowed):
            safety_profile_update(actor=world.home_staff, child=world.child, description="x")


def test_the_photo_is_kept_privately_and_read_through_the_policy(
    world: World, _private_media: Path
):
    version = safety_profile_update(
        actor=world.home_staff,
        child=world.child,
        photo=ContentFile(PNG, name="robin.png"),
        photo_taken_on=dt.date(2026, 1, 10),
    )
    name = version.photo.name
    assert name.startswith(f"safety-profiles/{world.child.id}/") and name.endswith(".png")
    assert "robin" not in name  # a random name: the file name says nothing about the child
    assert (_private_media / name).read_bytes() == PNG
    with pytest.raises(NotImplementedError):
        private_storage().url(name)

    # A later edit keeps the photo.
    later = safety_profile_update(actor=world.home_staff, child=world.child, description="Tall")
    assert later.photo.name == name

    photo = safety_profile_photo_open(
        user=world.social_worker, child_id=world.child.id, purpose="p"
    )
    with photo.file:
        assert photo.file.read() == PNG
    assert photo.content_type == "image/png"
    assert AccessRecord.objects.filter(action="view safety profile", purpose="p").count() == 1
    with pytest.raises(NotFoundOrNotAllowed):
        safety_profile_photo_open(user=world.officer, child_id=world.child.id, purpose="p")

    removed = safety_profile_update(actor=world.home_staff, child=world.child, remove_photo=True)
    assert not removed.photo
    with pytest.raises(NotFoundOrNotAllowed):
        safety_profile_photo_open(user=world.home_staff, child_id=world.child.id, purpose="p")
    # The file stays: the earlier versions still show it.
    old = safety_profile_photo_open(
        user=world.home_staff, child_id=world.child.id, purpose="p", version=1
    )
    old.file.close()


def test_only_jpg_or_png_photos(world: World, _private_media: Path):
    with pytest.raises(ValidationError) as wrong:
        safety_profile_update(
            actor=world.home_staff, child=world.child, photo=ContentFile(b"%PDF-1.7", name="a.png")
        )
    assert wrong.value.field == "photo"
    version = safety_profile_update(
        actor=world.home_staff, child=world.child, photo=ContentFile(JPEG, name="a.jpeg")
    )
    assert version.photo.name.endswith(".jpg")
    # The refused file was never stored.
    stored = list((_private_media / "safety-profiles").rglob("*"))
    assert [p.name for p in stored if p.is_file()] == [Path(version.photo.name).name]


def test_a_photo_too_large_is_refused(world: World, settings):
    settings.SIGHTLINE_SAFETY_PHOTO_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="smaller than"):
        safety_profile_update(
            actor=world.home_staff, child=world.child, photo=ContentFile(PNG, name="a.png")
        )
