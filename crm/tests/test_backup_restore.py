"""deploy/backup/keshi-backup and keshi-restore against the real PostgreSQL, as the nightly timer runs them.

pg_dump sees only committed rows: the test of the seeded archive is transactional; the others dump
the test database as the migrations left it, which is quicker. pg_dump and pg_restore
come from postgresql-client; without them, or without PostgreSQL, these tests are skipped, unless
KESHI_REQUIRE_SERVICES=1 (CI) makes that a failure.
"""

import io
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from guests.models import Guest
from staff.roles import sync_role_groups
from visits.models import Visit

pytestmark = pytest.mark.django_db

SCRIPTS = Path(__file__).resolve().parents[2] / "deploy" / "backup"
BACKUP = SCRIPTS / "keshi-backup"
RESTORE = SCRIPTS / "keshi-restore"
CHECKSUMMED = ("guests_guest", "visits_visit")
GUESTS = 25


@pytest.fixture
def postgresql():
    reason = None
    if connection.vendor != "postgresql":
        reason = "DATABASE_URL does not point at PostgreSQL"
    elif missing := [tool for tool in ("psql", "pg_dump", "pg_restore") if not shutil.which(tool)]:
        reason = f"{', '.join(missing)} not found (install postgresql-client)"
    if reason:
        if os.environ.get("KESHI_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (KESHI_REQUIRE_SERVICES=1, so this is a failure)", pytrace=False)
        pytest.skip(reason)


def _url(name: str, port=None) -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    user = quote(db["USER"], safe="")
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}/{name}"


def _connect(name: str):
    db = connection.settings_dict
    return psycopg2.connect(
        dbname=name, user=db["USER"], password=db["PASSWORD"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )


@pytest.fixture
def restore_target(postgresql):
    """The name of a database that does not exist yet, dropped again after the test."""
    name = f"{connection.settings_dict['NAME']}_restore"

    def drop():
        server = _connect("postgres")
        server.autocommit = True
        with server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()

    drop()
    yield name
    drop()


def run(script: Path, *args, **env) -> subprocess.CompletedProcess:
    environment = dict(os.environ, DATABASE_URL=_url(connection.settings_dict["NAME"]))
    environment |= {key: str(value) for key, value in env.items()}
    environment.pop("PGDATABASE", None)
    return subprocess.run([str(script), *map(str, args)], env=environment, capture_output=True, text=True, timeout=60)


def snapshot(name: str) -> dict:
    """Row counts of every table, the last value of every sequence and a checksum of guests and visits."""
    figures = {}
    with _connect(name) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            figures[table] = cursor.fetchone()[0]
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        figures |= {f"sequence {sequence}": value for sequence, value in cursor.fetchall()}
        for table in CHECKSUMMED:
            cursor.execute(f"SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM {table} t")
            figures[f"md5 {table}"] = cursor.fetchone()[0]
    db.close()
    return figures


@pytest.fixture
def archive(postgresql):
    """A few hundred rows of demo data, committed: guests with Chinese names and taboos, their visits,
    complaints, follow-ups and a review."""
    sync_role_groups(apps)  # a transactional test before this one flushed the groups the migration made
    call_command("seed_demo", guests=GUESTS, stdout=io.StringIO())
    assert Guest.objects.exclude(taboos="").exists() and Visit.objects.exists()
    return snapshot(connection.settings_dict["NAME"])


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_new_database_has_the_same_rows_and_checksums(archive, restore_target, tmp_path):
    media = tmp_path / "media"
    (media / "imports").mkdir(parents=True)
    (media / "imports" / "张伟的客户信息卡.xlsx").write_bytes(b"PK\x03\x04 card bytes")
    started = time.monotonic()

    backup = run(BACKUP, "--dir", tmp_path / "backups", DJANGO_MEDIA_ROOT=media)

    assert backup.returncode == 0, backup.stderr
    dump, media_archive = map(Path, backup.stdout.split())
    assert dump.name.startswith("keshi-") and dump.suffix == ".dump"
    assert media_archive.name.startswith("keshi-media-") and media_archive.name.endswith(".tar.gz")
    assert oct(dump.stat().st_mode & 0o777) == "0o600", "a dump holds every guest's personal data"
    # The media root of an installation still in use: refused, and nothing made or changed.
    refused = run(RESTORE, "--create", "--media", media_archive, "--media-root", media, dump, restore_target)
    assert refused.returncode == 3 and "refusing to unpack" in refused.stderr and "--force" in refused.stderr
    assert not _exists(restore_target)
    restored_media = tmp_path / "restored-media"

    restore = run(RESTORE, "--create", "--media", media_archive, "--media-root", restored_media, dump, restore_target)

    assert restore.returncode == 0, restore.stderr
    assert snapshot(restore_target) == archive
    rows = sum(count for key, count in archive.items() if " " not in key)
    assert archive["guests_guest"] == GUESTS and archive["md5 guests_guest"] and rows > 300
    assert (restored_media / "imports" / "张伟的客户信息卡.xlsx").read_bytes() == b"PK\x03\x04 card bytes"
    print(f"backup and restore of {rows} rows: {time.monotonic() - started:.1f} s")


def test_a_restore_refuses_a_database_that_holds_tables_unless_forced(postgresql, restore_target, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "a.txt").write_text("from the backup")
    dump, media_archive = run(BACKUP, "--dir", tmp_path / "backups", DJANGO_MEDIA_ROOT=media).stdout.split()
    backed_up = snapshot(connection.settings_dict["NAME"])
    # Somebody's data where the restore is aimed: a table the dump also has, and a file.
    server = _connect("postgres")
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{restore_target}"')
    server.close()
    with _connect(restore_target) as db, db.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE guests_tag (id int PRIMARY KEY, name text); INSERT INTO guests_tag VALUES (1, '别人的')"
        )
    db.close()
    (media / "a.txt").write_text("written since")

    refused = run(RESTORE, dump, restore_target)

    assert refused.returncode == 3
    assert "refusing to restore over" in refused.stderr and "not empty" in refused.stderr
    assert "--force" in refused.stderr
    with _connect(restore_target) as db, db.cursor() as cursor:
        cursor.execute("SELECT name FROM guests_tag")
        assert cursor.fetchall() == [("别人的",)]
    db.close()
    assert (media / "a.txt").read_text() == "written since"

    forced = run(RESTORE, "--force", "--media", media_archive, "--media-root", media, dump, restore_target)

    assert forced.returncode == 0, forced.stderr
    assert snapshot(restore_target) == backed_up
    assert (media / "a.txt").read_text() == "from the backup"


def _backups(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.startswith("keshi-"))


def test_a_backup_of_an_unreachable_database_fails_and_leaves_no_file(postgresql, tmp_path):
    unreachable = _url(connection.settings_dict["NAME"], port=1)

    backup = run(BACKUP, "--dir", tmp_path, "--no-media", DATABASE_URL=unreachable)

    assert backup.returncode != 0
    assert "cannot connect" in backup.stderr
    assert _backups(tmp_path) == []


def test_a_dump_that_dies_half_way_leaves_no_file_under_the_final_name(postgresql, tmp_path):
    # pg_dump killed after writing part of the file (a full disk, a restarted server).
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text(
        '#!/bin/sh\nfor a; do case $a in --file=*) printf "PGDMP half" > "${a#--file=}";; esac; done\nexit 1\n'
    )
    fake.chmod(0o755)
    backups = tmp_path / "backups"
    backups.mkdir()
    (backups / "keshi-yesterday.dump").write_bytes(b"yesterday's complete dump")

    backup = run(BACKUP, "--dir", backups, "--no-media", PATH=f"{fake.parent}:{os.environ['PATH']}")

    assert backup.returncode != 0
    assert "pg_dump failed" in backup.stderr
    assert _backups(backups) == ["keshi-yesterday.dump"]
    assert (backups / "keshi-yesterday.dump").read_bytes() == b"yesterday's complete dump"


def test_a_backup_keeps_the_last_days_and_removes_older_ones(postgresql, tmp_path):
    day = 24 * 3600
    for name, age_days in [("keshi-old.dump", 15), ("keshi-media-old.tar.gz", 15), ("keshi-recent.dump", 13),
                           ("keshi-crashed.dump.partial", 2), ("notes.txt", 30)]:  # fmt: skip
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (time.time() - age_days * day,) * 2)

    backup = run(BACKUP, "--dir", tmp_path, "--keep-days", "14", "--no-media")

    assert backup.returncode == 0, backup.stderr
    tonight = Path(backup.stdout.strip()).name
    assert _backups(tmp_path) == sorted(["keshi-recent.dump", tonight])
    assert (tmp_path / "notes.txt").exists(), "only the backups' own files are removed"


def test_a_restore_of_a_truncated_dump_touches_nothing(postgresql, restore_target, tmp_path):
    dump = Path(run(BACKUP, "--dir", tmp_path, "--no-media").stdout.strip())
    truncated = tmp_path / "truncated.dump"
    truncated.write_bytes(dump.read_bytes()[:200])

    restore = run(RESTORE, "--create", truncated, restore_target)

    assert restore.returncode != 0 and "nothing was restored" in restore.stderr
    assert not _exists(restore_target)


def _exists(database: str) -> bool:
    with _connect("postgres") as server, server.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [database])
        found = cursor.fetchone()[0] == 1
    server.close()
    return found


def _unit(path: Path) -> dict[str, list[str]]:
    settings = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_the_nightly_unit_runs_the_script_with_the_services_environment_file():
    service, timer = _unit(SCRIPTS / "keshi-backup.service"), _unit(SCRIPTS / "keshi-backup.timer")
    web = _unit(SCRIPTS.parent / "systemd" / "keshi-web.service")
    app = Path(web["WorkingDirectory"][0])

    (script,) = service["ExecStart"]
    assert script == str(app / BACKUP.relative_to(SCRIPTS.parents[1])) and os.access(BACKUP, os.X_OK)
    assert service["EnvironmentFile"] == web["EnvironmentFile"] and service["User"] == web["User"]
    assert service["Type"] == ["oneshot"] and "Unit" not in timer  # the timer starts keshi-backup.service
    assert timer["Persistent"] == ["true"] and timer["OnCalendar"]
