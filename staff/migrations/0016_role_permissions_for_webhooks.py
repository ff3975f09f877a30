from django.db import migrations

from staff.roles import sync_role_groups


class Migration(migrations.Migration):
    """Admins manage the webhooks of API clients (staff.roles); after the webhooks' models."""

    dependencies = [
        ("staff", "0015_pos_codes"),
        ("webhooks", "0001_initial"),
        ("visits", "0007_pos_bill_adjustments"),
        ("followups", "0007_call_back"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
