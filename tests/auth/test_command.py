"""`sightline otp code|reset`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from sightline.accounts import services
from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.organisations.models import Role
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
        run("reset", "--user", "nobody", "--by", "sam")


def test_reset_removes_the_app_and_codes_and_ends_sessions(scene: Scene):
    client = factories.signed_in(scene.sam)
    services.recovery_codes_replace(
        user=scene.sam, code=factories.totp_code(factories.authenticator(scene.sam))
    )
    assert client.get(reverse("home")).status_code == 200
    admin = factories.user(scene.sam.organisation, Role.ADMINISTRATOR, username="ari")
    text = run("reset", "--user", "sam", "--by", "ari")
    assert "removed 2 device(s), ended 1 session(s)" in text
    event = AuditEvent.objects.get(verb=AuditVerb.SECOND_FACTOR_RESET)
    assert (event.user_id, event.payload) == (admin.pk, {"devices": 2})
    assert not TOTPDevice.objects.filter(user=scene.sam).exists()
    assert not StaticDevice.objects.filter(user=scene.sam).exists()
    assert client.get(reverse("home")).url.startswith(reverse("login"))
    # At the next sign-in they set up a new app.
    assert password_sign_in().get(reverse("home")).url == reverse("mfa_setup")


def test_reset_follows_the_people_pages_rules(scene: Scene):
    """The command is no way round the People page: whoever asks is named, and only an
    administrator of the person's organisation or a platform operator may; never one's own;
    a platform operator's only by another. Refusals change nothing and are on the audit."""
    factories.authenticator(scene.sam)
    other = factories.user(factories.council_org("352"), Role.ADMINISTRATOR, username="mo")
    colleague = factories.user(scene.sam.organisation, Role.TEAM_MANAGER, username="tia")
    admin = factories.user(scene.sam.organisation, Role.ADMINISTRATOR, username="ari")
    factories.authenticator(admin)
    for by in ("mo", "tia", "nobody"):
        with pytest.raises(CommandError, match=r"may not reset|no active user"):
            run("reset", "--user", "sam", "--by", by)
    with pytest.raises(CommandError, match="cannot reset your own"):
        run("reset", "--user", "ari", "--by", "ari")
    assert TOTPDevice.objects.filter(user__in=[scene.sam, admin]).count() == 2
    assert not AuditEvent.objects.filter(verb=AuditVerb.SECOND_FACTOR_RESET).exists()
    assert AuditEvent.objects.filter(user_id__in=[other.pk, colleague.pk]).exists()  # refusals

    operator = factories.platform_operator(username="op")
    factories.authenticator(operator)
    with pytest.raises(CommandError, match="may not reset"):
        run("reset", "--user", "op", "--by", "ari")
    with pytest.raises(CommandError, match="cannot reset your own"):
        run("reset", "--user", "op", "--by", "op")
    factories.platform_operator(username="op2")
    assert "removed 1 device(s)" in run("reset", "--user", "op", "--by", "op2")
    assert "removed 1 device(s)" in run("reset", "--user", "sam", "--by", "op2")
