from django.db import migrations

from staff.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0004_role_permissions_for_visits"),
        ("visits", "0002_complaint_complaintevent_and_more"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
