from django.db import migrations

from staff.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0005_role_permissions_for_complaints"),
        ("followups", "0002_holidays_templates_settings"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
