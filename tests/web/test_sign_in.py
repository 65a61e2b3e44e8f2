"""Signing in and out."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from sightline.organisations.models import Role
from tests import factories


@pytest.fixture
def worker(db):
    return factories.user(factories.council_org("356"), Role.SOCIAL_WORKER, username="sam")


def test_urls():
    assert reverse("login") == "/sign-in/"
    assert reverse("logout") == "/sign-out/"
    assert reverse("home") == "/"


@pytest.mark.django_db
def test_sign_in_page_is_a_gov_uk_page():
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en-GB" class="govuk-template">' in html
    assert "<title>Sign in – Sightline</title>" in html
    assert "govuk-frontend/dist/govuk/govuk-frontend.min.css" in html
    assert "govuk-phase-banner" in html and "Alpha" in html
    assert 'class="govuk-input' in html
    # Nobody is signed in, so there is nothing to sign out of.
    assert "Sign out" not in html


@pytest.mark.django_db
def test_static_files_are_served_locally():
    client = Client()
    for path in (
        "govuk-frontend/dist/govuk/govuk-frontend.min.css",
        "govuk-frontend/dist/govuk/govuk-frontend.min.js",
        "sightline/sightline.css",
    ):
        response = client.get(f"/static/{path}")
        assert response.status_code == 200, path
        b"".join(response.streaming_content)
        response.close()


def test_no_gds_transport_font_outside_gov_uk_domains():
    # GDS Transport is licensed for GOV.UK domains only; Sightline runs on council and
    # police domains, so the stylesheet must not load it (text falls back to Arial).
    from django.contrib.staticfiles import finders

    path = finders.find("govuk-frontend/dist/govuk/govuk-frontend.min.css")
    css = Path(path).read_text(encoding="utf-8")
    assert "@font-face" not in css
    assert "url(/assets/" not in css


@pytest.mark.django_db
def test_wrong_password_shows_the_error_summary(worker):
    response = Client().post(reverse("login"), {"username": "sam", "password": "wrong"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Sign in – Sightline</title>" in html
    assert "There is a problem" in html
    assert '<a href="#id_username">Enter a correct username and password</a>' in html
    assert 'value="sam"' in html
    assert "_auth_user_id" not in Client().session


@pytest.mark.django_db
def test_empty_form_asks_for_both(worker):
    html = Client().post(reverse("login"), {}).content.decode()
    assert '<a href="#id_username">Enter your username</a>' in html
    assert '<a href="#id_password">Enter your password</a>' in html


@pytest.mark.django_db
def test_sign_in_and_out(worker):
    client = Client()
    response = client.post(reverse("login"), {"username": "sam", "password": factories.PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert factories.enter_code(client, worker).url == reverse("home")  # the second factor
    home = client.get(reverse("home")).content.decode()
    assert "Test User sam" in home
    assert "Stockport Council" in home and "Social worker" in home
    assert f'<form method="post" action="{reverse("logout")}"' in home

    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    page = client.get(response.url).content.decode()
    assert "You have signed out." in page
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_sign_in_returns_to_the_page_asked_for(worker):
    client = Client()
    response = client.post(
        f"{reverse('login')}?next=/placements/new/",
        {"username": "sam", "password": factories.PASSWORD, "next": "/placements/new/"},
    )
    assert response.url == "/placements/new/"


@pytest.mark.django_db
def test_sign_out_needs_a_post(worker):
    client = factories.signed_in(worker)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_unknown_page_is_a_gov_uk_page_not_found():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
