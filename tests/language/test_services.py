"""``language_flags_record`` and ``language_flags_for_record``: keeping what was saved anyway."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from sightline.core.errors import ValidationError
from sightline.language.checker import Flag, check_text
from sightline.language.models import LanguageFlag
from sightline.language.selectors import language_flags_for_record
from sightline.language.services import language_flags_record
from sightline.organisations.models import Role, User
from tests import factories
from tests.language.episode_form import FLAGGED, resubmit, submit


@pytest.fixture
def home_staff(db: None) -> User:
    return factories.user(factories.provider_org(), Role.HOME_STAFF)


@pytest.mark.django_db
def test_flags_are_kept_with_the_record_field_and_user(home_staff: User):
    record_id = uuid.uuid4()
    flags = check_text(FLAGGED)
    rows = language_flags_record(
        actor=home_staff,
        record_kind="missing.episode",
        record_id=record_id,
        field="circumstances",
        flags=flags,
    )
    assert len(rows) == 2
    stored = list(language_flags_for_record(record_kind="missing.episode", record_id=record_id))
    assert [
        (r.field, r.phrase_id, r.matched_text, r.start, r.end, r.list_version, r.user_id)
        for r in stored
    ] == [
        ("circumstances", "absconded", "absconded", 4, 13, "1", home_staff.pk),
        (
            "circumstances",
            "putting-themselves-at-risk",
            "putting herself at risk",
            27,
            50,
            "1",
            home_staff.pk,
        ),
    ]
    assert all(r.record_id == str(record_id) and r.created_at for r in stored)


@pytest.mark.django_db
def test_from_a_confirmed_form_to_stored_flags(home_staff: User):
    """The path a view takes: warn, confirm, save the record and its flags together."""
    form = resubmit(
        submit({"circumstances": FLAGGED, "clothing": "Streetwise clothes"}),
        language_confirmed="on",
    )
    assert form.is_valid(), form.errors
    record_id = "EP-123"
    with transaction.atomic():
        for field, flags in form.language_flags.items():
            language_flags_record(
                actor=home_staff,
                record_kind="missing.episode",
                record_id=record_id,
                field=field,
                flags=flags,
            )
    stored = language_flags_for_record(record_kind="missing.episode", record_id=record_id)
    assert sorted((r.field, r.phrase_id) for r in stored) == [
        ("circumstances", "absconded"),
        ("circumstances", "putting-themselves-at-risk"),
        ("clothing", "streetwise"),
    ]


@pytest.mark.django_db
def test_no_flags_records_nothing(home_staff: User):
    assert (
        language_flags_record(
            actor=home_staff, record_kind="missing.episode", record_id="1", field="x", flags=[]
        )
        == []
    )
    assert LanguageFlag.objects.count() == 0


@pytest.mark.django_db
def test_matched_text_is_kept_on_one_line(home_staff: User):
    (flag,) = check_text("She is a child\n   prostitute.")
    (row,) = language_flags_record(
        actor=home_staff, record_kind="k", record_id="1", field="notes", flags=[flag]
    )
    assert row.matched_text == "child prostitute"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"record_kind": " "}, "record_kind"),
        ({"record_id": ""}, "record_id"),
        ({"field": ""}, "field"),
        ({"flags": [Flag("no-such-phrase", "x", 0, 1, "s", "r", "1")]}, "flags"),
        ({"flags": [Flag("slave", "slave", 0, 5, "s", "r", "9")]}, "list_version"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_kept(home_staff: User, kwargs: dict, field: str):
    arguments = {
        "actor": home_staff,
        "record_kind": "missing.episode",
        "record_id": "1",
        "field": "circumstances",
        "flags": check_text(FLAGGED),
        **kwargs,
    }
    with pytest.raises(ValidationError) as exc:
        language_flags_record(**arguments)
    assert exc.value.field == field
    assert LanguageFlag.objects.count() == 0


@pytest.mark.django_db
def test_an_unsaved_user_is_refused():
    with pytest.raises(ValidationError) as exc:
        language_flags_record(
            actor=User(username="nobody"),
            record_kind="k",
            record_id="1",
            field="f",
            flags=check_text(FLAGGED),
        )
    assert exc.value.field == "actor"


@pytest.mark.django_db
def test_flags_of_other_records_are_not_returned(home_staff: User):
    for record_id in ("A", "B"):
        language_flags_record(
            actor=home_staff,
            record_kind="missing.episode",
            record_id=record_id,
            field="circumstances",
            flags=check_text("He absconded."),
        )
    language_flags_record(
        actor=home_staff,
        record_kind="return.interview",
        record_id="A",
        field="findings",
        flags=check_text("He absconded."),
    )
    rows = language_flags_for_record(record_kind="missing.episode", record_id="A")
    assert [(r.record_kind, r.record_id) for r in rows] == [("missing.episode", "A")]
