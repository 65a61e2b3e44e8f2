"""A small world for the API tests, with one API key per organisation.

    Manchester (352) places Ada in Larch House, a Brightwater home in Stockport (356): out of
    area, so Stockport Council and Greater Manchester Police get placement notices.
    Kent (886) places Cat in Harbour View, a Seaview home in Canterbury: in area.

Leeds (383) is involved with nobody.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from sightline.api.services import api_key_create
from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.organisations.models import Organisation, Role
from sightline.placements.models import Setting
from tests import factories

GMP = "E23000005"
KENT_POLICE = "E23000032"
API = "/api/v1"


class ApiClient:
    """The Django test client, sending an API key and JSON."""

    def __init__(self, key: str | None):
        self.key = key
        self.client = Client()

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        sent = dict(headers or {})
        if self.key is not None:
            sent.setdefault("Authorization", f"Bearer {self.key}")
        return sent

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(API + path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.client.post(
            API + path, data, content_type="application/json", headers=self._headers(headers)
        )

    def put(self, path: str, body: Any = None, **headers: str) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.client.put(
            API + path, data, content_type="application/json", headers=self._headers(headers)
        )

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(API + path, headers=self._headers(headers))


@dataclass
class World:
    manchester: Organisation
    stockport: Organisation
    kent: Organisation
    leeds: Organisation
    gmp: Organisation
    brightwater: Organisation
    seaview: Organisation
    ada: Child
    cat: Child
    larch_house: Setting
    harbour_view: Setting
    keys: dict[str, str] = field(default_factory=dict)

    def api(self, who: str | None) -> ApiClient:
        return ApiClient(self.keys[who] if who else None)

    def key(self, who: str, org: Organisation, role: str | None = None) -> str:
        _, text = api_key_create(organisation=org, role=role, name=f"{who} test", actor=None)
        self.keys[who] = text
        return text


def _child(code: str, ref: str, first: str, last: str) -> Child:
    return child_create(
        placing_council=factories.council(code),
        child_ref=ref,
        first_name=first,
        last_name=last,
        date_of_birth=dt.date(2010, 5, 1),
        sex="F",
    )


@pytest.fixture
def world(db: None) -> World:
    brightwater = factories.provider_org("Brightwater Care Ltd")
    seaview = factories.provider_org("Seaview Homes Ltd")
    larch_house = factories.setting(brightwater, "SK4 2AB", name="Larch House")
    harbour_view = factories.setting(seaview, "CT1 2EH", name="Harbour View")
    ada = _child("352", "MAN001", "Ada", "Ashworth")
    cat = _child("886", "KEN001", "Cat", "Canterbury")
    factories.placement(ada, larch_house, home_postcode="M1 1AE")
    factories.placement(cat, harbour_view, home_postcode="ME14 1XX")
    w = World(
        manchester=factories.council_org("352"),
        stockport=factories.council_org("356"),
        kent=factories.council_org("886"),
        leeds=factories.council_org("383"),
        gmp=factories.police_org(GMP),
        brightwater=brightwater,
        seaview=seaview,
        ada=ada,
        cat=cat,
        larch_house=larch_house,
        harbour_view=harbour_view,
    )
    w.key("manchester", w.manchester)
    w.key("stockport", w.stockport, Role.MISSING_COORDINATOR)
    w.key("kent", w.kent)
    w.key("leeds", w.leeds)
    w.key("gmp", w.gmp)
    w.key("brightwater", w.brightwater)
    return w
