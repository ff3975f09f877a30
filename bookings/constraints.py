"""No room holds two active bookings at once: an exclusion constraint on PostgreSQL.

The constraint compares the periods as `tstzrange(starts_at, ends_at)` built from two plain
datetime columns, rather than a DateTimeRangeField column: a range column exists only on
PostgreSQL, and the embedded default (SQLite) must create the same tables from the same
migrations. On any other database the constraint writes no SQL and validates nothing, the
way Django's own constraints step aside where a backend cannot enforce them (a UniqueConstraint
with a condition on MySQL); there the booking services serialise the check themselves
(bookings.services, `_rooms_claim`).
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func


class TsTzRange(Func):
    """tstzrange(start, end): half-open, '[)', so a lunch ending at 14:00 and the next from 14:00 do not meet."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An ExclusionConstraint that exists on PostgreSQL and is left out on other databases."""

    @staticmethod
    def _enforced(connection) -> bool:
        return connection.vendor == "postgresql"

    def constraint_sql(self, model, schema_editor):
        return super().constraint_sql(model, schema_editor) if self._enforced(schema_editor.connection) else None

    def create_sql(self, model, schema_editor):
        return super().create_sql(model, schema_editor) if self._enforced(schema_editor.connection) else None

    def remove_sql(self, model, schema_editor):
        return super().remove_sql(model, schema_editor) if self._enforced(schema_editor.connection) else None

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if self._enforced(connections[using]):
            super().validate(model, instance, exclude=exclude, using=using)
