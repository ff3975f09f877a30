"""Front desk lookup benchmark: seed a synthetic archive, time every lookup kind, load one worker.

    .venv/bin/python bench/lookup.py [--guests 100000] [--reset] [--samples 200] [--throughput-seconds 20]

Runs against its own database (keshi_bench by default, created and migrated if
missing), never the one in the environment's DATABASE_URL. For each lookup kind it
times, per query value drawn from the seeded rows, the selector guest_search, the
real view through django.test.Client (HX-Request fragment, logged-in front desk
user) and one hand-written SQL query with the same WHERE / ORDER BY / LIMIT. See
bench/README.md for the targets.
"""

import argparse
import logging
import os
import random
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/keshi_bench"
BENCH_USERNAME = "bench_frontdesk"
# Issue 17's targets at 1,000,000 guests on an idle machine: the view's p95, the SQL's p95 (the selector's
# own statement), one sync worker's lookups a second.
TARGET_P95_MS = 10.0
TARGET_SQL_MS = 2.0
TARGET_RPS = 250.0
HELLO_PATH = "/bench/hello/"

# Production settings, as gunicorn runs them, with what a loopback run needs.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "crm.settings.production",
    "DJANGO_SECRET_KEY": "keshi-bench-only-not-a-secret",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "KESHI_LOG_LEVEL": "WARNING",  # no access line per timed request
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/2",
    # Production settings ask where collected files, uploads and compiled messages live (docs/deployment.md).
    "DJANGO_STATIC_ROOT": str(ROOT / "bench" / "results" / "staticfiles"),
    "DJANGO_MEDIA_ROOT": str(ROOT / "bench" / "results" / "media"),
    "KESHI_LOCALE_ROOT": str(ROOT / "locale"),
}

COLUMNS = "id, card_no, tier, name, surname, honorific, company, title, mobile, last_visit_at, taboos, allergies, anonymised_at"
RANK = "ORDER BY tier, last_seen_at DESC, id DESC"
# The WHERE clauses as one would write them by hand for each kind of query.
HAN = "name LIKE %(prefix)s OR honorific LIKE %(prefix)s OR company LIKE %(prefix)s"
HAN_SURNAME = HAN + " OR surname = %(text)s"
PINYIN = "name_pinyin LIKE %(prefix)s OR name_initials LIKE %(prefix)s"
MOBILE = "mobile LIKE %(prefix)s"
MOBILE_TAIL = "mobile_tail = %(text)s AND mobile LIKE %(suffix)s"
CARD = "card_no LIKE %(prefix)s"


@dataclass
class Kind:
    label: str
    where: str
    pick: object  # row -> query text, or None to skip the row
    compound_only: bool = False
    queries: list[str] = field(default_factory=list)

    def same_sql(self, limit: int) -> str:
        """The selector's query as one would write it: its WHERE, ORDER BY and LIMIT."""
        return f"SELECT {COLUMNS} FROM guests_guest WHERE {self.where} {RANK} LIMIT {int(limit)}"

    def best_sql(self, limit: int) -> str:
        """The best one can write by hand with today's indexes: each OR-ed condition as its own branch
        ordered by rank and cut at the page (an index hands it over in rank order where one exists, as
        guest_surname_idx and guest_mobile_tail_idx do), the branches merged and cut again."""
        branches = [f"(SELECT {COLUMNS}, last_seen_at FROM guests_guest WHERE {condition} {RANK} LIMIT {int(limit)})"
                    for condition in self.where.split(" OR ")]  # fmt: skip
        if len(branches) == 1:
            return self.same_sql(limit)
        return f"SELECT {COLUMNS} FROM ({' UNION '.join(branches)}) AS best {RANK} LIMIT {int(limit)}"


def _surname_pinyin(row):
    from guests.pinyin import search_keys

    return search_keys(row["surname"], row["surname"])[0]


def lookup_kinds(compound: frozenset[str]) -> list[Kind]:
    return [
        Kind("surname", HAN_SURNAME, lambda r: r["surname"] if len(r["surname"]) == 1 else None),
        Kind("full name", HAN, lambda r: r["name"]),
        Kind("honorific", HAN, lambda r: r["honorific"]),
        Kind("compound surname", HAN_SURNAME, lambda r: r["surname"], compound_only=True),
        Kind("pinyin surname", PINYIN, _surname_pinyin),
        Kind("pinyin full name", PINYIN, lambda r: r["name_pinyin"]),
        Kind("pinyin initials", PINYIN, lambda r: r["name_initials"]),
        Kind("mobile (full)", MOBILE, lambda r: r["mobile"]),
        Kind("mobile last 4", MOBILE_TAIL, lambda r: r["mobile_tail"]),
        Kind("company prefix", HAN, lambda r: r["company"][:4]),
        Kind("card no.", CARD, lambda r: r["card_no"]),
    ]


def raw_params(text: str) -> dict:
    return {"text": text, "prefix": text + "%", "suffix": "%" + text}


class Tee:
    """Print to the terminal and keep the lines for bench/results/."""

    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


# --------------------------------------------------------------------------- set-up


def configure(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    for key, value in BENCH_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("CONN_MAX_AGE", "600")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def ensure_database(database_url: str, log) -> None:
    import psycopg2
    from psycopg2 import sql

    url = urlsplit(database_url)
    name = url.path.lstrip("/")
    admin = psycopg2.connect(
        dbname="postgres", user=url.username or "postgres", password=url.password or None,
        host=url.hostname or "127.0.0.1", port=url.port or 5432,
    )  # fmt: skip
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                log(f"Creating database {name}.")
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()


def bench_session():
    """A front desk user and a logged-in test client; returns (client, session key)."""
    from django.contrib.auth.models import Group
    from django.test import Client

    from staff import roles
    from staff.models import User

    user, created = User.objects.get_or_create(username=BENCH_USERNAME, defaults={"last_name": "测试"})
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get(name=roles.FRONT_DESK))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user, backend="staff.backends.CachedPermissionBackend")
    return client, client.cookies["sessionid"].value


def draw_queries(kinds: list[Kind], samples: int, seed: int) -> None:
    """`samples` query values per kind, each from a guest drawn at random from the archive."""
    from django.db import connection

    from guests.pinyin import COMPOUND_SURNAMES

    rng = random.Random(seed)
    fields = ["name", "surname", "honorific", "name_pinyin", "name_initials", "mobile", "mobile_tail", "company",
              "card_no"]  # fmt: skip
    select = f"SELECT {', '.join(fields)} FROM guests_guest"
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM guests_guest")
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT setseed(%s)", [rng.random()])
        cursor.execute(f"{select} WHERE surname = ANY(%s) ORDER BY random() LIMIT %s",
                       [sorted(COMPOUND_SURNAMES), samples])  # fmt: skip
        compound_rows = [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]
        for kind in kinds:
            if kind.compound_only:
                rows = compound_rows
            else:
                cursor.execute(f"{select} WHERE id = ANY(%s)", [rng.sample(range(1, top + 1), min(top, samples * 2))])
                rows = [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]
                rng.shuffle(rows)
            picked = [q for q in (kind.pick(row) for row in rows) if q]
            kind.queries = picked[:samples]


# --------------------------------------------------------------------------- timing


@dataclass
class Timings:
    selector: list[float] = field(default_factory=list)
    view: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    best: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    matches: list[int] = field(default_factory=list)
    mismatches: int = 0
    slowest: tuple[float, str] = (0.0, "")


def view_queries(client) -> str:
    """What one lookup request costs in SQL statements, counted, not assumed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/", {"q": "张"}, HTTP_HX_REQUEST="true")  # sessions and permissions cached
    with CaptureQueriesContext(connection) as captured:
        client.get("/", {"q": "张"}, HTTP_HX_REQUEST="true")
    kinds = ", ".join(q["sql"].split()[0] + " " + q["sql"].split(" FROM ")[-1].split()[0] for q in captured)
    return f"{len(captured)} SQL statements per lookup ({kinds})"


def selector_sql(query: str) -> str:
    """The statement guest_search sends for this query, as sent (parameters in place)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from guests.selectors import guest_search

    with CaptureQueriesContext(connection) as captured:
        guest_search(query=query)
    if len(captured) != 1:
        raise RuntimeError(f"guest_search sent {len(captured)} statements for {query!r}, expected one")
    return captured[0]["sql"]


# The selector's paths are timed in one pass and the plain baselines in another: at 10,000,000 guests a
# plain statement reads for up to 400 ms (the lookup before the search keys), and timed beside it the
# next request met the shared buffers and the CPU's caches that read had just churned (a view p95 1 ms
# above the same view timed alone).
PASSES = (("sql", "selector", "view"), ("raw", "best"))


def time_kind(kind: Kind, client, limit: int, count_matches: int) -> Timings:
    from django.db import connection

    from guests.selectors import guest_search

    sql, best = kind.same_sql(limit), kind.best_sql(limit)
    result = Timings()
    found = [{} for _ in kind.queries]  # per value: the ids each path returned, the view's row count
    with connection.cursor() as cursor:
        for paths in PASSES:
            for i, query in enumerate(kind.queries):
                params = raw_params(query)
                own = selector_sql(query) if "sql" in paths else None
                # Rotate which path goes first so no path always meets a warmer cache.
                order = paths[i % len(paths) :] + paths[: i % len(paths)]
                for path in order:
                    started = time.perf_counter()
                    if path == "sql":
                        cursor.execute(own)
                        found[i][path] = [row[0] for row in cursor.fetchall()]
                        result.sql.append(time.perf_counter() - started)
                    elif path == "raw":
                        cursor.execute(sql, params)
                        found[i][path] = [row[0] for row in cursor.fetchall()]
                        result.raw.append(time.perf_counter() - started)
                    elif path == "best":
                        cursor.execute(best, params)
                        found[i][path] = [row[0] for row in cursor.fetchall()]
                        result.best.append(time.perf_counter() - started)
                    elif path == "selector":
                        found[i][path] = [guest.pk for guest in guest_search(query=query)]
                        elapsed = time.perf_counter() - started
                        result.selector.append(elapsed)
                        result.slowest = max(result.slowest, (elapsed, query))
                    else:
                        response = client.get("/", {"q": query}, HTTP_HX_REQUEST="true")
                        result.view.append(time.perf_counter() - started)
                        if response.status_code != 200:
                            raise RuntimeError(f"lookup view answered HTTP {response.status_code} for {query!r}")
                        found[i][path] = response.content.count(b"guest-row")
        for i, query in enumerate(kind.queries):
            ids = found[i]
            result.rows.append(len(ids["selector"]))
            if (ids["selector"] != ids["raw"] or ids["sql"] != ids["raw"] or ids["best"] != ids["raw"]
                    or ids["view"] != len(ids["selector"])):  # fmt: skip
                result.mismatches += 1
            if i < count_matches:
                cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM guests_guest WHERE {kind.where} LIMIT 100000) m",
                               raw_params(query))  # fmt: skip
                result.matches.append(cursor.fetchone()[0])
    return result


def write_cost(samples: int, seed: int) -> dict:
    """What the search keys add to a visit: the UPDATE of a guest's last_seen_at (as visit_record makes it)
    with the key triggers and without them (session_replication_role = replica), each timed on its own,
    in one transaction rolled back so the archive is left as it was."""
    from django.db import connection, transaction

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM guests_guest")
        top = cursor.fetchone()[0] or 1
    ids = [rng.randint(1, top) for _ in range(samples * 2)]
    update = "UPDATE guests_guest SET last_seen_at = last_seen_at + interval '1 second' WHERE id = %s"
    figures = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for label, chunk in (("with keys", ids[:samples]), ("without keys", ids[samples:])):
            if label == "without keys":
                cursor.execute("SET LOCAL session_replication_role = replica")
            times = []
            for guest_id in chunk:
                started = time.perf_counter()
                cursor.execute(update, [guest_id])
                times.append(time.perf_counter() - started)
            figures[label] = (ms(times, 0.5), ms(times, 0.95))
        transaction.set_rollback(True)
    return figures


def sizes() -> list[tuple[str, int, int, int]]:
    """(table, rows, heap bytes, index bytes) of the guest table and its search keys."""
    from django.db import connection

    out = []
    with connection.cursor() as cursor:
        for table in ("guests_guest", "guests_guestsearchkey"):
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
            if not cursor.fetchone()[0]:
                continue
            cursor.execute(f"SELECT count(*), pg_relation_size(%s), pg_indexes_size(%s) FROM {table}", [table, table])
            out.append((table, *cursor.fetchone()))
    return out


def round_trip_ms(samples: int = 500) -> tuple[float, float]:
    """Median and p95 of SELECT 1: the floor under every query on this machine."""
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            times.append(time.perf_counter() - started)
    return ms(times, 0.5), ms(times, 0.95)


def warm_up(kinds: list[Kind], client, limit: int, *, values: str) -> dict[str, list[float]]:
    """An untimed pass before the timed one: bytecode, plan caches, buffers.

    values="all" first sends every query value once to the view, timed on its own (the first touch,
    from a cache the seed left), then takes every value through all five paths untimed, so the timed
    pass measures a warm cache at any archive size: at 1,000,000 guests the whole archive is in the
    page cache anyway; at 10,000,000 it is not, and a value's first path would otherwise pay for its
    disk reads. values="few" (the bench before session 14) warms ten values a kind.
    Returns the first-touch view times by kind (empty for "few")."""
    first = {}
    for kind in kinds:
        queries = kind.queries
        if values == "all":
            times = []
            for query in queries:
                started = time.perf_counter()
                client.get("/", {"q": query}, HTTP_HX_REQUEST="true")
                times.append(time.perf_counter() - started)
            first[kind.label] = times
        else:
            kind.queries = queries[:10]
        time_kind(kind, client, limit, count_matches=0)
        kind.queries = queries
    return first


def explain(query: str, limit: int) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the selector's own SQL for one query value."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {selector_sql(query)}")
        return "\n".join(row[0] for row in cursor.fetchall())


# --------------------------------------------------------------------------- report


def ms(values: list[float], q: float) -> float:
    from bench.throughput import percentile

    return percentile(sorted(values), q) * 1000


def report(kinds: list[Kind], results: dict[str, Timings], log) -> list[str]:
    """Print the table; returns the labels of the kinds that miss a target."""
    header = (f"{'kind':<18} {'example':<14} {'n':>4} {'rows':>4} {'matches':>7}  {'view med/p95 ms':>15}"
              f"  {'selector med/p95':>16}  {'its SQL med/p95':>16}  {'plain SQL med/p95':>17}"
              f"  {'plain best med/p95':>18}  target")  # fmt: skip
    log(header)
    log("-" * len(header))
    misses = []
    for kind in kinds:
        t = results[kind.label]
        sel, view, own, raw, best = (t.selector, t.view, t.sql, t.raw, t.best)
        ok = ms(view, 0.95) <= TARGET_P95_MS and ms(own, 0.95) <= TARGET_SQL_MS
        verdict = "ok" if ok else "MISS"
        if t.mismatches:
            verdict += f" ({t.mismatches} differ)"
        if not ok or t.mismatches:
            misses.append(kind.label)
        matches = f"{statistics.median(t.matches):,.0f}" if t.matches else "-"
        log(
            f"{kind.label:<18} {kind.queries[0]:<{14 - _wide(kind.queries[0])}} {len(sel):>4} "
            f"{statistics.median(t.rows):>4.0f} {matches:>7}  "
            f"{ms(view, 0.5):>7.2f} /{ms(view, 0.95):>6.2f}  {ms(sel, 0.5):>7.2f} /{ms(sel, 0.95):>7.2f}  "
            f"{ms(own, 0.5):>7.2f} /{ms(own, 0.95):>7.2f}  {ms(raw, 0.5):>8.2f} /{ms(raw, 0.95):>7.2f}  "
            f"{ms(best, 0.5):>8.2f} /{ms(best, 0.95):>8.2f}  {verdict}"
        )
    return misses


def _wide(text: str) -> int:
    """How many extra columns CJK characters take in a terminal."""
    return sum(1 for char in text if ord(char) > 0x2E80)


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--guests", type=int, default=100_000, help="archive size (e.g. 1000000)")
    parser.add_argument("--reset", action="store_true", help="truncate and reseed even if the size matches")
    parser.add_argument("--samples", type=int, default=200, help="query values per lookup kind")
    parser.add_argument("--throughput-seconds", type=float, default=20, help="0 skips the gunicorn run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients for the throughput run")
    parser.add_argument(
        "--throughput-settings", default=None,
        help="settings module for the gunicorn worker (default bench.settings_hello: production's, with the hello view)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--warm", choices=("all", "few"), default="all",
        help="all: every value through every path once before the timed pass (default); few: ten values a kind",
    )  # fmt: skip
    parser.add_argument(
        "--seeder", choices=("python", "sql"), default=None,
        help="python: bench/seed.py (GuestFaker, COPY); sql: bench/seed_sql.py (generate_series in PostgreSQL); "
        "default sql above 1,000,000 guests",
    )  # fmt: skip
    parser.add_argument("--explain", action="store_true", help="print plans for every kind, not only misses")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the bench database (its name must contain 'bench'); default %(default)s",
    )  # fmt: skip
    return parser.parse_args(argv)


def open_bench_database(database_url: str, log) -> None:
    """Refuse a database whose name lacks 'bench' (the seeds truncate the guest archive), point Django at
    it, create it if missing and set Django up."""
    if "bench" not in urlsplit(database_url).path:
        sys.exit("Refusing to run: the database name must contain 'bench' (the seed truncates the guest archive).")
    configure(database_url)
    ensure_database(database_url, log)

    import django

    django.setup()
    from django.core.cache import cache

    # The bench databases share one Redis: a user cached by a run on another of them (staff.backends keeps
    # the user for 60 s) has that database's password hash, and the session it meets is refused.
    cache.clear()


def main(argv=None) -> int:
    args = parse_args(argv)
    log = Tee()
    open_bench_database(args.database_url, log)
    logging.getLogger("axes").setLevel(logging.WARNING)  # one line per force_login otherwise
    warnings.filterwarnings("ignore", message="No directory at")  # STATIC_ROOT: not collected, not needed
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench import seed, throughput
    from guests.models import Guest
    from guests.pinyin import COMPOUND_SURNAMES

    call_command("migrate", interactive=False, verbosity=0)
    existing = Guest.objects.count()
    if args.reset or existing != args.guests:
        log(f"Seeding {args.guests:,} guests (found {existing:,}) into {connection.settings_dict['NAME']} ...")
        seeder = args.seeder or ("sql" if args.guests > 1_000_000 else "python")
        if seeder == "sql":
            from bench import seed_sql

            seed_sql.seed(connection=connection, count=args.guests, seed=args.seed, log=log)
        else:
            seed.seed(connection=connection, count=args.guests, seed=args.seed, log=log)
    else:
        log(f"Reusing the {existing:,} guests already in {connection.settings_dict['NAME']} (--reset to reseed).")

    guests = Guest.objects.count()
    client, session = bench_session()
    limit = settings.GUEST_LOOKUP_LIMIT
    kinds = lookup_kinds(COMPOUND_SURNAMES)
    draw_queries(kinds, args.samples, args.seed)
    first_touch = warm_up(kinds, client, limit, values=args.warm)

    load = os.getloadavg()
    log("")
    log(f"Lookup latency, {guests:,} guests, "
        f"{args.samples} query values per kind, LIMIT {limit}, settings {settings.SETTINGS_MODULE}, "
        f"load average {load[0]:.1f}")  # fmt: skip
    rtt = round_trip_ms()
    log(f"PostgreSQL round trip (SELECT 1 over 127.0.0.1): median {rtt[0]:.2f} ms, p95 {rtt[1]:.2f} ms; "
        f"the view makes {view_queries(client)}.")  # fmt: skip
    log(
        f"Targets: view p95 <= {TARGET_P95_MS:.0f} ms, its SQL p95 <= {TARGET_SQL_MS:.0f} ms. its SQL = the statement the "
        "selector sends (the search keys for a short prefix), re-run on a cursor; plain SQL = the same WHERE over the "
        "guest table's own indexes (the lookup before the search keys); plain best = each OR-ed condition of it its own "
        "rank-ordered branch (Kind.best_sql)."
    )
    log("")
    results = {kind.label: time_kind(kind, client, limit, count_matches=20) for kind in kinds}
    misses = report(kinds, results, log)
    if first_touch:
        log("")
        log("First touch (warm-up, not a target): each value's first view request, from the cache the seed and "
            "earlier runs left, median / p95 ms:")  # fmt: skip
        for kind in kinds:
            times = first_touch[kind.label]
            log(f"  {kind.label:<18} {ms(times, 0.5):6.2f} / {ms(times, 0.95):6.2f}")
    log("")
    log("rows = median rows returned; matches = median guests matching (first 20 values, capped at 100,000).")
    log("Plain SQL per kind:")
    for kind in kinds:
        log(f"  {kind.label:<18} SELECT {{13 columns}} FROM guests_guest WHERE {kind.where} {RANK} LIMIT {limit}")

    for kind in kinds:
        if kind.label in misses or args.explain:
            elapsed, query = results[kind.label].slowest
            log("")
            log(f"EXPLAIN (ANALYZE, BUFFERS) — {kind.label}, slowest value {query!r} ({elapsed * 1000:.1f} ms):")
            log(explain(query, limit))

    log("")
    log("Sizes:")
    for table, rows, heap, index in sizes():
        log(f"  {table:<22} {rows:>12,} rows, heap {heap / 2**20:>7,.0f} MB, indexes {index / 2**20:>7,.0f} MB")
    cost = write_cost(samples=max(50, args.samples), seed=args.seed)
    log("Write cost of the search keys: UPDATE of one guest's last_seen_at (what each recorded visit does), "
        "median / p95 ms")  # fmt: skip
    for label, (median, p95) in cost.items():
        log(f"  {label:<13} {median:6.2f} / {p95:6.2f}")

    passed = not misses
    if args.throughput_seconds > 0:
        queries = [query for kind in kinds for query in kind.queries]
        random.Random(args.seed).shuffle(queries)
        log("")
        server_settings = args.throughput_settings or "bench.settings_hello"
        log(f"Throughput: gunicorn crm.wsgi, 1 sync worker, settings {server_settings}, {args.clients} clients, "
            f"{args.throughput_seconds:.0f} s, {len(queries)} lookups of every kind in rotation")  # fmt: skip
        connection.close()
        figures = throughput.run(root=ROOT, queries=queries, session=session, clients=args.clients,
                                 seconds=args.throughput_seconds, settings_module=server_settings, log=log,
                                 hello_path=HELLO_PATH)  # fmt: skip
        log(f"  requests {figures['requests']:,} in {figures['seconds']:.1f} s = {figures['rps']:.0f} lookups/s "
            f"(target >= {TARGET_RPS:.0f}); median {figures['median_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
            f"max {figures['max_ms']:.1f} ms; errors {figures['errors']}")  # fmt: skip
        for error in figures["first_errors"]:
            log(f"    e.g. {error}")
        hello = figures["hello"]
        log(f"  hello view ({HELLO_PATH}, the same worker and middleware, {hello['seconds']:.0f} s): "
            f"{hello['rps']:.0f} requests/s, median {hello['median_ms']:.1f} ms, p95 {hello['p95_ms']:.1f} ms, "
            f"errors {hello['errors']}")  # fmt: skip
        log(f"  the lookup costs {hello['rps'] / max(figures['rps'], 1e-9):.1f}x the hello view's time a request "
            f"(hello/s ÷ lookups/s); p95 ratio {figures['p95_ms'] / max(hello['p95_ms'], 1e-9):.1f}x")  # fmt: skip
        log(
            f"  load average after the run: {os.getloadavg()[0]:.1f} (2-core machine shares the clients and PostgreSQL)"
        )
        passed = passed and figures["rps"] >= TARGET_RPS and not figures["errors"]

    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    suffix = f"-{args.throughput_settings.rsplit('.', 1)[-1]}" if args.throughput_settings else ""
    out = results_dir / f"lookup-{args.guests}{suffix}.txt"
    out.write_text("\n".join(log.lines) + "\n", encoding="utf-8")
    print(f"\nSaved to {out.relative_to(ROOT)}.")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
