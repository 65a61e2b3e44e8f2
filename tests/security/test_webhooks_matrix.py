"""Webhook subscriptions in the authorisation matrix, generated from the access policy.

For every kind of organisation × role it may hold × involvement with the matrix child
(``SUBJECTS``), through Sightline's own pages: their organisation's subscriptions, one of
them and the form to add one open exactly when ``ORGANISATION_POLICY`` lets the role manage
webhook subscriptions (``Action.MANAGE_WEBHOOKS``), otherwise "Page not found"; another
organisation's subscription, its new secret and a replay are "Page not found" to everyone,
and a posted change to it leaves it as it was.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse

from sightline.access.policy import Action, may
from sightline.notifications import webhooks
from sightline.notifications.models import WebhookSubscription
from sightline.organisations.models import Organisation, OrganisationKind, Role
from tests import factories
from tests.security.world import SUBJECTS, Subject, World

pytestmark = pytest.mark.django_db

PLACEMENT = "placement"


def _other(world: World, subject: Subject) -> Organisation:
    own = world.org(subject)
    if own.pk != world.placing.pk:
        return world.placing
    return world.orgs[(OrganisationKind.POLICE, None)]


def _subscription(org: Organisation, cache: dict[Any, WebhookSubscription]) -> Any:
    if org.pk not in cache:
        admin = factories.user(org, Role.ADMINISTRATOR)
        cache[org.pk] = webhooks.webhook_subscription_create(
            actor=admin,
            name="Partner",
            url=f"https://partner-{org.pk.hex[:8]}.example/hook",
            kinds=[PLACEMENT],
        ).subscription
    return cache[org.pk]


def test_each_subject_manages_exactly_the_webhooks_the_policy_declares(
    matrix_world: World,
) -> None:
    w = matrix_world
    wrong = []
    managed = 0
    made: dict[Any, WebhookSubscription] = {}
    for subject in SUBJECTS:
        user = w.users[subject]
        own, other = _subscription(w.org(subject), made), _subscription(_other(w, subject), made)
        client = factories.signed_in(user)
        expected = 200 if may(user, Action.MANAGE_WEBHOOKS) else 404
        managed += expected == 200
        found = {
            "own list": (client.get(reverse("webhook_list")).status_code, expected),
            "add form": (client.get(reverse("webhook_add")).status_code, expected),
            "own subscription": (
                client.get(reverse("webhook_detail", args=[own.pk])).status_code,
                expected,
            ),
            "other subscription": (
                client.get(reverse("webhook_detail", args=[other.pk])).status_code,
                404,
            ),
            "other new secret": (
                client.post(reverse("webhook_new_secret", args=[other.pk])).status_code,
                404,
            ),
            "other replay": (
                client.post(reverse("webhook_replay", args=[other.pk, uuid.uuid4()])).status_code,
                404,
            ),
        }
        client.post(
            reverse("webhook_detail", args=[other.pk]),
            {
                "name": "Taken",
                "url": "https://evil.example/",
                "kinds": [PLACEMENT],
                "active": "yes",
            },
        )
        for what, (got, want) in found.items():
            if got != want:
                wrong.append(f"{subject.id}: {what} answered {got}, the policy says {want}")
        after = WebhookSubscription.objects.get(pk=other.pk)
        if (after.name, after.url, after.secret) != (other.name, other.url, other.secret):
            wrong.append(f"{subject.id}: changed another organisation's subscription")
    assert managed, "no subject in the matrix manages webhooks: the matrix is empty"
    assert not wrong, "\n".join(wrong)
