"""Take over the audit's two tables from the ``access`` app, in Django's state only.

The tables were created by ``access`` migration 0004 and keep their names: no row moves and
the append-only trigger of ``access`` migration 0005 keeps guarding ``access_auditevent``.
``access`` migration 0006 removes the models from its own state, after this one.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("access", "0005_audit_append_only_trigger")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="AuditChainHead",
                    fields=[
                        (
                            "id",
                            models.PositiveSmallIntegerField(
                                default=1, primary_key=True, serialize=False
                            ),
                        ),
                        ("seq", models.BigIntegerField(default=0)),
                        ("hash", models.CharField(max_length=64)),
                    ],
                    options={"db_table": "access_auditchainhead"},
                ),
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        (
                            "id",
                            models.UUIDField(editable=False, primary_key=True, serialize=False),
                        ),
                        (
                            "seq",
                            models.BigIntegerField(
                                help_text="Position in the chain, from 1.", unique=True
                            ),
                        ),
                        ("at", models.DateTimeField()),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("read", "Viewed"),
                                    ("write", "Changed"),
                                    ("grant", "Access granted"),
                                    ("review", "Emergency access reviewed"),
                                ],
                                max_length=10,
                            ),
                        ),
                        (
                            "action",
                            models.CharField(
                                help_text="What was done, as the policy names it.", max_length=40
                            ),
                        ),
                        ("user_id", models.BigIntegerField(null=True)),
                        ("username", models.CharField(blank=True, max_length=150)),
                        ("organisation_id", models.UUIDField(null=True)),
                        ("child_id", models.UUIDField(db_index=True, null=True)),
                        ("purpose", models.CharField(blank=True, max_length=200)),
                        ("involvement", models.CharField(blank=True, max_length=200)),
                        ("grant_id", models.UUIDField(null=True)),
                        ("object_type", models.CharField(blank=True, max_length=40)),
                        ("object_id", models.CharField(blank=True, max_length=64)),
                        ("prev_hash", models.CharField(max_length=64)),
                        ("hash", models.CharField(max_length=64, unique=True)),
                    ],
                    options={
                        "db_table": "access_auditevent",
                        "ordering": ["seq"],
                        "indexes": [
                            models.Index(fields=["child_id", "at"], name="access_audit_child_at")
                        ],
                    },
                ),
            ],
        )
    ]
