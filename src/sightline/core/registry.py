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
# A navigation count returns the rows to count for this request's signed-in user (a queryset,
# counted inside one statement with every other count: ``core.navigation``), or None for none.
NavigationCount = Callable[[HttpRequest, Any], Any]
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


# The worker's lanes (ADR 62). Jobs of the main lane run one after another in the worker's
# loop, between deliveries: each must finish in about a second. A job that may run for minutes
# (a computation over every child) goes in the long lane, which the worker runs in a process
# of its own, so that no missing-child alert waits for it.
LANE_MAIN = "main"
LANE_LONG = "long"
JOB_LANES = (LANE_MAIN, LANE_LONG)

# On PostgreSQL an idle worker LISTENs on this channel, and an app NOTIFYs it (from a trigger
# on its table) when it writes work that is due at once, such as a new delivery: the worker
# wakes for it instead of finding it at its next poll, and so polls less often (ADR 66).
WAKE_CHANNEL = "sightline_worker"


@dataclass(frozen=True)
class PeriodicJob:
    """``interval`` is the least number of seconds between two runs (0: every cycle); a
    ``--batch`` worker runs every job of every lane every cycle, in order. ``close``, if
    given, is called once when the worker's loop stops: a job that keeps something open
    between its runs (the outbox's SMTP connection) lets go of it there."""

    name: str
    order: int
    interval: float
    run: JobRun
    lane: str = LANE_MAIN
    close: Callable[[], None] | None = None


_navigation: dict[str, NavigationSource] = {}
_panels: dict[str, Panel] = {}
_jobs: dict[str, PeriodicJob] = {}
_banners: dict[str, Banner] = {}
_counts: dict[str, NavigationCount] = {}


def navigation_register(*, name: str, order: int, items: NavigationItems) -> None:
    _navigation[name] = NavigationSource(name=name, order=order, items=items)


def navigation_sources() -> list[NavigationSource]:
    return sorted(_navigation.values(), key=lambda s: (s.order, s.name))


def navigation_count_register(*, name: str, count: NavigationCount) -> None:
    _counts[name] = count


def navigation_counts() -> dict[str, NavigationCount]:
    return dict(sorted(_counts.items()))


def home_panel_register(*, name: str, order: int, render: HomePanel) -> None:
    _panels[name] = Panel(name=name, order=order, render=render)


def home_panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.name))


def page_banner_register(*, name: str, order: int, render: PageBanner) -> None:
    _banners[name] = Banner(name=name, order=order, render=render)


def page_banners() -> list[Banner]:
    return sorted(_banners.values(), key=lambda b: (b.order, b.name))


def job_register(
    *,
    name: str,
    order: int,
    interval: float,
    run: JobRun,
    lane: str = LANE_MAIN,
    close: Callable[[], None] | None = None,
) -> None:
    if lane not in JOB_LANES:
        raise ValueError(f"job {name}: unknown lane {lane!r}")
    _jobs[name] = PeriodicJob(
        name=name, order=order, interval=interval, run=run, lane=lane, close=close
    )


def periodic_jobs(lane: str | None = None) -> list[PeriodicJob]:
    """The registered jobs in their order: of one lane, or (``None``) of every lane."""
    jobs = (j for j in _jobs.values() if lane is None or j.lane == lane)
    return sorted(jobs, key=lambda j: (j.order, j.name))
