"""`sightline otp code|reset`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from sightline.accounts import services
from tests import factories
from tests.auth.conftest import Scene, password_sign_in

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("otp", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("mode", ["test", "production"])
def test_code_is_refused_outside_the_demo(scene: Scene, settings, mode):
    settings.MODE = mode
    factories.authenticator(scene.sam)
    with pytest.raises(CommandError, match="works only in the demo"):
        run("code", "--user", "sam")


def test_code_in_the_demo_completes_the_set_up(scene: Scene, settings):
    settings.MODE = "demo"
    with pytest.raises(CommandError, match="has no authenticator app yet"):
        run("code", "--user", "sam")
    client = password_sign_in()
    client.get(reverse("mfa_setup"))  # the page makes the key
    code = run("code", "--user", "sam").strip()
    assert len(code) == 6 and code.isdigit()
    done = client.post(reverse("mfa_setup"), {"code": code})
    assert done.url == reverse("mfa_recovery_codes")
    assert client.get(reverse("home")).status_code == 200


def test_unknown_user(scene: Scene):
    with pytest.raises(CommandError, match="There is no user with the username 'nobody'"):
        run("reset", "--user", "nobody")


def test_reset_removes_the_app_and_codes_and_ends_sessions(scene: Scene):
    client = factories.signed_in(scene.sam)
    services.recovery_codes_replace(
        user=scene.sam, code=factories.totp_code(factories.authenticator(scene.sam))
    )
    assert client.get(reverse("home")).status_code == 200
    text = run("reset", "--user", "sam")
    assert "removed 2 device(s), ended 1 session(s)" in text
    assert not TOTPDevice.objects.filter(user=scene.sam).exists()
    assert not StaticDevice.objects.filter(user=scene.sam).exists()
    assert client.get(reverse("home")).url.startswith(reverse("login"))
    # At the next sign-in they set up a new app.
    assert password_sign_in().get(reverse("home")).url == reverse("mfa_setup")
