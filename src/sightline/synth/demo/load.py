"""Loading the demo: keep the data set a seed already made, or replace it, in one
transaction."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from sightline.access.policy import POLICY, Action, children_visible_to
from sightline.core.errors import SightlineError
from sightline.core.timeutil import today
from sightline.organisations.models import User
from sightline.synth.demo.contacts import _Contacts
from sightline.synth.demo.dataset import _MODELS, _fingerprint, _remove
from sightline.synth.demo.exploitation import _Exploitation
from sightline.synth.demo.history import _History
from sightline.synth.demo.homes import _Homes
from sightline.synth.demo.one_record import _OneRecord
from sightline.synth.demo.placements import _Placements
from sightline.synth.demo.plan import (
    DEFAULT_PASSWORD,
    DEFAULT_SEED,
    GENERATOR_VERSION,
    PASSWORD_ENV,
)
from sightline.synth.demo.report import DemoSummary
from sightline.synth.demo.screening import _Screening
from sightline.synth.demo.summary import _summarise
from sightline.synth.demo.week import _Week
from sightline.synth.models import DemoDataset


def reference_date_for(seed: int) -> dt.date:
    """The date a seed's data set is dated to: today. The demo must look like a real week
    (issue 14): placements, notices and episodes run up to now, some children are missing
    at start, interviews are due today. The same seed on the same day gives the same data;
    on another day the data set is rebuilt, dated to that day."""
    del seed  # every seed is dated to today; the argument keeps the call sites honest
    return today()


# --- Loading -------------------------------------------------------------------------------


def demo_load(*, seed: int = DEFAULT_SEED, reference_date: dt.date | None = None) -> DemoSummary:
    """Load the demo data set for ``seed``, or keep it if it is already loaded.

    Replaces a data set loaded with another seed (or by an older generator). Everything runs
    in one transaction: a failure leaves the database as it was. The demo password is read
    from the environment (``SIGHTLINE_DEMO_PASSWORD``) and set on every demo sign-in, also
    when the data set is kept, so that the password printed is the one that works.
    """
    if settings.MODE == "production":
        raise SightlineError(
            "The demo data set has sign-ins with a published password, so it cannot be loaded "
            "in production. Run it with SIGHTLINE_MODE=demo, against a database of its own."
        )
    ref = reference_date or reference_date_for(seed)
    if ref > today():
        raise SightlineError(
            f"The reference date {ref:%d/%m/%Y} is in the future; current placements must "
            "have started by today."
        )
    password = os.environ.get(PASSWORD_ENV) or DEFAULT_PASSWORD
    with _quiet_services(), transaction.atomic():
        dataset = DemoDataset.objects.select_for_update().first()
        if dataset is not None and _same_and_intact(dataset, seed=seed, ref=ref):
            _set_passwords(dataset, password)
            return _summarise(dataset, password=password, created=False)
        if dataset is not None:
            _remove(dataset)
        records = _Generator(seed=seed, ref=ref, password=password).run()
        dataset = DemoDataset(
            seed=seed,
            generator_version=GENERATOR_VERSION,
            reference_date=ref,
            records=records,
            fingerprint="",
        )
        dataset.fingerprint = _fingerprint(dataset)
        dataset.save()
        summary = _summarise(dataset, password=password, created=True)
        _check_sign_ins_see_children(dataset)
    return summary


@contextmanager
def _quiet_services() -> Iterator[None]:
    """Hold back the services' per-record INFO lines (a hundred "placement recorded") while
    the demo loads; warnings and errors still show."""
    logger = logging.getLogger("sightline")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def demo_fingerprint() -> str | None:
    """A digest of the loaded demo data set's content (no ids or timestamps), or None."""
    dataset = DemoDataset.objects.first()
    return None if dataset is None else _fingerprint(dataset)


def _same_and_intact(dataset: DemoDataset, *, seed: int, ref: dt.date) -> bool:
    if (dataset.seed, dataset.generator_version, dataset.reference_date) != (
        seed,
        GENERATOR_VERSION,
        ref,
    ):
        return False
    for label, pks in dataset.records.items():
        if _MODELS[label]._default_manager.filter(pk__in=pks).count() != len(pks):
            return False
    return True


def _set_passwords(dataset: DemoDataset, password: str) -> None:
    hashed = make_password(password)
    pks = dataset.records.get("organisations.user", [])
    User.objects.filter(pk__in=pks).update(password=hashed)


def _check_sign_ins_see_children(dataset: DemoDataset) -> None:
    """A demo where a sign-in's home page is empty is a broken demo: fail the load."""
    for user in User.objects.filter(pk__in=dataset.records.get("organisations.user", [])):
        if POLICY[Action.VIEW].get(user.role) and not children_visible_to(user).exists():
            raise RuntimeError(f"Demo sign-in {user.username} would see no children.")


# _Contacts is a _People.
class _Generator(
    _Contacts, _Homes, _Placements, _History, _Week, _Screening, _OneRecord, _Exploitation
):
    """The steps in their order: each draws from the one random stream in turn, so the order
    is part of the output."""

    def run(self) -> dict[str, list[str]]:
        self._organisations()
        self._users()
        self._plan_homes()
        self._plan_children()
        self._plan_placements()
        self._choose_settings()
        recorded = self._record()
        self._missing_history(recorded)
        self._notice_history(recorded)
        self._safety_profiles(recorded)
        self._this_week(recorded)
        self._contacts(recorded)
        self._duty_contacts()
        self._screening(recorded)
        self._one_record(recorded)
        self._exploitation(recorded)
        # Last: the links between children from everything above (the worker's job would
        # compute them at its next run; the demo shows them at once).
        self._links_refresh()
        return {label: sorted(pks) for label, pks in sorted(self.records.items())}
