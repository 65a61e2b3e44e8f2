"""Verbs, payloads and the canonical-form version.

Existing rows become version 1 (their hash covers the original field list and nothing new),
with an empty verb and payload; rows written from now on are version 2, whose hash covers the
verb, the payload and the version too (``sightline.audit.canonical``). Adding columns does not
fire the append-only trigger (it guards UPDATE and DELETE of rows, not ALTER TABLE), and on
PostgreSQL a column added with a constant default rewrites no row.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="version",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text=(
                    "Which canonical form the hash covers (1: before verbs; 2: verb, payload)."
                ),
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="verb",
            field=models.CharField(
                blank=True,
                help_text="What was done (AuditVerb); empty on version 1.",
                max_length=40,
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="payload",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="What changed, per the verb's schema (verbs.py).",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                help_text="Version 1: what was done, as free text. Version 2: the verb.",
                max_length=40,
            ),
        ),
    ]
