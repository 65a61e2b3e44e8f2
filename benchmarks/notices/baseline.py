"""The baseline: the same messages, byte for byte, sent with nothing but ``smtplib``.

No database, no outbox, no rendering: the floor for getting these messages into this SMTP
server from one Python process. Two ways, as Django's SMTP backend could:

* ``connection_per_message``: connect, send, QUIT for every message. This is what Django's
  ``EmailBackend.send_messages`` does when nobody opened the connection beforehand, and
  what Sightline's e-mail channel does today (see the report in ``docs/benchmarks.md``);
* ``reused_connection``: one connection for every message.

Like Django, the local host name for EHLO is looked up once (``smtplib`` would otherwise
call ``socket.getfqdn()`` on every connection).
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Sequence
from typing import NamedTuple

from django.core.mail.utils import DNS_NAME


class Message(NamedTuple):
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


def send_connection_per_message(
    messages: Sequence[Message], *, host: str, port: int, timeout: float
) -> list[float]:
    """Returns when each send began (wall clock), in order."""
    local_hostname = DNS_NAME.get_fqdn()
    started: list[float] = []
    for message in messages:
        started.append(time.time())
        connection = smtplib.SMTP(host, port, local_hostname=local_hostname, timeout=timeout)
        try:
            connection.sendmail(message.mail_from, message.rcpt_tos, message.data)
        finally:
            connection.quit()
    return started


def send_reused_connection(
    messages: Sequence[Message], *, host: str, port: int, timeout: float
) -> list[float]:
    """Returns when each send began (wall clock), in order."""
    local_hostname = DNS_NAME.get_fqdn()
    started: list[float] = []
    connection = smtplib.SMTP(host, port, local_hostname=local_hostname, timeout=timeout)
    try:
        for message in messages:
            started.append(time.time())
            connection.sendmail(message.mail_from, message.rcpt_tos, message.data)
    finally:
        connection.quit()
    return started
