"""A task used only by the worker test: it writes a row the test can see."""

from django_tasks import task

from sightline.organisations.models import Organisation, OrganisationKind


@task()
def create_provider(name: str) -> str:
    org = Organisation.objects.create(kind=OrganisationKind.PROVIDER, name=name)
    return str(org.id)
