"""What the apps above ``core`` add to the shared pages and to the worker.

``core`` imports no other Sightline package, yet the service navigation, the home page and the
worker's cycle need something from nearly every domain. So each app registers its part here
from its ``AppConfig.ready()``, and ``core`` (or ``web``) asks the registry. See ADR 7.

Registering is keyed by name, so that calling ``ready()`` twice (as some test runners do)
replaces an entry rather than adding it again. Entries come back in ``order``, then name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.http import HttpRequest

# A navigation source returns the service navigation's items for this request and signed-in
# user, as the plain dicts the GOV.UK component's macro wants.
NavigationItems = Callable[[HttpRequest, Any], list[Any]]
# A home panel returns a piece of HTML for the home page, or "" to show nothing.
HomePanel = Callable[[HttpRequest, Any], str]
# A page banner returns HTML shown at the top of every page for a signed-in user, or "".
# It runs on every page: it must be cheap (one indexed query at most).
PageBanner = Callable[[HttpRequest, Any], str]


class JobRun(Protocol):
    """One periodic job: it does what is due at ``now`` and says how much work it did (0 for
    none, which lets a ``--batch`` worker know when to stop). ``should_stop`` turns true when
    the worker has been asked to stop; a long job checks it between items."""

    def __call__(self, *, now: dt.datetime, should_stop: Callable[[], bool]) -> int: ...


@dataclass(frozen=True)
class NavigationSource:
    name: str
    order: int
    items: NavigationItems


@dataclass(frozen=True)
class Panel:
    name: str
    order: int
    render: HomePanel


@dataclass(frozen=True)
class Banner:
    name: str
    order: int
    render: PageBanner


@dataclass(frozen=True)
class PeriodicJob:
    """``interval`` is the least number of seconds between two runs (0: every cycle); a
    ``--batch`` worker runs every job every cycle."""

    name: str
    order: int
    interval: float
    run: JobRun


_navigation: dict[str, NavigationSource] = {}
_panels: dict[str, Panel] = {}
_jobs: dict[str, PeriodicJob] = {}
_banners: dict[str, Banner] = {}


def navigation_register(*, name: str, order: int, items: NavigationItems) -> None:
    _navigation[name] = NavigationSource(name=name, order=order, items=items)


def navigation_sources() -> list[NavigationSource]:
    return sorted(_navigation.values(), key=lambda s: (s.order, s.name))


def home_panel_register(*, name: str, order: int, render: HomePanel) -> None:
    _panels[name] = Panel(name=name, order=order, render=render)


def home_panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.name))


def page_banner_register(*, name: str, order: int, render: PageBanner) -> None:
    _banners[name] = Banner(name=name, order=order, render=render)


def page_banners() -> list[Banner]:
    return sorted(_banners.values(), key=lambda b: (b.order, b.name))


def job_register(*, name: str, order: int, interval: float, run: JobRun) -> None:
    _jobs[name] = PeriodicJob(name=name, order=order, interval=interval, run=run)


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(_jobs.values(), key=lambda j: (j.order, j.name))
