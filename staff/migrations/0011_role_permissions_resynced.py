from django.db import migrations

from staff.roles import sync_role_groups


class Migration(migrations.Migration):
    """The role groups as staff.roles describes them now: confidential notes for managers only."""

    dependencies = [("staff", "0010_form_submission_and_audit_actions")]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
