"""Load the police forces, councils and districts shipped in ``geography/data/``."""

from django.db import migrations

from sightline.geography.services import reference_data_load, reference_data_unload


def load(apps, schema_editor):
    reference_data_load(apps=apps)


def unload(apps, schema_editor):
    reference_data_unload(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ("geography", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload, elidable=False),
    ]
