"""Rows written without ``bulk_create``'s per-row work (``core.inserts``, ADR 60): a missing
report's alerts, their outbox rows, their events and the episode's links are the rows
``bulk_create`` writes for the same objects, field by field, on SQLite and on PostgreSQL; and
what the ORM refuses is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DataError, IntegrityError, models, transaction

from sightline.core.inserts import insert_rows
from sightline.core.prepared import is_prepared, prepared_clear
from sightline.missing.models import EpisodeNotice
from sightline.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Notice,
    NoticeEvent,
    NoticeEventKind,
)
from tests.missing.conftest import MONDAY, World, report

pytestmark = pytest.mark.django_db

# Children first: each table's rows are deleted before those they point to.
TABLES: tuple[type[models.Model], ...] = (EpisodeNotice, NoticeEvent, Delivery, Notice)


class _Undo(Exception):
    pass


def _rows(model: type[models.Model], ids: list[Any]) -> list[dict[str, Any]]:
    return list(model.objects.filter(pk__in=ids).order_by("pk").values())


def _rewritten(
    saved: dict[type[models.Model], list[dict[str, Any]]], write: Any
) -> dict[type[models.Model], list[dict[str, Any]]]:
    """Delete the report's rows, write new objects of the same values with ``write``, read
    them back; then undo it all."""
    read: dict[type[models.Model], list[dict[str, Any]]] = {}
    try:
        with transaction.atomic():
            for model in TABLES:
                model.objects.filter(pk__in=[r["id"] for r in saved[model]]).delete()
            for model in reversed(TABLES):
                objs = [model(**row) for row in saved[model]]
                written = write(model, objs)
                assert all(not o._state.adding and o._state.db == "default" for o in written)
            for model in TABLES:
                read[model] = _rows(model, [r["id"] for r in saved[model]])
            raise _Undo
    except _Undo:
        pass
    return read


def test_a_reports_rows_are_the_rows_bulk_create_writes(world: World, at_monday):
    episode = report(world)
    links = list(EpisodeNotice.objects.filter(episode=episode))
    notices = [link.notice_id for link in links]
    assert len(notices) == 3
    saved = {
        EpisodeNotice: _rows(EpisodeNotice, [link.pk for link in links]),
        Notice: _rows(Notice, notices),
        Delivery: _rows(
            Delivery, list(Delivery.objects.filter(notice__in=notices).values_list("pk", flat=True))
        ),
        NoticeEvent: _rows(
            NoticeEvent,
            list(NoticeEvent.objects.filter(notice__in=notices).values_list("pk", flat=True)),
        ),
    }
    # Every value the report wrote, as the service set it (time is frozen at MONDAY).
    for model in TABLES:
        for row in saved[model]:
            assert row["created_at"] == row["updated_at"] == MONDAY
    inbox = [d for d in saved[Delivery] if d["channel"] == Channel.IN_APP]
    emails = [d for d in saved[Delivery] if d["channel"] == Channel.EMAIL]
    assert len(inbox) == 3 and len(emails) == 3
    assert {d["address"] for d in emails} == {
        "children@southwark.example",
        "missing@stockport.example",
        "mispers@gmp.example",
    }
    for row in inbox:
        assert {k: row[k] for k in row if k not in ("id", "notice_id")} == {
            "created_at": MONDAY,
            "updated_at": MONDAY,
            "channel": Channel.IN_APP,
            "address": "",
            "contact_point_id": None,
            "status": DeliveryStatus.DELIVERED,
            "attempts": 1,
            "next_attempt_at": None,
            "lease_token": None,
            "leased_until": None,
            "provider_reference": "",
            "last_error": "",
            "sent_at": MONDAY,
            "delivered_at": MONDAY,
            "failed_at": None,
            "signed_link": False,
            "retry_of_id": None,
        }
    for row in emails:
        assert (row["status"], row["attempts"], row["next_attempt_at"], row["sent_at"]) == (
            DeliveryStatus.CREATED,
            0,
            MONDAY,
            None,
        )
    assert {e["event"] for e in saved[NoticeEvent]} == {NoticeEventKind.CREATED}
    assert {e["at"] for e in saved[NoticeEvent]} == {MONDAY}

    def by_the_orm(model: type[models.Model], objs: list[models.Model]) -> list[models.Model]:
        return model.objects.bulk_create(objs)  # type: ignore[attr-defined, no-any-return]

    def by_insert_rows(model: type[models.Model], objs: list[models.Model]) -> Any:
        return insert_rows(objs)

    orm = _rewritten(saved, by_the_orm)
    ours = _rewritten(saved, by_insert_rows)
    for model in TABLES:
        assert ours[model] == orm[model] == saved[model], model.__name__


def _outcome(write: Any) -> type[BaseException] | None:
    """What writing does: nothing (None) or the error it raises; undone either way."""
    try:
        with transaction.atomic():
            write()
            raise _Undo
    except _Undo:
        return None
    except (DataError, IntegrityError, ValueError) as exc:
        return type(exc)


def test_the_timestamps_are_set_on_the_objects_as_the_orm_sets_them(world: World, at_monday):
    episode = report(world)
    notice = Notice.objects.filter(child=episode.child).first()
    assert notice is not None
    at_monday.shift(dt.timedelta(seconds=5))
    made = [NoticeEvent(notice=notice, event=NoticeEventKind.RETRIED, at=MONDAY) for _ in "ab"]
    insert_rows(made)
    for obj in made:
        assert obj.created_at == obj.updated_at == MONDAY + dt.timedelta(seconds=5)
        assert NoticeEvent.objects.get(pk=obj.pk).created_at == obj.created_at


def test_what_the_orm_refuses_is_refused(world: World, at_monday):
    episode = report(world)
    notice = Notice.objects.filter(child=episode.child).first()
    assert notice is not None

    def both(make: Any) -> tuple[type[BaseException] | None, type[BaseException] | None]:
        return (
            _outcome(lambda: insert_rows(make())),
            _outcome(lambda: type(make()[0]).objects.bulk_create(make())),
        )

    def unsaved() -> list[NoticeEvent]:
        other = Notice(recipient=world.host, kind="x")
        other.pk = None
        return [NoticeEvent(notice=other, event=NoticeEventKind.CREATED, at=MONDAY)]

    # An unsaved related object; a value too long for its column (PostgreSQL refuses it, SQLite
    # keeps it, for both); the same outbox row twice.
    assert both(unsaved) == (ValueError, ValueError)
    too_long = both(lambda: [NoticeEvent(notice=notice, event="x" * 21, at=MONDAY)])
    assert too_long[0] == too_long[1]
    twice = both(
        lambda: [
            Delivery(notice=notice, channel=Channel.EMAIL, address="a@b.example"),
            Delivery(notice=notice, channel=Channel.EMAIL, address="a@b.example"),
        ]
    )
    assert twice == (IntegrityError, IntegrityError)


def test_a_reports_front_doors_urgent_targets_and_trigger_rules_are_prepared(
    world: World, at_monday
):
    prepared_clear()
    report(world)
    for key in (
        "notifications.contact_points",
        "notifications.urgent_targets",
        "notifications.front_door_entries",
        "missing.trigger_config",
        "missing.nearby_episodes",
    ):
        assert is_prepared(key), key
