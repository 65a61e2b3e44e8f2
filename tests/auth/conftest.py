"""People and a child for the authentication tests.

Stockport (356) places Ada in a home in Stockport; Sam is a Stockport social worker, so Sam
may see Ada once fully signed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from sightline.children.models import Child
from sightline.organisations.models import Role, User
from tests import factories


@dataclass
class Scene:
    sam: User
    ada: Child


@pytest.fixture
def scene(db) -> Scene:
    stockport = factories.council_org("356")
    sam = factories.user(stockport, Role.SOCIAL_WORKER, username="sam")
    ada = factories.child("356")
    home = factories.setting(factories.provider_org(), "SK4 2AB")
    factories.placement(ada, home)
    return Scene(sam=sam, ada=ada)


def password_sign_in(username: str = "sam", client: Client | None = None, **extra) -> Client:
    """A client that has signed in with a username and password only (no second factor)."""
    client = client or Client()
    response = client.post(
        reverse("login"), {"username": username, "password": factories.PASSWORD}, **extra
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def secret_on_page(html: str) -> str:
    """The secret key shown on the set-up page, as a person would type it."""
    found = re.search(r'id="secret-key">([A-Z2-7 ]+)<', html)
    assert found, "The set-up page shows no secret key"
    return found.group(1).replace(" ", "")


def code_for_secret(secret: str, *, step_offset: int = 0) -> str:
    """What an authenticator app given this secret key shows now."""
    import time
    from base64 import b32decode

    from django_otp.oath import TOTP

    padded = secret + "=" * (-len(secret) % 8)
    totp = TOTP(b32decode(padded), step=30, t0=0, digits=6)
    totp.time = time.time() + step_offset * 30
    return f"{totp.token():06d}"
