from django.db import migrations

from staff.roles import sync_role_groups


class Migration(migrations.Migration):
    """Admins manage the API clients (staff.roles); after every app's models, so no role loses a permission."""

    dependencies = [
        ("staff", "0013_api_clients"),
        ("guests", "0009_relatedperson_phone_tail"),
        ("visits", "0005_visit_guest_history_covering_idx"),
        ("bookings", "0002_role_permissions"),
        ("followups", "0004_satisfaction_check"),
        ("reports", "0004_review_sends_and_start"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
