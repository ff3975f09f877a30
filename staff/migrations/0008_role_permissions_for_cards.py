from django.db import migrations

from staff.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0007_role_permissions_for_reports"),
        ("guests", "0005_card_transfer"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
