"""Webhook addresses must be on the public internet (server-side request forgery).

A webhook's address is typed by people (an organisation's administrators, for a
subscription), and the worker POSTs to it from inside Sightline's network; so an address whose
host is, or resolves to, a loopback, private, link-local (cloud metadata at 169.254.169.254),
reserved, multicast or otherwise non-global address is refused, when it is saved and again at
each send (a name may resolve elsewhere later). The networks in
``SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS`` are the explicit exception: none in production unless
an operator lists them; the loopback in test mode, where the partners are local test servers.

What remains: the check and the connection resolve the name separately, so a name whose
answers change between the two (DNS rebinding) is not stopped; the worker follows no
redirects.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlparse

from sightline.notifications import conf

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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


def addresses_of(url: str) -> list[IPAddress]:
    """The addresses the URL's host resolves to; ``AddressUnresolved`` when it does not."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    if not host:
        raise AddressUnresolved("no host")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError) as exc:
        raise AddressUnresolved(type(exc).__name__) from exc
    found: list[IPAddress] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # an IPv6 scope id
        found.append(ipaddress.ip_address(text))
    if not found:
        raise AddressUnresolved("no addresses")
    return found


def check_public(url: str, *, must_resolve: bool) -> None:
    """Refuse (``AddressNotPublic``) a URL any of whose host's addresses is not public and
    not allowed. A host that does not resolve is ``AddressUnresolved`` when ``must_resolve``
    (at send), else accepted (at save: it is checked again at each send)."""
    try:
        found = addresses_of(url)
    except AddressUnresolved:
        if must_resolve:
            raise
        return
    for ip in found:
        if not is_public(ip) and not _allowed(ip):
            raise AddressNotPublic(str(ip.version))
