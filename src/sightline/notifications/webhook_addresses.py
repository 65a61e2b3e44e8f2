"""Webhook addresses must be on the public internet (server-side request forgery).

A webhook's address is typed by people (an organisation's administrators, for a
subscription), and the worker POSTs to it from inside Sightline's network; so an address whose
host is, or resolves to, a loopback, private, link-local (cloud metadata at 169.254.169.254),
reserved, multicast or otherwise non-global address is refused, when it is saved and again at
each send (a name may resolve elsewhere later). The networks in
``SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS`` are the explicit exception: none in production unless
an operator lists them; the loopback in test mode, where the partners are local test servers.

At send the name is resolved once: the worker checks those addresses and connects to the first
of them (``pinned_session``), with the original name in the ``Host`` header, as TLS's server
name (SNI) and for the certificate's check. A name whose answers change between the check and
the connection (DNS rebinding) therefore cannot reach the inside: nothing resolves it a second
time. The worker follows no redirects and uses no proxy from the environment (a proxy would
resolve the name itself).

Every lookup goes through ``resolve``, which asks the installed resolver (the system's,
``getaddrinfo``, unless ``resolver_install`` put another in place: tests do, to play a name
whose answers change).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from sightline.notifications import conf

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the host's addresses; raises OSError when the name does not resolve.
Resolver = Callable[[str, int], list[IPAddress]]


class AddressNotPublic(Exception):
    """The host is, or resolves to, an address that is not on the public internet."""


class AddressUnresolved(Exception):
    """The host does not resolve (now)."""


def _allowed(ip: IPAddress) -> bool:
    for network in conf.webhook_allowed_networks():
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """The operating system's answer (``getaddrinfo``)."""
    found: list[IPAddress] = []
    for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP):
        text = str(info[4][0]).split("%", 1)[0]  # an IPv6 scope id
        found.append(ipaddress.ip_address(text))
    return found


_resolver: Resolver = system_resolver


def resolver_install(resolver: Resolver | None) -> Resolver:
    """Put ``resolver`` in place of the system's (None: the system's again); returns the one
    it replaced, so a caller can put it back."""
    global _resolver
    previous = _resolver
    _resolver = resolver or system_resolver
    return previous


def resolve(host: str, port: int) -> list[IPAddress]:
    """The host's addresses: an address written in the URL as it is, else the resolver's."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    return list(_resolver(host, port))


def addresses_of(url: str) -> list[IPAddress]:
    """The addresses the URL's host resolves to; ``AddressUnresolved`` when it does not."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    if not host:
        raise AddressUnresolved("no host")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        found = resolve(host, port)
    except (OSError, UnicodeError, ValueError) as exc:
        raise AddressUnresolved(type(exc).__name__) from exc
    if not found:
        raise AddressUnresolved("no addresses")
    return found


def check_public(url: str, *, must_resolve: bool) -> list[IPAddress]:
    """Refuse (``AddressNotPublic``) a URL any of whose host's addresses is not public and
    not allowed, else return those addresses. A host that does not resolve is
    ``AddressUnresolved`` when ``must_resolve`` (at send), else accepted with no addresses
    (at save: it is checked again at each send)."""
    try:
        found = addresses_of(url)
    except AddressUnresolved:
        if must_resolve:
            raise
        return []
    for ip in found:
        if not is_public(ip) and not _allowed(ip):
            raise AddressNotPublic(str(ip.version))
    return found


def _connect_to(conn: HTTPConnection, ip: str) -> Any:
    """urllib3's ``_new_conn`` with the address fixed: the socket goes to ``ip``; the
    connection's ``host`` (the ``Host`` header, SNI, the certificate's name) stays the URL's."""
    try:
        return urllib3_connection.create_connection(
            (ip, conn.port),
            conn.timeout,
            source_address=conn.source_address,
            socket_options=conn.socket_options,
        )
    except TimeoutError as exc:
        raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out") from exc
    except OSError as exc:
        raise NewConnectionError(conn, f"Failed to establish a new connection: {exc}") from exc


class _PinnedAdapter(HTTPAdapter):
    """Every connection of this adapter goes to one address, whatever its host's name."""

    def __init__(self, ip: IPAddress) -> None:
        self._ip = str(ip)
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        ip = self._ip

        class PinnedHTTPConnection(HTTPConnection):
            def _new_conn(self) -> Any:
                return _connect_to(self, ip)

        class PinnedHTTPSConnection(HTTPSConnection):
            def _new_conn(self) -> Any:
                return _connect_to(self, ip)

        class PinnedHTTPPool(HTTPConnectionPool):
            ConnectionCls = PinnedHTTPConnection

        class PinnedHTTPSPool(HTTPSConnectionPool):
            ConnectionCls = PinnedHTTPSConnection

        self.poolmanager.pool_classes_by_scheme = {
            "http": PinnedHTTPPool,
            "https": PinnedHTTPSPool,
        }


def pinned_session(url: str) -> requests.Session:
    """A session for one send to ``url``: the name resolved once and checked (raises
    ``AddressNotPublic`` or ``AddressUnresolved``), every connection made to the first
    address checked, no proxy from the environment. Close it after use."""
    ip = check_public(url, must_resolve=True)[0]
    session = requests.Session()
    session.trust_env = False
    adapter = _PinnedAdapter(ip)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
