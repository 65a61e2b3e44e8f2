import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus

from sightline.organisations.models import Organisation
from tests.core.tasks import create_provider


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_queued_tasks():
    result = create_provider.enqueue("Queued Homes Ltd")
    assert result.status == TaskResultStatus.READY
    assert not Organisation.objects.filter(name="Queued Homes Ltd").exists()

    call_command("worker", batch=True, verbosity=0)

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert Organisation.objects.filter(name="Queued Homes Ltd").count() == 1
    assert result.return_value == str(Organisation.objects.get(name="Queued Homes Ltd").id)
