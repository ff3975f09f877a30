"""Bookings benchmark: a year of bookings over the guest archive, the desk's pages timed, a contention run.

    .venv/bin/python bench/bookings.py --guests 20000 --bookings 5000 --contention-seconds 10   # a quick try
    .venv/bin/python bench/bookings.py                  # the issue's sizes: 1,000,000 guests, ~150,000 bookings

Runs against its own database (keshi_bench_bookings, created and migrated if missing), never the one in
DATABASE_URL. Seeds (bench/seed.py's guests, bench/bookings_seed.py's bookings; both reused when the
sizes match), then times through django.test.Client, logged in as the front desk, with production
settings: the room board (day, and week of dinners), the phone booking's caller lookup (a guest's
mobile and a related person's phone, each in full and by its last four digits) and the service sheet of
a dinner with 200 parties (with its query count against a sheet of a few parties). Then the contention
run (bench/bookings_load.py): 20 desks booking the same 10 rooms through gunicorn. Prints median and p95
against the targets, the load average before and after; exit status 0 only if every target is met.
See bench/README.md.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lookup import Tee  # noqa: E402
from bench.throughput import percentile  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/keshi_bench_bookings"
TARGETS_MS = {"board": 100.0, "caller": 30.0, "sheet": 150.0}
HX = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT_LANGUAGE": "en"}


def archive_options() -> argparse.ArgumentParser:
    """The options of this database's archive and services, shared with bench/api.py (argparse's parents)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--guests", type=int, default=1_000_000, help="guests in the archive (default 1,000,000)")
    parser.add_argument("--bookings", type=int, default=150_000, help="bookings over the year (default 150,000)")
    parser.add_argument("--reset", action="store_true", help="reseed the bookings even if the sizes match")
    parser.add_argument("--redis-broker", type=int, default=12, help="Redis database of the Celery broker")
    parser.add_argument("--redis-cache", type=int, default=13, help="Redis database of the cache")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_BOOKINGS_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the bench database (its name must contain 'bench'); default %(default)s",
    )  # fmt: skip
    return parser


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], parents=[archive_options()])
    parser.add_argument("--samples", type=int, default=50, help="timed requests per case (default 50)")
    parser.add_argument("--contention-seconds", type=float, default=60, help="contention run length; 0 skips it")
    parser.add_argument("--clients", type=int, default=20, help="desks booking at once (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--contention-days", type=int, default=10,
                        help="days (lunch and dinner each) the desks book the 10 rooms for (default 10)")  # fmt: skip
    parser.add_argument("--contention-form", choices=("create", "phone"), default="create",
                        help="the form the desks post: bookings:create (default) or the phone booking page")  # fmt: skip
    return parser.parse_args(argv)


def timed(client, url: str, params_list: list[dict], headers: dict, check) -> list[float]:
    """Two untimed requests (bytecode, caches, the session), then one timed request per set of params."""
    for params in params_list[:2]:
        check(client.get(url, params, **headers))
    times = []
    for params in params_list:
        started = time.perf_counter()
        response = client.get(url, params, **headers)
        times.append(time.perf_counter() - started)
        check(response)
    return times


def ok(response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.content[:300]!r}")


def query_count(client, url: str, params: dict, headers: dict) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params, **headers)
    with CaptureQueriesContext(connection) as captured:
        ok(client.get(url, params, **headers))
    return len(captured)


def phone_numbers(rng: random.Random, samples: int) -> dict[str, list[str]]:
    """Numbers the desk types: booked hosts' mobiles and related people's phones, in full and last four."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [rng.random()])
        cursor.execute(
            "SELECT g.mobile FROM guests_guest g WHERE g.id IN (SELECT guest_id FROM bookings_booking "
            "ORDER BY random() LIMIT %s) AND g.mobile <> ''",
            [samples],
        )
        mobiles = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT phone FROM guests_relatedperson ORDER BY random() LIMIT %s", [samples])
        phones = [row[0] for row in cursor.fetchall()]
    return {
        "caller: guest mobile": mobiles,
        "caller: mobile last 4": [m[-4:] for m in mobiles],
        "caller: related person's phone": phones,
        "caller: related phone last 4": [p[-4:] for p in phones],
    }


def few_parties_day(outlet_id: int, today: datetime.date) -> datetime.date:
    """The outlet's quietest dinner to come with at least 3 parties, for the sheet's query count."""
    from django.db.models import Count

    from bookings.models import Booking

    day = (
        Booking.objects.filter(outlet_id=outlet_id, meal_period="dinner", date__gt=today, status__in=Booking.ACTIVE)
        .values("date").annotate(n=Count("id")).filter(n__gte=3).order_by("n", "date")
        .values_list("date", flat=True).first()
    )  # fmt: skip
    return day or today + datetime.timedelta(days=1)


def measure(args, log, today: datetime.date, rooms: dict) -> list[tuple[str, str, list[float], str]]:
    """(case, target key, seconds, note) for each page."""
    from django.urls import reverse

    from bench import bookings_seed
    from bench.lookup import bench_session
    from staff.models import Outlet

    rng = random.Random(args.seed)
    client, _session = bench_session()
    outlets = list(Outlet.objects.filter(name__in=[name for name, _k in bookings_seed.OUTLETS]).values_list("pk",
                                                                                                           flat=True))  # fmt: skip
    hall = Outlet.objects.get(name=bookings_seed.HALL[0]).pk

    def day():  # a day of the seeded year, with a week after it
        offset = rng.randrange(-bookings_seed.DAYS_BACK, bookings_seed.DAYS_AHEAD - 7)
        return (today + datetime.timedelta(days=offset)).isoformat()

    cases = []
    board = [{"outlet": rng.choice(outlets), "date": day()} for _ in range(args.samples)]
    cases.append(("room board, day", "board", timed(client, reverse("bookings:board"), board, {}, ok), ""))
    week = [{"outlet": rng.choice(outlets), "date": day(), "meal_period": "dinner"} for _ in range(args.samples)]
    cases.append(("room board, week of dinners", "board", timed(client, reverse("bookings:week"), week, {}, ok), ""))

    url = reverse("bookings:phone_caller")
    for label, numbers in phone_numbers(rng, args.samples).items():
        params = [{"number": number} for number in numbers]
        cases.append((label, "caller", timed(client, url, params, HX, ok), ""))

    sheet = {"outlet": hall, "date": bookings_seed.hall_day(today).isoformat(), "meal": "dinner"}
    small = {"outlet": outlets[0], "date": few_parties_day(outlets[0], today).isoformat(), "meal": "dinner"}
    url = reverse("service:sheet")

    def parties(response):
        ok(response)
        return response.content.decode().count('data-testid="sheet-booking"')

    big_parties, few_parties = parties(client.get(url, sheet, **HX)), parties(client.get(url, small, **HX))
    big_q, few_q = query_count(client, url, sheet, HX), query_count(client, url, small, HX)
    note = (f"{big_parties} parties: {big_q} queries; {few_parties} parties: {few_q} queries "
            f"({'the same' if big_q == few_q else 'NOT the same'})")  # fmt: skip
    cases.append(("service sheet, 200-party dinner", "sheet", timed(client, url, [sheet] * args.samples, {}, ok), note))
    return cases


def report(cases, log) -> bool:
    passed = True
    log(f"{'case':<34} {'median ms':>10} {'p95 ms':>8} {'target':>8}  ")
    for label, key, times, note in cases:
        ordered = sorted(times)
        p95 = percentile(ordered, 0.95) * 1000
        met = p95 <= TARGETS_MS[key]
        passed = passed and met
        log(f"{label:<34} {statistics.median(ordered) * 1000:>10.1f} {p95:>8.1f} {TARGETS_MS[key]:>6.0f}   "
            f"{'ok' if met else 'MISSED'}")  # fmt: skip
        if note:
            log(f"    {note}")
    return passed


def seed_archive(args, log, today: datetime.date) -> dict:
    """bench/seed.py's guests and bench/bookings_seed.py's bookings and related people, each reused when the
    database holds them at these sizes; returns ensure_outlets()'s rooms."""
    from django.db import connection

    from bench import bookings_seed, seed
    from guests.models import Guest

    name = connection.settings_dict["NAME"]
    existing = Guest.objects.count()
    reseed = args.reset or existing != args.guests
    if existing != args.guests:
        log(f"Seeding {args.guests:,} guests (found {existing:,}) into {name} ...")
        seed.seed(connection=connection, count=args.guests, seed=args.seed, log=log)
    rooms = bookings_seed.ensure_outlets()
    with connection.cursor() as cursor:
        reseed = reseed or not bookings_seed.seeded(cursor, bookings=args.bookings, today=today, rooms=rooms)
    if reseed:
        log(f"Seeding about {args.bookings:,} bookings into {name} ...")
        bookings_seed.seed_bookings(connection=connection, guests=args.guests, bookings=args.bookings, rooms=rooms,
                                    today=today, seed=args.seed, log=log)  # fmt: skip
    else:
        log(f"Reusing the {args.guests:,} guests and the bookings already in {name} (--reset to reseed).")
    return rooms


def start(args) -> Tee:
    """Refuse a database not named for benchmarks; Django on it, with the Redis databases of the options."""
    if "bench" not in urlsplit(args.database_url).path:
        sys.exit("Refusing to run: the database name must contain 'bench' (the seed truncates the archive).")
    log = Tee()
    os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:6379/{args.redis_broker}"
    os.environ["CACHE_URL"] = f"redis://127.0.0.1:6379/{args.redis_cache}"
    os.environ.setdefault("KESHI_LOG_LEVEL", "WARNING")  # no access line per timed request
    from bench.visits import setup

    setup(args.database_url, log)
    return log


def save(log: Tee, name: str) -> None:
    """The run's lines in bench/results/<name> (ignored by git)."""
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / name
    out.write_text("\n".join(log.lines) + "\n", encoding="utf-8")
    print(f"\nSaved to {out.relative_to(ROOT)}.")


def main(argv=None) -> int:
    args = parse_args(argv)
    log = start(args)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from bench import bookings_load

    log(f"load average at the start: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    today = timezone.localdate()
    rooms = seed_archive(args, log, today)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE status = 'cancelled') FROM bookings_booking")
        total, cancelled = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM guests_relatedperson")
        people = cursor.fetchone()[0]

    log("")
    log(f"Bookings pages, {args.guests:,} guests, {total:,} bookings ({cancelled:,} cancelled), {people:,} related "
        f"people, settings {settings.SETTINGS_MODULE}, {args.samples} requests a case, "
        f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    passed = report(measure(args, log, today, rooms), log)
    log(f"load average after the pages: {os.getloadavg()[0]:.2f}")

    if args.contention_seconds > 0:
        log("")
        passed = bookings_load.run(args, log, rooms=rooms, root=ROOT) and passed

    form = "-phone" if args.contention_form == "phone" and args.contention_seconds > 0 else ""
    save(log, f"bookings-{args.guests}-{args.bookings}{form}.txt")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
