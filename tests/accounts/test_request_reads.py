"""Every signed-in request reads its session, its user with the organisation, and the
authenticator the session names, each through a statement built once per process (issue 13:
``accounts.session_store``, ``accounts.backends.UserBackend``,
``accounts.middleware.DeviceMiddleware``). The rules those reads carry stay Django's and
django-otp's: these tests go through the pages twice, the second time through the prepared
statements, and check the rules still hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from sightline.organisations.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


def _who(client):
    """The user the home page's request was made as, and whether they were verified."""
    response = client.get(reverse("home"))
    user = response.wsgi_request.user
    return user, bool(getattr(user, "is_verified", lambda: False)())


def test_two_sessions_read_in_one_process_are_two_users():
    sam = factories.user(factories.council_org("356"), Role.SOCIAL_WORKER)
    pat = factories.user(factories.police_org("E23000005"), Role.POLICE_MISSING_OFFICER)
    sams, pats = factories.signed_in(sam), factories.signed_in(pat)
    for _ in range(3):  # the first read builds each statement, the next ones reuse it
        assert _who(sams) == (sam, True)
        assert _who(pats) == (pat, True)


def test_the_users_organisation_comes_with_the_user():
    sam = factories.user(factories.council_org("356"), Role.SOCIAL_WORKER)
    client = factories.signed_in(sam)
    _who(client)
    user, _ = _who(client)
    with CaptureQueriesContext(connection) as queries:
        name = user.organisation.name
    assert name == "Stockport Council"
    assert len(queries) == 0


def test_an_expired_session_is_not_read():
    sam = factories.user(factories.council_org("356"), Role.SOCIAL_WORKER)
    client = factories.signed_in(sam)
    assert _who(client)[0] == sam
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    user, verified = _who(client)
    assert not user.is_authenticated and not verified


def test_a_disabled_user_is_signed_out_on_their_next_request():
    sam = factories.user(factories.council_org("356"), Role.SOCIAL_WORKER)
    client = factories.signed_in(sam)
    assert _who(client)[0] == sam
    type(sam).objects.filter(pk=sam.pk).update(is_active=False)
    assert not _who(client)[0].is_authenticated


def test_removing_the_authenticator_ends_verification_at_once():
    sam = factories.user(factories.council_org("356"), Role.SOCIAL_WORKER)
    client = factories.signed_in(sam)
    assert _who(client) == (sam, True)
    TOTPDevice.objects.filter(user=sam).delete()
    assert _who(client) == (sam, False)
    assert client.get(reverse("home")).status_code == 302  # to set up a second factor


def test_an_authenticator_of_another_user_does_not_verify():
    sam = factories.user(factories.council_org("356"), Role.SOCIAL_WORKER)
    pat = factories.user(factories.police_org("E23000005"), Role.POLICE_MISSING_OFFICER)
    client = factories.signed_in(sam)
    assert _who(client) == (sam, True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = factories.authenticator(pat).persistent_id
    session.save()
    assert _who(client) == (sam, False)


@pytest.mark.parametrize("named", ["otp_totp.totpdevice/x", "nosuch.model/1", "sessions.session/1"])
def test_a_session_naming_no_authenticator_does_not_verify(named):
    sam = factories.user(factories.council_org("356"), Role.SOCIAL_WORKER)
    client = factories.signed_in(sam)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = named
    session.save()
    assert _who(client) == (sam, False)
