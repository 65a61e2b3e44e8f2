"""Casework's tests use the missing tests' world (Southwark places Robin in a Brightwater home
in Stockport; Greater Manchester Police is the force of the area), on Monday 2 February 2026."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from sightline.api.services import api_key_create
from sightline.organisations.models import User
from tests.missing.conftest import (  # noqa: F401  (fixtures)
    MONDAY,
    World,
    _private_media,
    _risk_grades,
    at_monday,
    smtp_server,
    world,
)

DUE = dt.date(2026, 2, 9)  # the Monday after


def api_post(user: User, path: str, body: dict[str, Any]) -> Any:
    """POST to the API with a key of the user's organisation and role."""
    assert user.organisation is not None
    _, key = api_key_create(organisation=user.organisation, role=user.role, actor=None)
    return Client().post(
        "/api/v1" + path,
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


@pytest.fixture
def monday(at_monday: Any) -> Any:  # noqa: F811
    return at_monday
