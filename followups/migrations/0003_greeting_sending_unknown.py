"""Greetings claimed and committed as 'sending' before the gateway is called; 'unknown' when no
answer was recorded in time, settled by a manager (who may: the resolve_greeting permission)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from staff.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0002_holidays_templates_settings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="greeting",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [("resolve_greeting", "Can settle a greeting whose outcome is unknown")],
                "verbose_name": "automatic greeting",
                "verbose_name_plural": "automatic greetings",
            },
        ),
        migrations.AddField(
            model_name="greeting",
            name="sending_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="handed to the gateway at"),
        ),
        migrations.AddField(
            model_name="greetingattempt",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="decided by",
            ),
        ),
        migrations.AlterField(
            model_name="greeting",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting to be sent"),
                    ("sending", "Being sent"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("cancelled", "Not sent"),
                    ("unknown", "Outcome unknown"),
                ],
                default="pending",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="greetingattempt",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("skipped", "Not sent"),
                    ("unknown", "Outcome unknown"),
                    ("confirmed", "Confirmed sent by a manager"),
                    ("requeued", "Queued again by a manager"),
                ],
                max_length=10,
                verbose_name="outcome",
            ),
        ),
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
