"""On PostgreSQL, a new delivery wakes the worker (ADR 66): every statement that inserts into
the outbox NOTIFYs ``sightline_worker`` (``core.registry.WAKE_CHANNEL``), which PostgreSQL
sends when the transaction commits, and never when it rolls back. Idle workers LISTEN on it,
so they need not poll every second to send a missing child's alert within one. Nothing on
SQLite: its workers poll as before."""

from django.db import migrations

from sightline.core.migration_operations import postgresql_only

FORWARD = """
CREATE FUNCTION notifications_delivery_wake_worker() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sightline_worker', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER notifications_delivery_wake_worker
    AFTER INSERT ON notifications_delivery
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_delivery_wake_worker();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS notifications_delivery_wake_worker ON notifications_delivery;
DROP FUNCTION IF EXISTS notifications_delivery_wake_worker();
"""


class Migration(migrations.Migration):
    dependencies = [("notifications", "0016_fk_indexes_led_by_composites")]

    operations = [postgresql_only(FORWARD, BACKWARD)]
