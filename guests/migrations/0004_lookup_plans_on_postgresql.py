"""Lookups on PostgreSQL: a covering rank index and finer statistics for the search columns.

Measured on 1,000,000 guests (bench/lookup.py): for keys of middling frequency
(程局, hmx) the planner walked the rank index and fetched a table row per entry
(400-1900 ms). With the searched columns included in the rank index it filters
inside the index, and finer statistics let it choose the small bitmap plan for
rare keys. Django's Index(include=...) would warn on SQLite, so this is SQL run on
PostgreSQL only; the model keeps declaring the same index name and key columns.
"""

from django.db import migrations

COLUMNS = ("name", "surname", "honorific", "company", "name_pinyin", "name_initials")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statistics = ", ".join(f"ALTER COLUMN {c} SET STATISTICS 1000" for c in COLUMNS)
    schema_editor.execute(f"ALTER TABLE guests_guest {statistics}")
    schema_editor.execute("DROP INDEX IF EXISTS guest_rank_idx")
    schema_editor.execute(
        "CREATE INDEX guest_rank_idx ON guests_guest (tier, last_seen_at DESC, id DESC) "
        f"INCLUDE ({', '.join(COLUMNS)})"
    )
    schema_editor.execute("ANALYZE guests_guest")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statistics = ", ".join(f"ALTER COLUMN {c} SET STATISTICS -1" for c in COLUMNS)
    schema_editor.execute(f"ALTER TABLE guests_guest {statistics}")
    schema_editor.execute("DROP INDEX IF EXISTS guest_rank_idx")
    schema_editor.execute("CREATE INDEX guest_rank_idx ON guests_guest (tier, last_seen_at DESC, id DESC)")


class Migration(migrations.Migration):
    dependencies = [("guests", "0003_card_sequence_row")]

    operations = [migrations.RunPython(forwards, backwards)]
