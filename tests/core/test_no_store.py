"""Pages and downloads that carry child data are never kept by a browser or proxy cache.

On a shared computer the browser's cache would otherwise keep a child's record after the
person signed out (issue 12, part 5).
"""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from sightline.api.services import api_key_create
from sightline.organisations.models import Role
from tests import factories


def assert_no_store(response) -> None:
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


@pytest.fixture
def stockport(db):
    """Stockport places Ada in a home in Stockport."""
    org = factories.council_org("356")
    ada = factories.child("356")
    factories.placement(ada, factories.setting(factories.provider_org(), "SK4 2AB"))
    return org, ada


def test_a_childs_page_is_not_stored(stockport):
    org, ada = stockport
    client = factories.signed_in(factories.user(org, Role.SOCIAL_WORKER, username="sam"))
    response = client.get(reverse("child_detail", args=[ada.id]))
    assert response.status_code == 200
    assert_no_store(response)
    assert_no_store(client.get(reverse("home")))


def test_a_csv_download_is_not_stored(stockport):
    org, _ = stockport
    client = factories.signed_in(factories.user(org, Role.ANALYST, username="ann"))
    response = client.get("/compliance/", {"table": "placing-placements", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert next(csv.reader(io.StringIO(response.content.decode())))  # a header row
    assert_no_store(response)


def test_an_api_response_is_not_stored(stockport):
    org, _ = stockport
    _, key = api_key_create(organisation=org, role=None, name="cache test", actor=None)
    response = Client().get("/api/v1/children", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert_no_store(response)
    # Refusals too: an API client's cache keeps nothing.
    assert_no_store(Client().get("/api/v1/children"))


def test_a_view_that_chose_its_own_caching_keeps_it(stockport):
    org, _ = stockport
    client = factories.signed_in(factories.user(org, Role.SOCIAL_WORKER, username="sam"))
    response = client.get(reverse("healthz"))  # never_cache: its own, longer header
    assert response["Cache-Control"] != "no-store"
    assert "no-store" in response["Cache-Control"]
    assert "Pragma" not in response


def test_a_static_file_is_cached_as_before(stockport):
    org, _ = stockport
    client = factories.signed_in(factories.user(org, Role.SOCIAL_WORKER, username="sam"))
    response = client.get("/static/sightline/sightline.css")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    response.close()
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Pragma" not in response


def test_the_sign_in_page_to_nobody_signed_in_is_left_alone(db):
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert "Pragma" not in response
