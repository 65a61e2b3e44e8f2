"""Rows are written unsealed and sealed just after their transaction commits (ADR 21).

``seq`` and ``hash`` may be empty until the seal; a partial index finds the rows waiting.

On PostgreSQL the row trigger of ``access`` migration 0005 refused every UPDATE. It now lets
exactly one through: the seal of an unsealed row, which sets ``seq``, ``prev_hash`` and
``hash`` on a row whose ``seq`` is empty and changes no other column. A sealed row stays as
unchangeable as before, and no row can be unsealed again. The roles that may append (they
hold INSERT on the audit, other than the owner) get UPDATE of those three columns only, so
they can seal; UPDATE of any other column stays refused by the privileges themselves.
"""

from django.db import migrations, models

from sightline.core.migration_operations import postgresql_only

FORWARD = """
CREATE OR REPLACE FUNCTION access_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND NEW.hash IS NOT NULL
       AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash')
           = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'The audit is append-only: % of audit row % refused', TG_OP, OLD.seq
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DO $$
DECLARE
    grantee oid;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = 'access_auditevent'::regclass
          AND a.privilege_type = 'INSERT'
          AND a.grantee <> c.relowner
          AND a.grantee <> 0
    LOOP
        EXECUTE format(
            'GRANT UPDATE (seq, prev_hash, hash) ON access_auditevent TO %I',
            (SELECT rolname FROM pg_roles WHERE oid = grantee)
        );
    END LOOP;
END;
$$;
"""

# Back to refusing every UPDATE (rows still unsealed then stay so: seal them first with
# ``sightline audit seal``). The column grants are left: the trigger refuses the updates.
BACKWARD = """
CREATE OR REPLACE FUNCTION access_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit is append-only: % of audit row % refused', TG_OP, OLD.seq
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_listed_children")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(
                help_text="Position in the chain, from 1; empty until the row is sealed (ADR 21).",
                null=True,
                unique=True,
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)), fields=["id"], name="audit_unsealed"
            ),
        ),
        postgresql_only(FORWARD, BACKWARD),
    ]
