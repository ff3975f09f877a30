from django.db import migrations

from staff.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0006_role_permissions_for_followups"),
        ("reports", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
