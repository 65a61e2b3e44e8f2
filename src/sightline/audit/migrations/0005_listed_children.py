"""The children each list read or export named: one row per (event, child), beside the one
chain event (ADR 19).

On PostgreSQL these rows get the audit's guards: a row trigger refuses UPDATE and DELETE (as
``access`` migration 0005 does for the chain), audit migration 0004's statement trigger refuses
TRUNCATE (with the same exception for the test suite's flush), and UPDATE, DELETE and TRUNCATE
are taken from every role but the owner. Elsewhere the digest in the event's payload shows a
change (``audit_verify``).
"""

import django.db.models.deletion
from django.db import migrations, models

from sightline.core.migration_operations import postgresql_only

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
CREATE TRIGGER audit_auditlistedchild_no_truncate
    BEFORE TRUNCATE ON audit_auditlistedchild
    FOR EACH STATEMENT EXECUTE FUNCTION access_auditevent_refuse_truncate();
DO $$
DECLARE
    grantee oid;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = 'audit_auditlistedchild'::regclass
          AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
          AND a.grantee <> c.relowner
    LOOP
        IF grantee = 0 THEN
            EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditlistedchild FROM PUBLIC';
        ELSE
            EXECUTE format(
                'REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditlistedchild FROM %I',
                (SELECT rolname FROM pg_roles WHERE oid = grantee)
            );
        END IF;
    END LOOP;
END;
$$;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_auditlistedchild_no_truncate ON audit_auditlistedchild;
DROP TRIGGER IF EXISTS audit_auditlistedchild_append_only ON audit_auditlistedchild;
DROP FUNCTION IF EXISTS audit_auditlistedchild_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_refuse_truncate_and_revoke")]

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
        postgresql_only(FORWARD, BACKWARD),
    ]
