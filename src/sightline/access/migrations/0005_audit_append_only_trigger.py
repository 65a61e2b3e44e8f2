"""On PostgreSQL, refuse UPDATE and DELETE of audit rows with a trigger.

SQLite has no such guard here: there the hash chain alone shows a change (docs/security-audit.md).
Row triggers do not fire on TRUNCATE: in production revoke TRUNCATE from the application's role.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION access_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit is append-only: % of audit row % refused', TG_OP, OLD.seq
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_auditevent_append_only
    BEFORE UPDATE OR DELETE ON access_auditevent
    FOR EACH ROW EXECUTE FUNCTION access_auditevent_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS access_auditevent_append_only ON access_auditevent;
DROP FUNCTION IF EXISTS access_auditevent_refuse_change();
"""


def _run(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("access", "0004_audit_chain_and_break_glass")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
