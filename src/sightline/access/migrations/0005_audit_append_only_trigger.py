"""On PostgreSQL, refuse UPDATE and DELETE of audit rows with a trigger.

SQLite has no such guard here: there the hash chain alone shows a change (docs/security-audit.md).
Row triggers do not fire on TRUNCATE: in production revoke TRUNCATE from the application's role.
"""

from django.db import migrations

from sightline.core.migration_operations import postgresql_only

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


class Migration(migrations.Migration):
    dependencies = [("access", "0004_audit_chain_and_break_glass")]

    operations = [postgresql_only(FORWARD, BACKWARD)]
