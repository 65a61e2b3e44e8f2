"""How quickly each kind of notice is retried and taken back from a dead worker.

The outbox knows no domain (ADR 9), so it cannot tell a missing-child alert from a placement
notice. Each domain registers the urgency of the kinds it declares, from ``AppConfig.ready()``
(``sightline.missing.notices.DELIVERY_URGENCY``, ``sightline.placements.notices``), as
``access.breakglass`` and ``core.registry`` take what a higher layer knows. A kind nobody
registered is delivered on the standard schedule.

* **Urgent** (a child missing, away or safe again): a short lease, so that a delivery held by a
  worker that died is taken back within 30 seconds, and retries every few seconds, capped at
  20 seconds, for about half an hour before giving up (ADR 22).
* **Standard** (placement, admission and discharge notices, escalations): the gentler schedule
  of ADR 5, whose deadlines are working days.

The numbers come from ``conf`` when used, so that an operator (or a test) can change them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sightline.notifications import conf


class Urgency(enum.StrEnum):
    STANDARD = "standard"
    URGENT = "urgent"


@dataclass(frozen=True)
class DeliverySchedule:
    urgency: Urgency
    lease_seconds: float
    backoff_seconds: float
    backoff_max_seconds: float
    max_attempts: int

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait after the ``attempts``-th failed attempt: doubling from ``backoff_seconds``
        and capped at ``backoff_max_seconds``."""
        seconds = self.backoff_seconds * 2 ** max(attempts - 1, 0)
        return dt.timedelta(seconds=min(seconds, self.backoff_max_seconds))

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.lease_seconds)


_urgency: dict[str, Urgency] = {}
_labels: dict[str, str] = {}


def kind_urgency_register(*, kinds: Iterable[str], urgency: Urgency) -> None:
    """Declare the urgency of kinds of notice (keyed by kind: registering again replaces).

    A kind given as a ``TextChoices`` member brings its label, and the "Your alerts" page
    offers it for subscription (``kind_labels``); a plain string is not offered."""
    for kind in kinds:
        _urgency[str(kind)] = Urgency(urgency)
        label = getattr(kind, "label", None)
        if label:
            _labels[str(kind)] = str(label)


def kind_labels() -> dict[str, str]:
    """Every kind a domain registered with a label, and the label: urgent kinds first."""
    ordered = sorted(_labels, key=lambda k: (_urgency[k] is not Urgency.URGENT, _labels[k]))
    return {kind: _labels[kind] for kind in ordered}


def kind_known(kind: str) -> bool:
    """Whether a domain declared this kind of notice (another deployment's notice of a kind
    nobody here declared is refused: ``sightline.federation``)."""
    return str(kind) in _urgency


def urgency_of(kind: str) -> Urgency:
    return _urgency.get(str(kind), Urgency.STANDARD)


def urgent_kinds() -> frozenset[str]:
    return frozenset(kind for kind, urgency in _urgency.items() if urgency is Urgency.URGENT)


def schedule_for(kind: str) -> DeliverySchedule:
    """The delivery schedule of a kind of notice, with today's settings."""
    if urgency_of(kind) is Urgency.URGENT:
        return DeliverySchedule(
            urgency=Urgency.URGENT,
            lease_seconds=conf.urgent_lease_seconds(),
            backoff_seconds=conf.urgent_backoff_seconds(),
            backoff_max_seconds=conf.urgent_backoff_max_seconds(),
            max_attempts=conf.urgent_max_attempts(),
        )
    return DeliverySchedule(
        urgency=Urgency.STANDARD,
        lease_seconds=conf.lease_seconds(),
        backoff_seconds=conf.backoff_seconds(),
        backoff_max_seconds=conf.backoff_max_seconds(),
        max_attempts=conf.max_attempts(),
    )
