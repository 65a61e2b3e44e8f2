"""Lockout after repeated wrong passwords (django-axes): by username and address together."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.auth.conftest import Scene

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def attempt(password: str, address: str = "192.0.2.10", username: str = "sam"):
    return Client(REMOTE_ADDR=address).post(
        reverse("login"), {"username": username, "password": password}
    )


def test_five_wrong_passwords_lock_the_account_from_that_address(scene: Scene, caplog):
    caplog.set_level("INFO")
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            assert attempt("wrong password").status_code == 200
        locked = attempt("wrong password")
        assert locked.status_code == 429
        html = locked.content.decode()
        assert "<title>You cannot sign in at the moment – Sightline</title>" in html
        assert "Wait 15 minutes" in html
        # Locked even with the right password now.
        right = attempt(factories.PASSWORD)
        assert right.status_code == 429
        assert "_auth_user_id" not in right.client.session
        # The same username from another address is not locked: an attacker elsewhere
        # cannot lock a worker out of their own office.
        assert attempt(factories.PASSWORD, address="198.51.100.7").status_code == 302
    assert f"sign-in locked out user={scene.sam.pk}" in caplog.text
    assert "sam" not in caplog.text.replace("same", "")


def test_the_lock_ends_after_15_minutes(scene: Scene):
    with time_machine.travel(START, tick=False) as frozen:
        for _ in range(5):
            attempt("wrong password")
        assert attempt(factories.PASSWORD).status_code == 429
        frozen.move_to(START + dt.timedelta(minutes=14))
        assert attempt(factories.PASSWORD).status_code == 429
        frozen.move_to(START + dt.timedelta(minutes=30))
        assert attempt(factories.PASSWORD).status_code == 302


def test_an_administrator_can_unlock(scene: Scene):
    for _ in range(5):
        attempt("wrong password")
    assert attempt(factories.PASSWORD).status_code == 429
    call_command("axes_reset_username", "sam")
    assert attempt(factories.PASSWORD).status_code == 302


def test_a_right_password_clears_earlier_failures(scene: Scene):
    for _ in range(4):
        attempt("wrong password")
    assert attempt(factories.PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
    for _ in range(4):
        assert attempt("wrong password").status_code == 200


def test_unknown_usernames_are_counted_too(db):
    for _ in range(5):
        attempt("anything", username="nobody")
    assert attempt("anything", username="nobody").status_code == 429
