from django.db import migrations

from staff.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0003_room"),
        ("staff", "0002_role_groups"),
        ("visits", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
