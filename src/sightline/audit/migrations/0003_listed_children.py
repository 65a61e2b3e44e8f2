"""The children each list read named: one row per (event, child), beside the one chain event.

On PostgreSQL the same kind of trigger as ``access`` migration 0005 refuses UPDATE and DELETE
of these rows; elsewhere the digest in the event's payload shows a change (``audit_verify``).
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION audit_auditlistedchild_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit is append-only: % of a listed child of audit event % refused',
        TG_OP, OLD.event_id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditlistedchild_append_only
    BEFORE UPDATE OR DELETE ON audit_auditlistedchild
    FOR EACH ROW EXECUTE FUNCTION audit_auditlistedchild_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_auditlistedchild_append_only ON audit_auditlistedchild;
DROP FUNCTION IF EXISTS audit_auditlistedchild_refuse_change();
"""


def _run(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_verb_payload_version")]

    operations = [
        migrations.CreateModel(
            name="AuditListedChild",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("child_id", models.UUIDField()),
                (
                    "event",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="listed_children",
                        to="audit.auditevent",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["child_id", "event"], name="audit_listed_child")],
                "constraints": [
                    models.UniqueConstraint(fields=("event", "child_id"), name="audit_listed_once")
                ],
            },
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
