"""The rules of recording (and ending) a placement hold whichever door the answers come in by.

One list of bad answers goes through the web form, the service and the API, and through the
API's decision not to go ahead (``POST /placement-declines``, which has no first page to check
them, ADR 58) and, for the answers it takes, its matching check alone (``POST
/placement-checks``). Each must be refused with a message that names the field at fault, and
nothing may be written: the service is where the rules live, so the doors cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from sightline.access.models import AccessRecord
from sightline.api.services import api_key_create
from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.core.errors import ValidationError
from sightline.notifications.models import Notice
from sightline.organisations.models import Organisation, Role, User
from sightline.placements.models import Placement, Setting
from sightline.placements.services import (
    ChildInput,
    SettingInput,
    placement_end,
    placement_record_for,
)
from tests import factories
from tests.api.conftest import ApiClient
from tests.factories import signed_in

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
TOMORROW = TODAY + dt.timedelta(days=1)
START = dt.date(2026, 1, 5)
# Eighteen years before START: a child born that day is 18 when the placement starts.
EIGHTEEN_BEFORE_START = dt.date(2008, 1, 5)

# The answers of the form, by its field names: a new child in a new setting. A case changes
# some; "child": "olu" chooses Olu, already on Sightline (born 1 June 2007).
ANSWERS: dict[str, Any] = {
    "child": "new",
    "child_ref": "MAN777",
    "first_name": "Dara",
    "last_name": "Moss",
    "date_of_birth": dt.date(2011, 2, 14),
    "sex": "M",
    "setting_name": "Willow Lodge",
    "setting_postcode": "SK4 2AB",
    "setting_urn": "SC999001",
    "setting_sector": "private",
    "start_date": START,
    "place_type": "K2",
    "place_provider": "PR4",
    "home_postcode": "M1 1AE",
}
LARCH_URN = "the URN of Larch House"


@dataclass(frozen=True)
class Case:
    name: str
    changes: dict[str, Any]
    field: str
    message: str
    # Ending Ada's placement (``end_date``) rather than recording a new one. The API has no
    # operation to end a placement.
    ends: bool = False
    never_shown: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        return self.name


BAD = [
    Case(
        "start 91 days ahead",
        {"start_date": TODAY + dt.timedelta(days=91)},
        "start_date",
        "Start date must be on or before 31 May 2026",
    ),
    Case(
        "start in 2030",
        {"start_date": dt.date(2030, 1, 7)},
        "start_date",
        "Start date must be on or before 31 May 2026",
    ),
    Case(
        "start before birth",
        {"start_date": dt.date(2010, 1, 4)},
        "start_date",
        "The start date must be on or after the child's date of birth.",
    ),
    Case(
        "date of birth in the future",
        {"date_of_birth": TOMORROW},
        "date_of_birth",
        "Date of birth must be today or in the past",
    ),
    Case(
        "a new child aged 36",
        {"date_of_birth": dt.date(1989, 11, 20)},
        "date_of_birth",
        "Date of birth must be after 5 January 2008",
    ),
    Case(
        "a new child 18 on the day the placement starts",
        {"date_of_birth": EIGHTEEN_BEFORE_START},
        "date_of_birth",
        "Date of birth must be after 5 January 2008",
    ),
    Case(
        "a child on Sightline who is 18 by the start",
        {"child": "olu"},
        "start_date",
        "Date the placement started must be before the child's 18th birthday",
    ),
    Case(
        "setting postcode with extra spaces that is not a postcode",
        {"setting_postcode": "  sk4   2abx "},
        "setting_postcode",
        "Enter a real postcode, like SK4 2AB",
        never_shown=("2abx", "2ABX", "sk4   2a"),
    ),
    Case(
        "setting postcode too long once tidied",
        {"setting_postcode": "SW1A  1AA 1AA"},
        "setting_postcode",
        "Enter a real postcode, like SK4 2AB",
        never_shown=("SW1A  1AA 1", "SW1A 1AA 1"),
    ),
    Case(
        "home postcode with extra spaces that is not a postcode",
        {"home_postcode": " m1    1aex "},
        "home_postcode",
        "Enter a real postcode, like SK4 2AB",
        never_shown=("1aex", "1AEX"),
    ),
    Case(
        "Ofsted URN too short",
        {"setting_urn": "SC12345"},
        "setting_urn",
        "Enter the Ofsted URN in the correct format, like SC123456",
    ),
    Case(
        "Ofsted URN with the wrong letters",
        {"setting_urn": "XY123456"},
        "setting_urn",
        "Enter the Ofsted URN in the correct format, like SC123456",
    ),
    Case(
        "Ofsted URN of a setting already on Sightline",
        {"setting_urn": LARCH_URN},
        "setting_urn",
        "A setting with the Ofsted URN",
    ),
    Case(
        "end tomorrow",
        {"end_date": TOMORROW},
        "end_date",
        "The end date must be today or in the past",
        ends=True,
    ),
    Case(
        "end before the start",
        {"end_date": dt.date(2024, 12, 31)},
        "end_date",
        "The end date must be the same as or after the start date.",
        ends=True,
    ),
]

# Answers that look wrong but are right: the defects' other side.
GOOD = [
    (
        "postcodes typed with extra spaces",
        {"setting_postcode": "  sk4   2ab ", "home_postcode": " m1  1ae"},
    ),
    (
        "a child of 17 the day before their birthday",
        {"date_of_birth": EIGHTEEN_BEFORE_START + dt.timedelta(days=1)},
    ),
    ("a placement that starts today", {"start_date": TODAY}),
    ("a planned placement that starts tomorrow", {"start_date": TOMORROW}),
    ("a planned placement 90 days ahead", {"start_date": TODAY + dt.timedelta(days=90)}),
    ("a URN typed in small letters", {"setting_urn": " sc999001 "}),
]


@dataclass
class World:
    user: User
    manchester: Organisation
    larch: Setting
    ada: Child
    olu: Child
    ada_placement: Placement
    api: ApiClient


@pytest.fixture
def world(db: None) -> Iterator[World]:
    """Frozen on 2 March 2026 for the whole test: the rules are about today."""
    with time_machine.travel(NOW, tick=False):
        manchester = factories.council_org("352")
        larch = factories.setting(factories.provider_org(), "SK4 2AB", name="Larch House")
        ada, olu = (
            child_create(
                placing_council=factories.council("352"),
                child_ref=ref,
                first_name=first,
                last_name="Tester",
                date_of_birth=born,
                sex="F",
            )
            for ref, first, born in (
                ("MAN001", "Ada", dt.date(2010, 5, 1)),
                ("MAN002", "Olu", dt.date(2007, 6, 1)),
            )
        )
        ada_placement = factories.placement(ada, larch, start=dt.date(2025, 1, 6))
        _, key = api_key_create(organisation=manchester, name="rules test", actor=None)
        yield World(
            user=factories.user(manchester, Role.SOCIAL_WORKER),
            manchester=manchester,
            larch=larch,
            ada=ada,
            olu=olu,
            ada_placement=ada_placement,
            api=ApiClient(key),
        )


def answers(world: World, case_changes: dict[str, Any]) -> dict[str, Any]:
    data = {**ANSWERS, **case_changes}
    if data["setting_urn"] == LARCH_URN:
        data["setting_urn"] = world.larch.urn
    return data


def written() -> tuple[int, ...]:
    return (
        Child.objects.count(),
        Setting.objects.count(),
        Placement.objects.count(),
        Placement.objects.filter(end_date__isnull=False).count(),
        Notice.objects.count(),
    )


# --- The three doors -------------------------------------------------------------------------


def _form_date(name: str, value: dt.date) -> dict[str, str]:
    return {
        f"{name}_0": str(value.day),
        f"{name}_1": str(value.month),
        f"{name}_2": str(value.year),
    }


def _form_data(world: World, data: dict[str, Any]) -> dict[str, str]:
    form: dict[str, str] = {
        "setting_choice": "new",
        "setting_registered_places": "4",
        "setting_provider": "",
        "is_emergency": "no",
    }
    if data["child"] == "olu":
        form.update(child_choice="existing", child=str(world.olu.id))
    else:
        form.update(child_choice="new")
    for name, value in data.items():
        if name == "child":
            continue
        if isinstance(value, dt.date):
            form.update(_form_date(name, value))
        else:
            form[name] = value
    return form


def error_summary(html: str) -> list[tuple[str, str]]:
    """(href, text) of each link in the GOV.UK error summary."""
    start = html.index('class="govuk-error-summary')
    block = html[start : html.index("</ul>", start)]
    return [
        (href, htmllib.unescape(" ".join(text.split())))
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', block, re.S)
    ]


def through_the_web_form(world: World, data: dict[str, Any], *, ends: bool) -> tuple[str, str]:
    """The field the error summary links to and its message; fails if nothing was refused."""
    client = signed_in(world.user)
    if ends:
        url = reverse("placement_end", args=[world.ada_placement.id])
        response = client.post(url, _form_date("end_date", data["end_date"]))
    else:
        response = client.post(reverse("placement_new"), _form_data(world, data))
    assert response.status_code == 200, response
    html = response.content.decode()
    [(href, text)] = error_summary(html)
    return re.sub(r"^#id_|_[0-9]$", "", href), text


def through_the_service(world: World, data: dict[str, Any], *, ends: bool) -> tuple[str, str]:
    with pytest.raises(ValidationError) as refused:
        if ends:
            placement_end(
                actor=world.user, placement=world.ada_placement, end_date=data["end_date"]
            )
        else:
            placement_record_for(actor=world.user, **_service_arguments(world, data))
    return refused.value.field or "", refused.value.message


def _service_arguments(world: World, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "child": world.olu.id
        if data["child"] == "olu"
        else ChildInput(
            child_ref=data["child_ref"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            sex=data["sex"],
        ),
        "setting": SettingInput(
            name=data["setting_name"],
            postcode=data["setting_postcode"],
            sector=data["setting_sector"],
            urn=data["setting_urn"],
        ),
        "start_date": data["start_date"],
        "place_type": data["place_type"],
        "place_provider": data["place_provider"],
        "home_postcode": data["home_postcode"],
    }


def _api_body(world: World, data: dict[str, Any]) -> dict[str, Any]:
    body = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}
    if body.pop("child") == "olu":
        body["child_id"] = str(world.olu.id)
        for name in ("child_ref", "first_name", "last_name", "date_of_birth", "sex"):
            body.pop(name)
    return body


def through_the_api(world: World, data: dict[str, Any], *, ends: bool) -> tuple[str, str]:
    assert not ends, "the API has no operation to end a placement"
    response = world.api.post("/placements", _api_body(world, data))
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    return error["field"], error["message"]


def through_the_api_decline(world: World, data: dict[str, Any], *, ends: bool) -> tuple[str, str]:
    assert not ends
    body = _api_body(world, data)
    for name in ("place_provider",):  # a placement's, not a proposal's
        body.pop(name)
    body["reasons"] = "The home cannot meet the child's needs."
    response = world.api.post("/placement-declines", body)
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    return error["field"], error["message"]


def _check_body(world: World, data: dict[str, Any]) -> dict[str, Any]:
    body = {
        "setting_postcode": data["setting_postcode"],
        "home_postcode": data["home_postcode"],
        "start_date": data["start_date"].isoformat(),
    }
    if data["child"] == "olu":
        body["child_id"] = str(world.olu.id)
    return body


def through_the_api_check(world: World, data: dict[str, Any], *, ends: bool) -> tuple[str, str]:
    assert not ends
    response = world.api.post("/placement-checks", _check_body(world, data))
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    return error["field"], error["message"]


DOORS = {
    "web form": through_the_web_form,
    "service": through_the_service,
    "API": through_the_api,
    "API decline": through_the_api_decline,
    "API check": through_the_api_check,
}
API_DOORS = ("API", "API decline", "API check")
# The check takes the child (existing, or none), the setting's postcode, the home postcode and
# the start date: the cases about these.
CHECKED = {
    "start 91 days ahead",
    "start in 2030",
    "a child on Sightline who is 18 by the start",
    "setting postcode with extra spaces that is not a postcode",
    "setting postcode too long once tidied",
    "home postcode with extra spaces that is not a postcode",
}
assert {case.name for case in BAD} >= CHECKED
CASES = [
    pytest.param(door, case, id=f"{door}: {case}")
    for door in DOORS
    for case in BAD
    if not (door in API_DOORS and case.ends) and (door != "API check" or case.name in CHECKED)
]


@pytest.mark.parametrize(("door", "case"), CASES)
def test_bad_answers_are_refused_naming_the_field_and_nothing_is_written(
    world: World, door: str, case: Case
):
    before, looks = written(), AccessRecord.objects.count()

    field_name, message = DOORS[door](world, answers(world, case.changes), ends=case.ends)

    assert field_name == case.field
    assert message.startswith(case.message), message
    for text in case.never_shown:
        assert text not in message
    assert written() == before
    if not case.ends:  # ending goes through the child's page, a look on the record
        assert AccessRecord.objects.count() == looks


def _recorded(world: World, door: str, data: dict[str, Any]) -> Placement:
    if door == "web form":
        client = signed_in(world.user)
        response = client.post(reverse("placement_new"), _form_data(world, data))
        assert response.status_code == 302, error_summary(response.content.decode())
        # The matching check (ADR 51): nothing to weigh here (Stockport adjoins Manchester).
        response = client.post(reverse("placement_check"), {"proceed": "yes", "reasons": ""})
        assert response.status_code == 302, error_summary(response.content.decode())
    elif door == "service":
        placement_record_for(actor=world.user, **_service_arguments(world, data))
    else:
        response = world.api.post("/placements", _api_body(world, data))
        assert response.status_code == 201, response.content
    return Placement.objects.get(child__child_ref="MAN777")


@pytest.mark.parametrize(
    ("door", "changes"),
    [
        pytest.param(door, changes, id=f"{door}: {name}")
        for door in ("web form", "service", "API")
        for name, changes in GOOD
    ],
)
def test_answers_that_only_look_wrong_are_accepted(world: World, door: str, changes):
    placement = _recorded(world, door, answers(world, changes))

    assert placement.setting.postcode == "SK4 2AB"
    assert placement.setting.urn == "SC999001"
    assert placement.home_postcode == "M1 1AE"
    assert placement.recorded_by.organisation == world.manchester


@pytest.mark.parametrize(("name", "changes"), GOOD, ids=[name for name, _ in GOOD])
def test_answers_that_only_look_wrong_pass_the_check_and_the_decline(world: World, name, changes):
    data = answers(world, changes)
    checked = world.api.post("/placement-checks", _check_body(world, data))
    assert checked.status_code == 200, checked.content
    body = _api_body(world, data)
    body.pop("place_provider")
    declined = world.api.post("/placement-declines", {**body, "reasons": "No bed after all."})
    assert declined.status_code == 201, declined.content
    setting = Setting.objects.get(pk=declined.json()["setting_id"])
    assert (setting.postcode, setting.urn) == ("SK4 2AB", "SC999001")
    assert not Placement.objects.filter(child__child_ref="MAN777").exists()
