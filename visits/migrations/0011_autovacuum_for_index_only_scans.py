"""Autovacuum often enough for the index-only scans the pages rely on (PostgreSQL only).

The lookup's search keys (guestsearchkey_rank_idx), the developed report (guest_created_idx) and the
top spenders (visit_recent_idx) answer from their indexes alone only on pages the visibility map marks
all-visible, which a VACUUM does. PostgreSQL's defaults wait for 20 % of a table to change: at
10,000,000 guests that is 2,000,000 changed guests (40 days of visits touching 50,000 guests a day),
and 20 % of the visits inserted, so the last month's visits, which the live reports read, would never
be marked. These thresholds vacuum the guests and their keys after about 1-2 % of their rows change
and the visits after 0.5 % are added (a day's visits at 10,000,000).
"""

from django.db import migrations

SETTINGS = {
    "guests_guest": "autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02",
    "guests_guestsearchkey": "autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01",
    "visits_visit": "autovacuum_vacuum_insert_scale_factor = 0.005, autovacuum_analyze_scale_factor = 0.02",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, options in SETTINGS.items():
        schema_editor.execute(f"ALTER TABLE {table} SET ({options})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, options in SETTINGS.items():
        names = ", ".join(option.split("=")[0].strip() for option in options.split(","))
        schema_editor.execute(f"ALTER TABLE {table} RESET ({names})")


class Migration(migrations.Migration):
    dependencies = [
        ("guests", "0013_guest_created_index"),
        ("visits", "0010_guest_developed_on"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
