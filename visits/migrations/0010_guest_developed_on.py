"""Each guest's developed month, computed once from the visits already logged (visits/development.py);
the visit services keep it from now on."""

from django.db import migrations


def compute(apps, schema_editor):
    from visits.development import developed_rebuild

    developed_rebuild(visit_model=apps.get_model("visits", "Visit"), guest_model=apps.get_model("guests", "Guest"))


class Migration(migrations.Migration):
    dependencies = [
        ("guests", "0012_guest_developed_on"),
        ("visits", "0009_visit_served_by_idx"),
    ]

    operations = [migrations.RunPython(compute, migrations.RunPython.noop, elidable=True)]
