"""Step 3 of 3 (ADR 0009): the outbox forgets the placement. Every notice now has a subject
and an idempotency key (0006), so they become required, and the key replaces the
once-per-placement constraint."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("children", "0002_names_optional_for_903_imports"),
        ("notifications", "0006_notices_to_subjects"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="notice",
            name="notice_once_per_placement_kind_recipient",
        ),
        migrations.RemoveField(
            model_name="notice",
            name="placement",
        ),
        migrations.AlterField(
            model_name="notice",
            name="subject_id",
            field=models.UUIDField(),
        ),
        migrations.AlterField(
            model_name="notice",
            name="idempotency_key",
            field=models.CharField(
                help_text="Built by the domain; a second notice_create with the same key "
                "returns the first.",
                max_length=200,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="notice",
            name="kind",
            field=models.CharField(help_text="A string the owning domain defines.", max_length=30),
        ),
        migrations.AlterField(
            model_name="contactpoint",
            name="kind",
            field=models.CharField(
                help_text="A kind of notice, as its domain names it.", max_length=30
            ),
        ),
        migrations.AlterField(
            model_name="notice",
            name="child",
            field=models.ForeignKey(
                blank=True,
                help_text="The child the notice concerns, if any: for the inbox and the access "
                "policy.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notices",
                to="children.child",
            ),
        ),
        migrations.AlterField(
            model_name="notice",
            name="child_name",
            field=models.CharField(
                blank=True, help_text="First name and surname initial.", max_length=120
            ),
        ),
        migrations.AlterField(
            model_name="notice",
            name="setting_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="notice",
            name="setting_postcode",
            field=models.CharField(blank=True, max_length=8),
        ),
        migrations.AlterField(
            model_name="notice",
            name="area_name",
            field=models.CharField(
                blank=True, help_text="The host council's area.", max_length=100
            ),
        ),
        migrations.AlterField(
            model_name="notice",
            name="placing_council_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddIndex(
            model_name="notice",
            index=models.Index(
                fields=["subject_type", "subject_id"], name="notificatio_subject_37bd8d_idx"
            ),
        ),
    ]
