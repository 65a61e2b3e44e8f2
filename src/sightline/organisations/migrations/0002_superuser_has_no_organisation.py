"""A superuser (a platform operator) works for no organisation.

Before this, the demo's council administrator was a superuser and used the Django admin to
make themself another council's social worker (issue 12). Superusers who belong to an
organisation keep their organisation and role and lose the superuser flag (and the Django
admin with it): they remain their organisation's administrators. A platform operator is
created afresh (``sightline createsuperuser``, docs/operations.md).
"""

from django.db import migrations, models


def superusers_leave_the_platform(apps, schema_editor):
    User = apps.get_model("organisations", "User")
    User.objects.filter(is_superuser=True).exclude(organisation__isnull=True, role="").update(
        is_superuser=False, is_staff=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("organisations", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(superusers_leave_the_platform, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("is_superuser", False))
                | models.Q(("organisation__isnull", True), ("role", "")),
                name="superuser_has_no_organisation",
            ),
        ),
    ]
