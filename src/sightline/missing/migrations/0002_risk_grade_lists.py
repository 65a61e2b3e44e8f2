"""Load the police risk-grade lists (``sightline.missing.reference``)."""

from django.db import migrations


def load(apps, schema_editor):
    from sightline.missing.reference import risk_grade_lists_load

    risk_grade_lists_load(
        list_model=apps.get_model("missing", "RiskGradeList"),
        grade_model=apps.get_model("missing", "RiskGrade"),
    )


class Migration(migrations.Migration):
    dependencies = [("missing", "0001_episodes_profiles_interviews_tasks")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
