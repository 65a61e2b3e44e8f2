"""The keyed chain: rows written from now on are version 3, HMAC-SHA-256 with the audit key
whose id they record in ``key_id`` (``sightline.audit.canonical``, ADR 18).

Existing rows keep their version (1 or 2) and an empty ``key_id``, and verify as before. On
PostgreSQL a column added with a constant default rewrites no row, so the append-only trigger
(it guards UPDATE and DELETE of rows, not ALTER TABLE) does not fire.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_verb_payload_version")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(
                blank=True,
                default="",
                help_text="Version 3: the id of the audit key that sealed the row; empty before.",
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="version",
            field=models.PositiveSmallIntegerField(
                help_text=(
                    "Which canonical form the hash covers (1: before verbs; 2: verb, payload; "
                    "3: keyed, HMAC)."
                )
            ),
        ),
    ]
