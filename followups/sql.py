"""INSERT … SELECT … ON CONFLICT DO NOTHING from a Django queryset.

The rules and the greeting selection write one row per guest of a set that the
database picks; doing it in one statement keeps a run over a million guests to
seconds, and ON CONFLICT DO NOTHING against a unique constraint is what makes a
second (or concurrent) run add nothing. PostgreSQL and SQLite both accept it; the
SELECT always has a WHERE, which SQLite needs to tell the upsert from a join's ON.
"""

from django.db import connection


def insert_select(model, queryset, columns: dict) -> int:
    """Insert into model's table one row per row of queryset, columns being
    {column name: expression}; returns how many rows were new."""
    aliases = {f"ins_{name}": expression for name, expression in columns.items()}
    rows = queryset.order_by().annotate(**aliases).values(*aliases)
    sql, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) {sql} ON CONFLICT DO NOTHING", params)
        return max(cursor.rowcount, 0)
