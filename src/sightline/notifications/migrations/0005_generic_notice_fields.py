"""Step 1 of 3 (ADR 0009): the generic notice's columns, empty or nullable until the data
migration (0006) fills them from the placement, the episode link and the old kinds."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_break_glass_notice"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="kind_label",
            field=models.CharField(
                default="", help_text='What people call it: "Placement notice".', max_length=60
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notice",
            name="subject_type",
            field=models.CharField(
                default="",
                help_text='What the notice is about, as "app.model": "placements.placement".',
                max_length=40,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notice",
            name="subject_id",
            field=models.UUIDField(null=True),
        ),
        migrations.AddField(
            model_name="notice",
            name="idempotency_key",
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.AddField(
            model_name="notice",
            name="chase_acknowledgement",
            field=models.BooleanField(
                default=True,
                help_text="False for notices that tell agencies to stand down: not escalated "
                "when unacknowledged.",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="subject_line",
            field=models.CharField(
                default="", help_text="The e-mail subject line.", max_length=300
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notice",
            name="date_label",
            field=models.CharField(
                default="", help_text='"Placed from", "Last seen"...', max_length=40
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notice",
            name="subject_path",
            field=models.CharField(
                blank=True,
                help_text="A URL path to the subject's own page, if it has one.",
                max_length=200,
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="subject_link_text",
            field=models.CharField(blank=True, max_length=120),
        ),
    ]
