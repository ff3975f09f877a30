"""Load a synthetic guest archive into PostgreSQL with COPY, fast enough for a million rows.

Rows come from guests.demo.GuestFaker and get their search keys exactly as
guests.services.archive._refresh_search_keys computes them. The generation runs in worker
processes, one chunk of rows each, while this process streams the finished chunks
into COPY; the secondary indexes are dropped for the load and rebuilt from their own
definitions afterwards, which is several times faster than maintaining them row by row.
"""

import datetime
import io
import multiprocessing
import os
import random
import time

from guests import searchkeys
from guests.demo import GuestFaker
from guests.pinyin import search_keys, split_name
from guests.validators import normalise_mobile

CHUNK = 50_000
YEARS = 3
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
CONFIDENTIAL_NOTE = "与某领导关系密切，安排座位需注意。"
# search_keys per distinct (name, surname), kept for the life of a worker process.
_KEYS: dict[tuple[str, str], tuple[str, str]] = {}

# The columns the generator fills; every other column gets the model field's default.
GENERATED = (
    "id", "card_no", "tier", "name", "surname", "honorific", "gender", "mobile", "company", "title", "org_type",
    "favourite_dishes", "favourite_drinks", "taboos", "allergies", "seating", "taste", "region",
    "birth_month", "birth_day", "birthday_lunar", "greeting_consent", "consent_recorded_at", "confidential_notes",
    "name_pinyin", "name_initials", "mobile_tail", "last_visit_at", "last_seen_at", "created_at", "updated_at",
)  # fmt: skip


def encode(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).translate(COPY_ESCAPES)


def copy_columns(model) -> tuple[list[str], list[str | None]]:
    """The table's columns in order, with the encoded constant for those not generated."""
    columns, constants = [], []
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        constants.append(None if field.attname in GENERATED else encode(field.get_default()))
    return columns, constants


def _chunk(job: tuple) -> tuple[int, str]:
    """Rows first_id .. first_id + count - 1 as COPY text; deterministic for (seed, chunk)."""
    seed, index, first_id, count, now_ts, columns, constants = job
    faker = GuestFaker(seed=seed * 1_000_003 + index)
    rng = random.Random(seed * 7_919 + index)
    span = YEARS * 365 * 86_400
    utc = datetime.UTC
    null = "\\N"
    lines = []
    for guest_id in range(first_id, first_id + count):
        row = faker.person() | faker.preferences()
        # What guests.services.archive._refresh_search_keys does on every save.
        name = row["name"].strip()
        surname = row["surname"].strip() or split_name(name)[0]
        mobile = normalise_mobile(row["mobile"])
        pinyin = _KEYS.get((name, surname))
        if pinyin is None:
            pinyin = _KEYS[(name, surname)] = search_keys(name, surname)
        created = now_ts - rng.random() * span
        created_at = datetime.datetime.fromtimestamp(created, utc).isoformat()
        if rng.random() < 0.7:
            visit_at = datetime.datetime.fromtimestamp(created + rng.random() * (now_ts - created), utc).isoformat()
        else:
            visit_at = null
        birthday = rng.random() < 0.4
        consent = rng.random() < 0.6
        values = {key: value.translate(COPY_ESCAPES) for key, value in row.items()}
        values |= {
            "id": str(guest_id),
            "card_no": f"KS{guest_id:06d}",
            "name": name.translate(COPY_ESCAPES),
            "surname": surname.translate(COPY_ESCAPES),
            "mobile": mobile,
            "name_pinyin": pinyin[0],
            "name_initials": pinyin[1],
            "mobile_tail": mobile[-4:] if len(mobile) >= 4 else "",
            "birth_month": str(rng.randint(1, 12)) if birthday else null,
            "birth_day": str(rng.randint(1, 28)) if birthday else null,
            "birthday_lunar": "t" if birthday and rng.random() < 0.3 else "f",
            "greeting_consent": "t" if consent else "f",
            "consent_recorded_at": created_at if consent else null,
            "confidential_notes": CONFIDENTIAL_NOTE if guest_id % 10 == 0 else "",
            "created_at": created_at,
            "last_visit_at": visit_at,
            "last_seen_at": created_at if visit_at is null else visit_at,
            "updated_at": created_at if visit_at is null else visit_at,
        }
        lines.append("\t".join([values[c] if k is None else k for c, k in zip(columns, constants, strict=True)]))
    lines.append("")
    return count, "\n".join(lines)


def _secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes no constraint owns."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef
          FROM pg_indexes i
         WHERE i.schemaname = current_schema() AND i.tablename = %s
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [table],
    )
    return cursor.fetchall()


def seed(*, connection, count: int, seed: int = 2026, log=print) -> None:
    """Truncate the guest archive and load `count` synthetic guests."""
    from django.db import transaction

    from guests.models import CardSequence, Guest

    table = Guest._meta.db_table
    columns, constants = copy_columns(Guest)
    now_ts = time.time()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        indexes = _secondary_indexes(cursor, table)
    # Fork the generators before this process holds an open connection.
    connection.close()
    jobs = []
    for index, first in enumerate(range(1, count + 1, CHUNK)):
        jobs.append((seed, index, first, min(CHUNK, count + 1 - first), now_ts, columns, constants))
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    quoted = ", ".join(f'"{column}"' for column in columns)
    copy_sql = f'COPY "{table}" ({quoted}) FROM STDIN'
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        chunks = pool.imap(_chunk, jobs)
        # One transaction: a failed load leaves the previous archive and its indexes intact.
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg2 cursor, for copy_expert
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # Check the (all empty) foreign keys per COPY rather than queueing them to
            # commit, which would also forbid the CREATE INDEX below.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # No row triggers for the load: the search keys are made in one statement after it.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(f'TRUNCATE "{table}" RESTART IDENTITY CASCADE')
            for name, _sql in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            loaded = 0
            for rows, text in chunks:
                raw.copy_expert(copy_sql, io.StringIO(text))
                loaded += rows
                log(f"  copied {loaded:,}/{count:,} guests ({time.perf_counter() - started:.0f} s)")
            for name, sql in indexes:
                log(f"  rebuilding {name}")
                cursor.execute(sql)
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(%s, 1), %s)", [table, count, count > 0]
            )
            # card_no_next() continues after the highest number handed out.
            CardSequence.objects.using(connection.alias).update_or_create(name="card", defaults={"value": count})
            cursor.execute("SET LOCAL session_replication_role = origin")
            keys_started = time.perf_counter()
            keys = searchkeys.rebuild(cursor)
            log(f"  made {keys:,} search keys ({time.perf_counter() - keys_started:.0f} s)")
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{table}"')
    log(f"Seeded {count:,} guests in {time.perf_counter() - started:.0f} s.")
