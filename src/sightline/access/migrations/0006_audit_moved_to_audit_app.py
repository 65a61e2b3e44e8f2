"""The audit's models now belong to the ``audit`` app (its migration 0001): forget them here,
in Django's state only. The tables and the trigger stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0005_audit_append_only_trigger"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="AuditEvent"),
                migrations.DeleteModel(name="AuditChainHead"),
            ],
        )
    ]
