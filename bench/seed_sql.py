"""Generate the synthetic guest archive inside PostgreSQL, fast enough for ten million rows.

    .venv/bin/python bench/seed_sql.py [--guests 10000000] [--database-url postgres://.../keshi_bench_10m]

bench/seed.py makes each row in Python (guests.demo.GuestFaker), about 90 s per million guests on
two cores; here every row is an INSERT ... SELECT over generate_series, a chunk of ids per statement,
on two connections at once. The rows follow GuestFaker's and bench/seed.py's distributions: the same
surname pool and weights, given names of one or two characters from the pools of their gender,
honorific = surname + title, companies and institutions from the same pools, tiers 8/27/65, the same
preferences, dates over three years and the same share of confidential notes. Every random choice is
a hash of (seed, id, column) (hashint8extended), never random(), so the same (count, seed, now) give
the same rows whichever connection makes which chunk. Mobiles are a permutation of the ids (an
affine map modulo 7 * 10^9), so they are unique; card numbers are KS + the zero-padded id.

The search keys are not computed in SQL: the pinyin of each surname and of each given name in the
pools is computed once by guests.pinyin.search_keys and loaded as a small table, and name_pinyin /
name_initials are their concatenation, which is exactly what search_keys gives for the whole name.
"""

import argparse
import datetime
import itertools
import math
import os
import queue
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.seed import CONFIDENTIAL_NOTE, GENERATED, YEARS, _secondary_indexes, copy_columns  # noqa: E402
from guests import demo  # noqa: E402
from guests.pinyin import search_keys  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/keshi_bench_10m"
CHUNK = 1_000_000
WORKERS = 2
SEARCH_KEY_TABLE = "guests_guestsearchkey"
# Mobiles are "1" + one of 3..9 + nine digits: 7 * 10^9 numbers; x -> (a * x + b) mod 7 * 10^9 with a coprime to
# it is a permutation of them.
MOBILES = 7 * 10**9
# The reference surname whose reading is taken off search_keys(surname + given) to leave the given name's.
PLAIN_SURNAME = ("王", "wang", "w")
# Each connection sorts for its own index builds; two of them at once fit this machine's memory.
MAINTENANCE_WORK_MEM = "1GB"


# --------------------------------------------------------------------------- the pools, with their pinyin


def surname_rows() -> list[tuple[int, str, str, str]]:
    """(slot, surname, pinyin, initials): one slot per unit of weight, as GuestFaker's pool."""
    keys = {surname: search_keys(surname, surname) for surname, _weight in demo.SURNAMES}
    return [(slot, surname, *keys[surname]) for slot, surname in enumerate(demo._SURNAME_POOL)]


def _given_keys(given: str) -> tuple[str, str]:
    """The given name's part of the search keys: search_keys reads surname and given name apart."""
    surname, pinyin, initials = PLAIN_SURNAME
    full, first = search_keys(surname + given, surname)
    assert full.startswith(pinyin) and first.startswith(initials), (given, full, first)
    return full[len(pinyin) :], first[len(initials) :]


def given_rows() -> list[tuple[bool, int, str, str, str]]:
    """(female, slot, given name, pinyin, initials): slot c for one character, n + c1 * n + c2 for two.

    Two characters are read together, not char by char, because pypinyin reads a pair that is a word
    (长江, 重庆) as the word."""
    rows = []
    for female, chars in ((False, demo.GIVEN_CHARS_MALE), (True, demo.GIVEN_CHARS_FEMALE)):
        n = len(chars)
        for c1, first in enumerate(chars):
            rows.append((female, c1, first, *_given_keys(first)))
            for c2, second in enumerate(chars):
                rows.append((female, n + c1 * n + c2, first + second, *_given_keys(first + second)))
    return rows


def sample_rows(pool, most: int) -> tuple[list[str], list[int], list[int]]:
    """GuestFaker's "、".join(rng.sample(pool, rng.randint(0, most))): every ordered sample of k items,
    k = 0..most, in blocks; returns (values, offset of block k, size of block k)."""
    values, offsets, sizes = [], [], []
    for k in range(most + 1):
        block = ["、".join(p) for p in itertools.permutations(pool, k)]
        offsets.append(len(values))
        sizes.append(len(block))
        values += block
    return values, offsets, sizes


def mobile_map(seed: int) -> tuple[int, int]:
    """(a, b) of x = (a * id + b) mod MOBILES, a coprime with MOBILES so that no two ids share a mobile."""
    a = int(MOBILES * 0.6180339887) + seed % 10_007
    while math.gcd(a, MOBILES) != 1:
        a += 1
    return a, (seed * 2_654_435_761) % MOBILES


# --------------------------------------------------------------------------- the statement


def _hash(salt: int) -> str:
    """A non-negative 62-bit hash of (seed, id, column)."""
    return f"(hashint8extended(g.id, {int(salt)}) & 4611686018427387903)"


def _unit(salt: int) -> str:
    """Uniform in [0, 1)."""
    return f"({_hash(salt)} >> 9)::float8 / 9007199254740992.0"


def _text_array(values) -> str:
    """A text[] literal of guests.demo's pools (constants of the code, never input), quoted as SQL strings."""
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _int_array(values) -> str:
    return "ARRAY[" + ", ".join(str(int(v)) for v in values) + "]::int[]"


def _pick(array: str, h: str, n: int) -> str:
    return f"({array})[1 + {h} % {int(n)}]"


# f"KS{id:06d}", as guests.services.archive.card_no_next writes it (lpad alone would cut a seventh digit).
CARD_NO = "'KS' || CASE WHEN {id} < 1000000 THEN lpad({id}::text, 6, '0') ELSE {id}::text END"
# The hashes each row draws: integers (an index into a pool), and uniform numbers in [0, 1).
INTEGERS = ("surname", "one_char", "char1", "char2", "title", "place", "core", "kind", "dishes_k", "dishes",
            "drinks_k", "drinks", "taboos_k", "taboo", "allergy", "seating", "taste", "region", "month", "day")  # fmt: skip
UNITS = ("female", "institution", "tier", "has_taboo", "has_allergy", "has_seating", "has_taste", "birthday",
         "lunar", "consent", "age", "visited", "visit")  # fmt: skip


def insert_sql(model, connection, seed: int) -> str:
    """INSERT ... SELECT of the guests with ids %(first)s .. %(last)s, dates back from %(now)s.

    The innermost SELECT draws every hash once and the next one the dates (OFFSET 0 keeps the
    planner from inlining them into each use); the outer one turns them into columns, joining the
    pools' tables."""
    salt = seed * 1_000
    draws = [f"{_hash(salt + k)} AS {name}" for k, name in enumerate(INTEGERS, start=1)]
    draws += [f"{_unit(salt + k)} AS u_{name}" for k, name in enumerate(UNITS, start=101)]
    a, b = mobile_map(seed)
    mobile_x = f"(({a}::bigint * g.id + {b}) % {MOBILES})"
    draws.append(
        f"'1' || (3 + {mobile_x} / 1000000000)::text || lpad(({mobile_x} % 1000000000)::text, 9, '0') AS mobile"
    )
    span = YEARS * 365 * 86_400

    male_n, female_n = len(demo.GIVEN_CHARS_MALE), len(demo.GIVEN_CHARS_FEMALE)
    n = f"CASE WHEN r.female THEN {female_n} ELSE {male_n} END"
    given_slot = f"CASE WHEN r.one_char % 4 = 0 THEN r.char1 % {n} ELSE {n} + (r.char1 % {n}) * {n} + r.char2 % {n} END"
    male_titles, female_titles = demo.HONORIFIC_TITLES_MALE, demo.HONORIFIC_TITLES_FEMALE
    title_i = f"1 + r.title % CASE WHEN r.female THEN {len(female_titles)} ELSE {len(male_titles)} END"
    title_key = (f"CASE WHEN r.female THEN ({_text_array(female_titles)})[{title_i}] "
                 f"ELSE ({_text_array(male_titles)})[{title_i}] END")  # fmt: skip
    title = (f"CASE WHEN r.female THEN ({_text_array(demo.TITLES[t] for t in female_titles)})[{title_i}] "
             f"ELSE ({_text_array(demo.TITLES[t] for t in male_titles)})[{title_i}] END")  # fmt: skip
    place = _pick(_text_array(demo.COMPANY_PLACES), "r.place", len(demo.COMPANY_PLACES))
    company = (f"{place} || CASE WHEN r.institution "
               f"THEN {_pick(_text_array(demo.INSTITUTIONS), 'r.core', len(demo.INSTITUTIONS))} "
               f"ELSE {_pick(_text_array(demo.COMPANY_CORES), 'r.core', len(demo.COMPANY_CORES))} "
               f"|| {_pick(_text_array(demo.COMPANY_KINDS), 'r.kind', len(demo.COMPANY_KINDS))} END")  # fmt: skip
    _dishes, dish_offsets, dish_sizes = sample_rows(demo.DISHES, 3)
    _drinks, drink_offsets, drink_sizes = sample_rows(demo.DRINKS, 2)

    def sample_slot(k: str, pick: str, offsets, sizes) -> str:
        block = f"1 + r.{k} % {len(sizes)}"
        return f"({_int_array(offsets)})[{block}] + r.{pick} % ({_int_array(sizes)})[{block}]"

    def some(has: str, share: float, pick: str, pool) -> str:
        return f"CASE WHEN r.u_{has} < {share} THEN {_pick(_text_array(pool), 'r.' + pick, len(pool))} ELSE '' END"

    columns = {
        "id": "r.id",
        "card_no": CARD_NO.format(id="r.id"),
        "tier": "CASE WHEN r.u_tier < 0.08 THEN 'A' WHEN r.u_tier < 0.35 THEN 'B' ELSE 'C' END",
        "name": "s.surname || gv.given",
        "surname": "s.surname",
        "honorific": f"s.surname || {title_key}",
        "gender": "CASE WHEN r.female THEN 'F' ELSE 'M' END",
        "mobile": "r.mobile",
        "company": company,
        "title": title,
        "org_type": "CASE WHEN r.institution THEN 'government' ELSE 'company' END",
        "favourite_dishes": "dishes.value",
        "favourite_drinks": "drinks.value",
        # some(TABOOS, 1) for 30 %: none or one.
        "taboos": (
            f"CASE WHEN r.u_has_taboo < 0.3 AND r.taboos_k % 2 = 1 "
            f"THEN {_pick(_text_array(demo.TABOOS), 'r.taboo', len(demo.TABOOS))} ELSE '' END"
        ),  # fmt: skip
        "allergies": some("has_allergy", 0.08, "allergy", demo.ALLERGIES),
        "seating": some("has_seating", 0.4, "seating", demo.SEATING),
        "taste": some("has_taste", 0.5, "taste", demo.TASTES),
        "region": _pick(_text_array(demo.REGIONS), "r.region", len(demo.REGIONS)),
        "birth_month": "CASE WHEN r.birthday THEN 1 + r.month % 12 END",
        "birth_day": "CASE WHEN r.birthday THEN 1 + r.day % 28 END",
        "birthday_lunar": "r.birthday AND r.u_lunar < 0.3",
        "greeting_consent": "r.consent",
        "consent_recorded_at": "CASE WHEN r.consent THEN r.created END",
        "confidential_notes": f"CASE WHEN r.id % 10 = 0 THEN '{CONFIDENTIAL_NOTE}' ELSE '' END",
        "name_pinyin": "s.pinyin || gv.pinyin",
        "name_initials": "s.initials || gv.initials",
        "mobile_tail": "right(r.mobile, 4)",
        "last_visit_at": "r.visit",
        "last_seen_at": "COALESCE(r.visit, r.created)",
        "created_at": "r.created",
        "updated_at": "COALESCE(r.visit, r.created)",
    }
    assert set(columns) == set(GENERATED), set(columns) ^ set(GENERATED)
    names, constants = copy_columns(model)
    fields = {field.column: field for field in model._meta.concrete_fields}
    select = []
    for column, constant in zip(names, constants, strict=True):
        if constant is None:
            select.append(columns[column])
        else:
            # The model default, as bench/seed.py's COPY writes it; none of them needs COPY's escapes.
            assert constant == "\\N" or "\\" not in constant, (column, constant)
            value = "NULL" if constant == "\\N" else "'" + constant.replace("'", "''") + "'"
            select.append(f"CAST({value} AS {fields[column].db_type(connection)})")
    quoted = ", ".join(f'"{c}"' for c in names)
    joined = ",\n               ".join(draws)
    return f"""
INSERT INTO "{model._meta.db_table}" ({quoted})
SELECT {", ".join(select)}
  FROM (SELECT d.*,
               d.u_female < 0.35 AS female,
               d.u_institution < 0.25 AS institution,
               d.u_birthday < 0.4 AS birthday,
               d.u_consent < 0.6 AS consent,
               %(now)s::timestamptz - make_interval(secs => d.u_age * {span}) AS created,
               CASE WHEN d.u_visited < 0.7
                    THEN %(now)s::timestamptz - make_interval(secs => d.u_age * {span} * (1 - d.u_visit)) END AS visit
          FROM (SELECT g.id,
               {joined}
                  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g(id)
                OFFSET 0) AS d
        OFFSET 0) AS r
  JOIN seed_surname s ON s.slot = r.surname % {len(demo._SURNAME_POOL)}
  JOIN seed_given gv ON gv.female = r.female AND gv.slot = {given_slot}
  JOIN seed_sample dishes ON dishes.pool = 'dishes'
   AND dishes.slot = {sample_slot("dishes_k", "dishes", dish_offsets, dish_sizes)}
  JOIN seed_sample drinks ON drinks.pool = 'drinks'
   AND drinks.slot = {sample_slot("drinks_k", "drinks", drink_offsets, drink_sizes)}
"""


def load_pools(cursor) -> None:
    """The pools' tables on this connection (temporary: each connection makes its own)."""
    cursor.execute("CREATE TEMP TABLE seed_surname (slot int PRIMARY KEY, surname text, pinyin text, initials text)")
    cursor.execute(
        "INSERT INTO seed_surname SELECT * FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[])",
        [list(column) for column in zip(*surname_rows(), strict=True)],
    )
    cursor.execute("CREATE TEMP TABLE seed_given (female bool, slot int, given text, pinyin text, initials text, "
                   "PRIMARY KEY (female, slot))")  # fmt: skip
    cursor.execute(
        "INSERT INTO seed_given SELECT * FROM unnest(%s::bool[], %s::int[], %s::text[], %s::text[], %s::text[])",
        [list(column) for column in zip(*given_rows(), strict=True)],
    )
    cursor.execute("CREATE TEMP TABLE seed_sample (pool text, slot int, value text, PRIMARY KEY (pool, slot))")
    for pool, items, most in (("dishes", demo.DISHES, 3), ("drinks", demo.DRINKS, 2)):
        values = sample_rows(items, most)[0]
        cursor.execute("INSERT INTO seed_sample SELECT %s, ord - 1, value FROM unnest(%s::text[]) "
                       "WITH ORDINALITY AS u(value, ord)", [pool, values])  # fmt: skip
    cursor.execute("ANALYZE seed_surname, seed_given, seed_sample")


def chunk_sql(template: str, first: int, last: int, now: datetime.datetime) -> str:
    """The statement for ids first .. last. Its values are written in, not bound: the statement is full
    of SQL's % operator, which a bound statement would take for placeholders."""
    return (
        template.replace("%(first)s", str(int(first)))
        .replace("%(last)s", str(int(last)))
        .replace("%(now)s", "'" + now.astimezone(datetime.UTC).isoformat() + "'")
    )


# --------------------------------------------------------------------------- the load


def _open(connection, *, replica: bool, parallel_sorts: bool):
    """A connection of its own for one worker: autocommit, pools loaded, triggers off if asked."""
    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = True
    with raw.cursor() as cursor:
        # A bench archive: a crash may lose the last commits, and the load is rerun anyway.
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        if not parallel_sorts:
            # Two index builds run at once already fill both cores.
            cursor.execute("SET max_parallel_maintenance_workers = 0")
        if replica:
            # Leaves the search-key table's triggers (and the foreign keys' checks) out of the load;
            # the table is rebuilt in one statement afterwards.
            cursor.execute("SET session_replication_role = replica")
        load_pools(cursor)
    return raw


def _run_all(connections, jobs, run) -> None:
    """run(cursor, job) for every job, the jobs shared among the connections; the first error is raised."""
    pending = queue.Queue()
    for job in jobs:
        pending.put(job)
    errors = []

    def work(raw):
        with raw.cursor() as cursor:
            while not errors:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    run(cursor, job)
                except Exception as error:  # handed to the caller's thread
                    errors.append(error)

    threads = [threading.Thread(target=work, args=(raw,)) for raw in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _search_key_rebuild():
    """guests.searchkeys.rebuild(cursor) where the lead's module provides it, else None."""
    try:
        from guests.searchkeys import rebuild
    except ImportError:
        return None
    return rebuild


def seed(
    *, connection, count: int, seed: int = 2026, log=print, now: datetime.datetime | None = None,
    workers: int = WORKERS, chunk: int | None = None,
) -> dict:  # fmt: skip
    """Truncate the guest archive and generate `count` synthetic guests in PostgreSQL.

    Dates go back three years from `now` (default: the start of today, UTC, so that a reseed the
    same day makes the same rows). Returns the phases' durations in seconds."""
    from django.db import transaction

    from guests.models import CardSequence, Guest

    now = now or datetime.datetime.now(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    table = Guest._meta.db_table
    template = insert_sql(Guest, connection, seed)
    phases = {}
    started = time.perf_counter()
    # Committed before the workers start: they load on connections of their own. A failed load
    # leaves a partial archive without its secondary indexes; run the seed again.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [SEARCH_KEY_TABLE])
        search_keys_kept = cursor.fetchone()[0]
        indexes = _secondary_indexes(cursor, table)
        if search_keys_kept:
            # The table's TRUNCATE trigger would DELETE the keys row by row; truncate both instead.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(f'TRUNCATE "{table}", "{SEARCH_KEY_TABLE}" RESTART IDENTITY CASCADE')
        else:
            cursor.execute(f'TRUNCATE "{table}" RESTART IDENTITY CASCADE')
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    # At least four chunks a connection, so that no connection waits long for the last one.
    chunk = chunk or max(1, min(CHUNK, math.ceil(count / (4 * workers))))
    chunks = [(first, min(first + chunk, count + 1) - 1) for first in range(1, count + 1, chunk)]
    connections = [_open(connection, replica=search_keys_kept, parallel_sorts=workers == 1)
                   for _ in range(max(1, min(workers, len(chunks) or 1)))]  # fmt: skip
    try:
        loaded = [0]
        lock = threading.Lock()

        def insert(cursor, job):
            first, last = job
            cursor.execute(chunk_sql(template, first, last, now))
            with lock:
                loaded[0] += last - first + 1
                elapsed = time.perf_counter() - started
                log(f"  generated {loaded[0]:,}/{count:,} guests ({elapsed:.0f} s, {loaded[0] / elapsed:,.0f} rows/s)")

        phase = time.perf_counter()
        _run_all(connections, chunks, insert)
        phases["generate"] = time.perf_counter() - phase

        def build(cursor, job):
            name, sql = job
            began = time.perf_counter()
            cursor.execute(sql)
            log(f"  rebuilt {name} ({time.perf_counter() - began:.1f} s)")

        phase = time.perf_counter()
        _run_all(connections, indexes, build)
        phases["indexes"] = time.perf_counter() - phase
    finally:
        for raw in connections:
            raw.close()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(%s, 1), %s)", [table, count, count > 0]
        )
    # card_no_next() continues after the highest number handed out.
    CardSequence.objects.using(connection.alias).update_or_create(name="card", defaults={"value": count})

    if search_keys_kept:
        rebuild = _search_key_rebuild()
        if rebuild is None:
            log(f"  {SEARCH_KEY_TABLE} exists but guests.searchkeys.rebuild does not: search keys not rebuilt")
        else:
            phase = time.perf_counter()
            # In one transaction, as rebuild asks: its SET LOCAL of the sorts' memory holds for its index builds.
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                rebuild(cursor)
            phases["search keys"] = time.perf_counter() - phase

    phase = time.perf_counter()
    with connection.cursor() as cursor:
        # The search-key table's rebuild has analysed it already.
        cursor.execute(f'ANALYZE "{table}"')
    phases["analyze"] = time.perf_counter() - phase
    phases["total"] = time.perf_counter() - started
    log(f"Seeded {count:,} guests in {phases['total']:.0f} s ({count / phases['total']:,.0f} rows/s).")
    return phases


# --------------------------------------------------------------------------- the report


def sizes(cursor, table: str) -> list[tuple[str, int]]:
    """(what, bytes): the heap (with its TOAST), all its indexes, then each index, largest first."""
    cursor.execute(
        """
        SELECT pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c WHERE c.oid = to_regclass(%s)
        """,
        [table],
    )
    heap, indexes = cursor.fetchone()
    cursor.execute(
        """
        SELECT i.relname, pg_relation_size(i.oid)
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid = to_regclass(%s)
         ORDER BY 2 DESC, 1
        """,
        [table],
    )
    return [(f"{table} (heap)", heap), (f"{table} (indexes)", indexes), *((f"  {n}", s) for n, s in cursor.fetchall())]


def report(phases: dict, count: int, size_rows: list[tuple[str, int]], log) -> None:
    load = os.getloadavg()
    log("")
    log(f"Seed of {count:,} guests, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    log(f"{'phase':<48} {'seconds':>10}")
    for name, seconds in phases.items():
        log(f"{name:<48} {seconds:>10.1f}")
    log(f"{'guests/s, whole seed':<48} {count / phases['total']:>10,.0f}")
    log(f"{'guests/s, generating':<48} {count / phases['generate']:>10,.0f}")
    log("")
    log(f"{'relation':<48} {'MB':>10}")
    for name, size in size_rows:
        log(f"{name:<48} {size / 2**20:>10,.0f}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--guests", type=int, default=10_000_000, help="archive size (default %(default)s)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=WORKERS, help="connections generating at once")
    parser.add_argument("--chunk", type=int, default=None,
                        help=f"guests per statement (default: a quarter of a connection's share, at most {CHUNK:,})")  # fmt: skip
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the bench database (its name must contain 'bench'); default %(default)s",
    )  # fmt: skip
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from bench.lookup import Tee, open_bench_database

    args = parse_args(argv)
    log = Tee()
    open_bench_database(args.database_url, log)
    from django.core.management import call_command
    from django.db import connection

    from guests.models import Guest

    call_command("migrate", interactive=False, verbosity=0)
    log(f"Seeding {args.guests:,} guests into {connection.settings_dict['NAME']} with {args.workers} connections ...")
    phases = seed(connection=connection, count=args.guests, seed=args.seed, log=log, workers=args.workers,
                  chunk=args.chunk)  # fmt: skip
    with connection.cursor() as cursor:
        size_rows = sizes(cursor, Guest._meta.db_table)
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [SEARCH_KEY_TABLE])
        if cursor.fetchone()[0]:
            size_rows += sizes(cursor, SEARCH_KEY_TABLE)
    report(phases, args.guests, size_rows, log)
    log("")
    log(f"bench/lookup.py --database-url {args.database_url} --guests {args.guests} reuses this archive.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
