"""The roles get the bookings' permissions (staff.roles): the desk books, waiters seat and complete."""

from django.db import migrations

from staff.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0001_initial"),
        ("staff", "0012_audit_account_unlocked"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
