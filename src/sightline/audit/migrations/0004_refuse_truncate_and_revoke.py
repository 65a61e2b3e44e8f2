"""On PostgreSQL: refuse TRUNCATE of the audit, and take UPDATE, DELETE and TRUNCATE of it
from every role but its owner.

``access`` migration 0005 refuses UPDATE and DELETE of rows with a row trigger; row triggers
do not fire on TRUNCATE, which emptied the audit in the security test. A statement trigger
now refuses it too, whoever runs it.

One exception keeps the test suite running: pytest-django empties every table between
transactional tests with ``TRUNCATE``. The trigger lets a TRUNCATE through only when all of
these hold: the session set ``sightline.audit_truncate`` to ``allow-in-tests`` (the test
suite's connections do, ``tests/conftest.py``), the database's name starts with ``test_``
(Django's test databases), and the role running it owns the table or is a superuser, who
could drop the trigger anyway. So it grants nothing a production role does not already have.

The privileges: the application should connect as a role that does not own the tables
(docs/operations.md gives the SQL). This migration revokes UPDATE, DELETE and TRUNCATE of the
audit table from every role that holds them other than the owner (and from PUBLIC), so that a
deployment that granted "everything on all tables" to its application role is split here.
SQLite has neither triggers of this kind nor roles here: the keyed chain and the checkpoints
show a change there (a DELETE trigger would also stop Django's flush, which has no TRUNCATE
to tell apart).
"""

from django.db import migrations

from sightline.core.migration_operations import postgresql_only

FORWARD = r"""
CREATE OR REPLACE FUNCTION access_auditevent_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('sightline.audit_truncate', true) = 'allow-in-tests'
       AND current_database() LIKE 'test\_%'
       AND pg_has_role((SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'The audit is append-only: TRUNCATE of the audit refused'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS access_auditevent_no_truncate ON access_auditevent;
CREATE TRIGGER access_auditevent_no_truncate
    BEFORE TRUNCATE ON access_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION access_auditevent_refuse_truncate();
DO $$
DECLARE
    grantee oid;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = 'access_auditevent'::regclass
          AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
          AND a.grantee <> c.relowner
    LOOP
        IF grantee = 0 THEN
            EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON access_auditevent FROM PUBLIC';
        ELSE
            EXECUTE format(
                'REVOKE UPDATE, DELETE, TRUNCATE ON access_auditevent FROM %I',
                (SELECT rolname FROM pg_roles WHERE oid = grantee)
            );
        END IF;
    END LOOP;
END;
$$;
"""

# The privileges taken are not given back: which roles held them is not known any more.
BACKWARD = """
DROP TRIGGER IF EXISTS access_auditevent_no_truncate ON access_auditevent;
DROP FUNCTION IF EXISTS access_auditevent_refuse_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_chain")]

    operations = [postgresql_only(FORWARD, BACKWARD)]
