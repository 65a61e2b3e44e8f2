"""``sightline worker --batch`` runs every registered periodic job and exits when none had
work; there is no separate task queue (ADR 12)."""

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.management import call_command

from sightline.core import registry
from sightline.organisations.models import Organisation, OrganisationKind


@pytest.fixture
def provider_job():
    calls: list[dt.datetime] = []

    def run(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
        calls.append(now)
        if len(calls) == 1:
            Organisation.objects.create(kind=OrganisationKind.PROVIDER, name="Job Homes Ltd")
            return 1
        return 0

    registry.job_register(name="test-provider-job", order=1000, interval=0, run=run)
    yield calls
    registry._jobs.pop("test-provider-job", None)


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_registered_jobs_until_none_has_work(provider_job):
    call_command("worker", batch=True, verbosity=0)

    assert Organisation.objects.filter(name="Job Homes Ltd").count() == 1
    # One cycle with work, then one without: a batch worker stops when nothing was done.
    assert len(provider_job) == 2
    assert all(at.tzinfo is not None for at in provider_job)
