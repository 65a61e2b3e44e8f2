"""Free text in reports, updates, returns and interviews is checked before it is saved: the
suggestions come first, the user may keep their wording, and what they kept is recorded."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from sightline.language.forms import LANGUAGE_CONFIRM_FIELD, LANGUAGE_SEEN_FIELD
from sightline.language.models import LanguageFlag
from sightline.language.selectors import language_flags_for_record
from sightline.missing.models import Episode, EpisodeUpdate
from tests.missing_web.conftest import World, post_report, report, signed_in, squash

pytestmark = pytest.mark.django_db

FLAGGED = "She absconded again and is putting herself at risk."


def _seen(html: str) -> str:
    match = re.search(rf'name="{LANGUAGE_SEEN_FIELD}" value="([0-9a-f]+)"', html)
    assert match, "the form carries what the user was shown"
    return match.group(1)


def test_a_flagged_report_shows_suggestions_then_saves_when_confirmed(world: World, at_monday):
    client = signed_in(world.home_staff)

    first = post_report(client, world, circumstances=FLAGGED)
    html = squash(first.content.decode())
    assert first.status_code == 200
    assert not Episode.objects.exists()
    assert "Check the wording before you save" in html
    assert "“absconded”: consider “went missing" in html
    assert "“putting herself at risk”: consider “may have been groomed" in html
    assert "I have read the suggestions and want to save my wording" in html

    second = post_report(
        client,
        world,
        circumstances=FLAGGED,
        **{LANGUAGE_CONFIRM_FIELD: "on", LANGUAGE_SEEN_FIELD: _seen(html)},
    )
    assert second.status_code == 302
    episode = Episode.objects.get()
    assert episode.circumstances == FLAGGED  # the user's wording, unchanged
    flags = language_flags_for_record(record_kind="missing.episode", record_id=episode.id)
    assert [(f.field, f.phrase_id, f.user) for f in flags] == [
        ("circumstances", "absconded", world.home_staff),
        ("circumstances", "putting-themselves-at-risk", world.home_staff),
    ]


def test_changing_the_wording_saves_without_a_flag(world: World, at_monday):
    client = signed_in(world.home_staff)
    post_report(client, world, circumstances=FLAGGED)
    response = post_report(client, world, circumstances="She went missing again.")
    assert response.status_code == 302
    assert Episode.objects.count() == 1
    assert not LanguageFlag.objects.exists()


def test_updates_are_checked_too(world: World, at_monday):
    episode = report(world)
    client = signed_in(world.home_staff)
    url = reverse("episode_update_add", args=[episode.id])
    data = {"kind": "information", "text": "Seen with her older boyfriend.", "supplied_by": "Carer"}

    first = client.post(url, data)
    html = squash(first.content.decode())
    assert first.status_code == 200
    assert "older boyfriend" in html and "consider" in html
    assert not EpisodeUpdate.objects.exists()

    client.post(url, {**data, LANGUAGE_CONFIRM_FIELD: "on", LANGUAGE_SEEN_FIELD: _seen(html)})
    update = EpisodeUpdate.objects.get()
    (flag,) = language_flags_for_record(record_kind="missing.episode_update", record_id=update.id)
    assert (flag.field, flag.matched_text) == ("text", "older boyfriend")
