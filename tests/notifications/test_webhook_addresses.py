"""Webhook addresses must be on the public internet (server-side request forgery): refused at
save and again at send when the host is, or resolves to, a loopback, private, link-local,
reserved or multicast address, except in the networks the setting allows explicitly."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from sightline.core.errors import ValidationError
from sightline.notifications import webhook_addresses, webhooks
from sightline.notifications.models import Channel, Delivery, DeliveryStatus
from sightline.notifications.services import contact_point_set
from sightline.notifications.webhook_addresses import is_public
from sightline.organisations.models import Role
from sightline.placements.notices import PlacementNoticeKind
from tests import factories
from tests.notifications.conftest import World, make_world, record_out_of_area, run_worker
from tests.notifications.test_webhook_subscriptions import DocumentedReceiver

pytestmark = pytest.mark.django_db

PLACEMENT = str(PlacementNoticeKind.PLACEMENT)
NOT_PUBLIC = [
    "https://127.0.0.1/hook",
    "https://127.1.2.3:8443/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://localhost/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://10.0.0.1/hook",
    "https://172.16.5.4/hook",
    "https://192.168.1.1/hook",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://[fe80::1]/hook",
    "https://[fc00::1]/hook",
]


@pytest.fixture
def world() -> World:
    world = make_world()
    world.extra["admin"] = factories.user(world.police, Role.ADMINISTRATOR)
    return world


@pytest.fixture
def partner() -> Iterator[DocumentedReceiver]:
    receiver = DocumentedReceiver()
    yield receiver
    receiver.stop()


@pytest.mark.parametrize("url", NOT_PUBLIC)
def test_a_subscription_to_a_local_or_private_address_is_refused(world: World, settings, url):
    settings.SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_subscription_create(
            actor=world.extra["admin"], name="X", url=url, kinds=[PLACEMENT]
        )
    assert refused.value.field == "url"
    assert "public internet" in refused.value.message


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://169.254.169.254/"])
def test_a_webhook_contact_point_to_a_local_address_is_refused(world: World, settings, url):
    settings.SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError) as refused:
        contact_point_set(
            organisation=world.police,
            kind=PLACEMENT,
            channel=Channel.WEBHOOK,
            address=url,
            actor=None,
        )
    assert refused.value.field == "address"


def test_an_address_changed_to_a_local_one_is_refused(world: World, partner: DocumentedReceiver):
    saved = webhooks.webhook_subscription_create(
        actor=world.extra["admin"], name="X", url=partner.url, kinds=[PLACEMENT]
    )
    with pytest.raises(ValidationError):
        webhooks.webhook_subscription_update(
            actor=world.extra["admin"],
            subscription_id=saved.subscription.pk,
            name="X",
            url="https://169.254.169.254/latest/meta-data/",
            kinds=[PLACEMENT],
            active=True,
        )
    saved.subscription.refresh_from_db()
    assert saved.subscription.url == partner.url


def test_the_allowed_networks_are_explicit(world: World, settings):
    settings.SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    webhooks.webhook_subscription_create(
        actor=world.extra["admin"], name="A", url="https://10.1.2.3/hook", kinds=[PLACEMENT]
    )
    with pytest.raises(ValidationError):
        webhooks.webhook_subscription_create(
            actor=world.extra["admin"], name="B", url="https://10.2.0.1/hook", kinds=[PLACEMENT]
        )


def test_the_worker_checks_again_at_send_and_sends_nothing_to_a_local_address(
    world: World, partner: DocumentedReceiver, settings
):
    """Saved while the loopback was allowed (test mode's test servers); at send it is not."""
    saved = webhooks.webhook_subscription_create(
        actor=world.extra["admin"], name="X", url=partner.url, kinds=[PLACEMENT]
    )
    partner.secret = saved.secret
    settings.SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS = []
    record_out_of_area(world)
    run_worker()
    assert partner.requests == []
    delivery = Delivery.objects.get(contact_point__subscription=saved.subscription)
    assert delivery.status == DeliveryStatus.TECHNICAL_FAILURE
    assert "not on the public internet" in delivery.last_error


def test_public_addresses_are_public():
    assert is_public(ipaddress.ip_address("8.8.8.8"))
    assert is_public(ipaddress.ip_address("2001:4860:4860::8888"))
    assert not is_public(ipaddress.ip_address("::ffff:10.0.0.1"))


class RebindingResolver:
    """A name server we control, put in place through the code's own hook
    (``resolver_install``): it answers each lookup of ``partner.test`` with the next address in
    its script, as a hostile name server does to rebind a name between a check and a connect."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        self.lookups.append(host)
        if host != "partner.test" or not self.answers:
            raise OSError("no such name")
        return [ipaddress.ip_address(self.answers.pop(0))]


@pytest.fixture
def resolver() -> Iterator[RebindingResolver]:
    # First answer the loopback (allowed in test mode: where the partner listens), then an
    # address inside the network. The second is never asked for: the send pins the first.
    fake = RebindingResolver("127.0.0.1", "10.0.0.1", "10.0.0.1")
    previous = webhook_addresses.resolver_install(fake)
    yield fake
    webhook_addresses.resolver_install(previous)


def test_the_send_connects_to_the_address_it_checked_under_the_name_given(
    world: World, partner: DocumentedReceiver, resolver: RebindingResolver, settings
):
    """DNS rebinding: the name is looked up once at send; the connection goes to the address
    checked, with the name in the Host header, and nothing resolves it again (a second lookup
    would have answered 10.0.0.1)."""
    settings.SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    port = partner.url.split(":")[2].split("/")[0]
    url = f"http://partner.test:{port}/hooks/sightline"
    saved = webhooks.webhook_subscription_create(
        actor=world.extra["admin"], name="X", url=url, kinds=[PLACEMENT]
    )
    partner.secret = saved.secret
    assert resolver.lookups == ["partner.test"]  # checked at save
    resolver.answers = ["127.0.0.1", "10.0.0.1"]  # the send's lookup, then the rebind
    record_out_of_area(world)
    run_worker()
    assert resolver.lookups == ["partner.test", "partner.test"]  # once at save, once at send
    assert resolver.answers == ["10.0.0.1"]  # never asked for
    assert [r["valid"] for r in partner.requests] == [True]
    assert partner.requests[0]["headers"]["Host"] == f"partner.test:{port}"
    delivery = Delivery.objects.get(contact_point__subscription=saved.subscription)
    assert delivery.status == DeliveryStatus.DELIVERED


def test_a_name_that_resolves_inside_at_send_is_not_contacted(
    world: World, partner: DocumentedReceiver, resolver: RebindingResolver, settings
):
    settings.SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    port = partner.url.split(":")[2].split("/")[0]
    saved = webhooks.webhook_subscription_create(
        actor=world.extra["admin"],
        name="X",
        url=f"http://partner.test:{port}/hooks/sightline",
        kinds=[PLACEMENT],
    )
    resolver.answers = ["10.0.0.1"]  # rebound before the send
    record_out_of_area(world)
    run_worker()
    assert partner.requests == []
    delivery = Delivery.objects.get(contact_point__subscription=saved.subscription)
    assert delivery.status == DeliveryStatus.TECHNICAL_FAILURE
    assert "not on the public internet" in delivery.last_error


def test_the_pinned_connection_keeps_the_name_for_tls(resolver: RebindingResolver, settings):
    """For https the socket goes to the checked address while TLS's server name (SNI) and the
    certificate's check use the URL's name: urllib3 takes both from the connection's host."""
    settings.SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with webhook_addresses.pinned_session("https://partner.test:8443/hook") as session:
        adapter = session.get_adapter("https://partner.test:8443/hook")
        pool = adapter.poolmanager.connection_from_url("https://partner.test:8443/hook")
        conn = pool._new_conn()
    assert conn.host == "partner.test"
    assert conn.server_hostname in (None, "partner.test")
    assert resolver.answers == ["10.0.0.1", "10.0.0.1"]  # one lookup
