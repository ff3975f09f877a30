"""On PostgreSQL the tables whose index-only scans the lookup and the reports rely on are vacuumed
after a small share of their rows change, not PostgreSQL's default 20 %."""

from django.db import connection


def reloptions(table: str) -> dict[str, float]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        options = cursor.fetchone()[0] or []
    return {name: float(value) for name, value in (option.split("=") for option in options)}


def test_the_guests_their_keys_and_the_visits_are_vacuumed_long_before_a_fifth_of_them_changes(postgresql, db):
    assert reloptions("guests_guest")["autovacuum_vacuum_scale_factor"] <= 0.02
    assert reloptions("guests_guestsearchkey")["autovacuum_vacuum_scale_factor"] <= 0.01
    assert reloptions("visits_visit")["autovacuum_vacuum_insert_scale_factor"] <= 0.005
