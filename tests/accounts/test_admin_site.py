"""The stock Django admin (ADR 23): not routed in production; elsewhere only for platform
operators who entered their second factor; no secrets shown and no audit row editable."""

from __future__ import annotations

import importlib

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import clear_url_caches, resolve
from django.urls.exceptions import Resolver404

from sightline.audit.models import AuditEvent
from sightline.organisations.models import Role, User
from tests import factories as f

pytestmark = pytest.mark.django_db

# Field names that hold secrets, or text that may name a child, and must never be shown.
SECRETS = {
    "password",
    "key",
    "bin_key",
    "token",
    "secret",
    "key_hash",
    "justification",
    "note",
    "purpose",
}


@pytest.fixture
def operator() -> User:
    return f.platform_operator("operator")


def test_an_organisations_administrator_gets_page_not_found(operator):
    admin_user = f.user(f.council_org("356"), Role.ADMINISTRATOR)
    client = f.signed_in(admin_user)
    for url in (
        "/admin/",
        "/admin/organisations/user/",
        f"/admin/organisations/user/{operator.pk}/change/",
    ):
        assert client.get(url).status_code == 404, url


def test_someone_not_signed_in_goes_to_sightlines_sign_in(operator):
    response = Client().get("/admin/organisations/user/")
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/?next=")


def test_a_platform_operator_needs_the_second_factor(operator):
    client = Client()
    client.force_login(operator)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/sign-in/" in response.url
    assert f.signed_in(operator).get("/admin/").status_code == 200


def test_people_are_read_only_and_show_no_password_hash(operator):
    person = f.user(f.council_org("356"), Role.SOCIAL_WORKER)
    client = f.signed_in(operator)
    page = client.get(f"/admin/organisations/user/{person.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert person.password not in html
    assert person.password.split("$")[0] + "$" not in html  # no algorithm$salt$hash at all
    assert 'name="role"' not in html and 'name="is_superuser"' not in html
    password = client.get(f"/admin/organisations/user/{person.pk}/password/", follow=True)
    assert 'name="password1"' not in password.content.decode()
    posted = client.post(
        f"/admin/organisations/user/{person.pk}/change/",
        {"role": Role.ADMINISTRATOR, "organisation": "", "is_superuser": "on"},
    )
    assert posted.status_code in (403, 200)
    person.refresh_from_db()
    assert (person.role, person.is_superuser) == (Role.SOCIAL_WORKER, False)


def test_authenticator_secrets_and_sign_in_attempts_are_not_in_the_admin():
    registered = {model._meta.label for model in admin.site._registry}
    assert not registered & {
        "otp_totp.TOTPDevice",
        "otp_static.StaticDevice",
        "axes.AccessAttempt",
        "axes.AccessLog",
        "axes.AccessFailureLog",
        "auth.Group",
    }


def test_no_registered_model_admin_shows_a_secret(operator):
    request = RequestFactory().get("/admin/")
    request.user = operator
    for model, model_admin in admin.site._registry.items():
        shown = set(model_admin.get_fields(request)) | set(model_admin.list_display)
        assert not shown & SECRETS, (model._meta.label, shown & SECRETS)


def test_audit_rows_are_read_only_in_the_admin(operator):
    request = RequestFactory().get("/admin/")
    request.user = operator
    model_admin = admin.site._registry[AuditEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_admin_is_not_routed_in_production(settings):
    import config.urls

    settings.MODE = "production"
    try:
        importlib.reload(config.urls)
        clear_url_caches()
        with pytest.raises(Resolver404):
            resolve("/admin/")
        assert resolve("/organisations/").url_name == "organisations"
    finally:
        settings.MODE = "test"
        importlib.reload(config.urls)
        clear_url_caches()
    assert resolve("/admin/")


def test_createsuperuser_makes_a_platform_operator():
    from django.core.management import call_command

    from sightline.access.policy import is_platform_operator

    call_command(
        "createsuperuser", interactive=False, username="operator.jo", email="jo@example.invalid"
    )
    made = User.objects.get(username="operator.jo")
    assert (made.organisation, made.role, made.is_superuser) == (None, "", True)
    assert is_platform_operator(made)
