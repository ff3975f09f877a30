"""Behind PgBouncer in transaction mode (KESHI_PGBOUNCER): no server-side cursor, which would have to
outlive its transaction on one server connection. .ci/pgbouncer runs the lookups, visits, the card import
and a real worker through a PgBouncer; these pin the setting and what it changes."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guests.cards.export import write_register
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db


def settings_value(expression: str, **environ) -> str:
    code = f"from crm.settings import production as s; print({expression})"
    env = dict(os.environ, DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="keshi.example", DJANGO_STATIC_ROOT="/tmp/s",
               DJANGO_MEDIA_ROOT="/tmp/m", KESHI_LOCALE_ROOT="/tmp/l", CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
               DATABASE_URL="postgres://keshi@db.internal:6432/keshi", **environ)  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_behind_pgbouncer_the_settings_turn_server_side_cursors_off_on_both_databases():
    pooled = {"KESHI_PGBOUNCER": "true", "DATABASE_REPLICA_URL": "postgres://keshi@replica.internal:6432/keshi"}
    assert settings_value("s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS']", **pooled) == "True"
    assert settings_value("s.DATABASES['replica']['DISABLE_SERVER_SIDE_CURSORS']", **pooled) == "True"
    assert settings_value("s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS']", KESHI_PGBOUNCER="false") == "False"


def test_the_register_streams_the_archive_without_a_server_side_cursor_when_pooled(monkeypatch):
    guests = GuestFactory.create_batch(3)
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    with CaptureQueriesContext(connection) as queries:
        count = write_register(io.BytesIO(), confidential=False)
    assert count == len(guests)
    assert not [q for q in queries.captured_queries if "DECLARE" in q["sql"].upper()]


def test_this_run_reads_the_pooler_when_it_says_so():
    """In .ci/pgbouncer's run DATABASE_URL names PgBouncer's port and the setting is on."""
    if os.environ.get("KESHI_PGBOUNCER") != "true":
        assert not settings.KESHI_PGBOUNCER
        return
    assert settings.KESHI_PGBOUNCER and connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"]
    assert str(connection.settings_dict["PORT"]) == os.environ["KESHI_PGBOUNCER_PORT"]
