"""API benchmark (/api/v1/): caller lookup, POS ingest, webhook delivery lag, call-to-pop-up, on the guest archive.

    .venv/bin/python bench/api.py --guests 20000 --bookings 5000 --seconds 10     # a quick try
    .venv/bin/python bench/api.py                   # the issue's size: 1,000,000 guests, 60 s of POS ingest

Runs against bench/bookings.py's database (keshi_bench_bookings; created, migrated and seeded with
bench/seed.py's guests and bench/bookings_seed.py's bookings and related people when the sizes differ,
reused when they match), with production settings (bench.settings_pages), never the one in DATABASE_URL.
Four parts, each skippable:
- lookup: GET /api/v1/lookup through django.test.Client with a machine's key (server-side time: middleware,
  authentication, throttle, the lookup, JSON) for a full mobile, the same as +86 with dashes, its last four
  digits and a related person's phone;
- ingest: 20 POS clients post bills through gunicorn (bench/api_ingest.py), checked in SQL, against the
  visit form's visits/s measured on the same server;
- webhooks: commit → the local receiver's 2xx, through a real Celery worker (bench/api_webhooks.py);
- calls: POST /api/v1/calls, then the desk's poll (calls:latest every 500 ms, a front desk session) until it
  returns the caller's card; and the poll's own SQL.
Prints a table against the targets and the load average; exit status 0 only if every target is met.
See bench/README.md.
"""

import argparse
import os
import random
import re
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bookings import archive_options, phone_numbers, query_count, save, seed_archive, start, timed  # noqa: E402
from bench.throughput import HOST, free_port, percentile, start_gunicorn, stop  # noqa: E402

CLIENT_NAME = "KeShi bench machines"
SCOPES = ["lookup", "calls:write", "visits:write", "webhooks"]
RATE = 1_000_000  # requests per minute: the bench measures the API, not the client's throttle (which still runs)
LOOKUP_MS = 15.0
POPUP_MS = 1000.0  # the poll's 500 ms interval plus one request: the card shows by the poll after the one under way
POLL_SQL_MS = 1.0
POLL_EVERY = 0.5
AFTER = re.compile(r"after=(\d+)")
NUMBER = re.compile(r'font-monospace">([^<]*)<')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], parents=[archive_options()])
    parser.add_argument("--samples", type=int, default=200, help="timed lookups per case (default 200)")
    parser.add_argument("--seconds", type=float, default=60, help="length of the POS ingest run (default 60)")
    parser.add_argument("--clients", type=int, default=20, help="POS clients posting bills at once (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--form-seconds", type=float, default=20,
                        help="length of the visit form run the ingest is compared with (default 20; 0 skips it)")  # fmt: skip
    parser.add_argument("--changes", type=int, default=200, help="POS bills whose webhooks are timed (default 200)")
    parser.add_argument("--rate", type=float, default=10, help="bills per second for the webhook lag (default 10)")
    parser.add_argument("--calls", type=int, default=100, help="calls timed to their pop-up (default 100)")
    for part in ("lookup", "ingest", "webhooks", "calls"):
        parser.add_argument(f"--skip-{part}", action="store_true", help=f"do not run the {part} part")
    parser.set_defaults(redis_broker=14, redis_cache=15)  # not bench/bookings.py's: it leaves messages in its broker
    return parser.parse_args(argv)


def machine_key():
    """The bench's API client (every scope the bench uses) and a fresh key: its earlier keys are revoked,
    as the raw key is shown only once."""
    from staff.clients import api_client_change, api_client_create, api_key_issue, api_key_revoke
    from staff.models import ApiClient

    client = ApiClient.objects.filter(name=CLIENT_NAME).first()
    if client is None:
        return api_client_create(actor=None, name=CLIENT_NAME, kind=ApiClient.Kind.OTHER, scopes=SCOPES,
                                 rate_per_minute=RATE)  # fmt: skip
    client = api_client_change(actor=None, client=client, scopes=SCOPES, outlets=[], rate_per_minute=RATE)
    for key in client.keys.filter(revoked=False):
        api_key_revoke(actor=None, key=key)
    return client, api_key_issue(actor=None, client=client)[1]


# --------------------------------------------------------------------------- caller lookup


class SqlTime:
    """Milliseconds spent in cursor.execute, and statements, while open (connection.execute_wrapper;
    connection.queries rounds each statement to a millisecond)."""

    def __enter__(self):
        from django.db import connection

        self.spent, self.wrapper = [], connection.execute_wrapper(self)
        self.wrapper.__enter__()
        return self

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.spent.append(time.perf_counter() - started)

    def __exit__(self, *exc):
        self.wrapper.__exit__(*exc)

    @property
    def ms(self) -> float:
        return sum(self.spent) * 1000

    @property
    def statements(self) -> int:
        return len(self.spent)


def lookup(args, log, key: str) -> list:
    from django.test import Client
    from django.urls import reverse

    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}", "HTTP_ACCEPT_LANGUAGE": "en"}
    client, url = Client(HTTP_HOST=HOST), reverse("api:lookup")

    def found(response):
        if response.status_code != 200 or not response.json()["matches"]:
            raise RuntimeError(f"lookup: HTTP {response.status_code}, {response.content[:300]!r}")

    numbers = phone_numbers(random.Random(args.seed), args.samples)
    mobiles = numbers["caller: guest mobile"]
    cases = {
        "lookup: full mobile": mobiles,
        "lookup: +86 with dashes": [f"+86 {m[:3]}-{m[3:7]}-{m[7:]}" for m in mobiles],
        "lookup: last four digits": numbers["caller: mobile last 4"],
        "lookup: related person's phone": numbers["caller: related person's phone"],
        "lookup: related phone, last four": numbers["caller: related phone last 4"],
    }
    queries = query_count(client, url, {"phone": mobiles[0]}, headers)
    log(f"Caller lookup: GET {url} through django.test.Client with the machine's key, {args.samples} numbers a "
        f"case; {queries} SQL statements for a full mobile; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    rows = []
    for label, values in cases.items():
        with SqlTime() as sql:
            times = sorted(timed(client, url, [{"phone": value} for value in values], headers, found))
        p95 = percentile(times, 0.95) * 1000
        rows.append((label, f"{statistics.median(times) * 1000:.1f}", f"{p95:.1f}", f"≤ {LOOKUP_MS:.0f}",
                     p95 <= LOOKUP_MS))  # fmt: skip
        log(f"  {label}: {sql.ms / (len(values) + 2):.1f} ms of SQL a request on average, "
            f"{sql.statements / (len(values) + 2):.1f} statements")  # fmt: skip
    return rows


# --------------------------------------------------------------------------- call to pop-up


def desk_get(port: int, cookies: dict, path: str) -> tuple[int, bytes]:
    """The poller's request as htmx sends it: the session cookie, HX-Request, and the passive header."""
    from bench.load_visits import exchange

    response, content = exchange(port, "GET", path, {
        "Host": f"{HOST}:{port}", "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "HX-Request": "true",
        "X-KeShi-Passive": "1", "X-Forwarded-Proto": "https", "Accept-Language": "en", "Connection": "close"},
        timeout=10)  # fmt: skip
    return response.status, content


class Poller(threading.Thread):
    """The desk's open page: calls:latest every 500 ms, after the last call it showed; notes when each
    number's card first came back."""

    def __init__(self, port: int, cookies: dict):
        super().__init__(daemon=True)
        self.port, self.cookies = port, cookies
        self.path = f"/calls/latest/?since={int(time.time())}"
        self.seen: dict[str, float] = {}
        self.errors: list[str] = []
        self.times: list[float] = []
        self.shown = threading.Condition()
        self.done = threading.Event()

    def run(self):
        tick = time.perf_counter()
        while not self.done.is_set():
            started = time.perf_counter()
            try:
                status, body = desk_get(self.port, self.cookies, self.path)
            except OSError as exc:
                status, body = 0, str(exc).encode()
            self.times.append(time.perf_counter() - started)
            text = body.decode("utf-8", "replace")
            if status == 200 and (after := AFTER.search(text)):
                self.path = f"/calls/latest/?after={after.group(1)}"
                number = NUMBER.search(text)
                if number and 'class="fs-5"' in text:  # the caller's card, not only the number
                    with self.shown:
                        self.seen.setdefault(number.group(1), time.perf_counter())
                        self.shown.notify_all()
            elif status != 204:
                self.errors.append(f"HTTP {status}: {text[:160]}")
            tick += POLL_EVERY  # htmx re-arms `every 500ms` as it fires, whatever the answer takes
            time.sleep(max(0.0, tick - time.perf_counter()))


def known_callers(count: int, seed: int) -> list[str]:
    """Mobiles that are exactly one guest's (and no related person's): their call shows that guest's card."""
    from bookings.phone import caller_lookup
    from guests.models import Guest

    numbers = []
    candidates = Guest.objects.filter(anonymised_at__isnull=True).exclude(mobile="").order_by("?")
    for mobile in candidates.values_list("mobile", flat=True)[: count * 3]:
        if len(caller_lookup(mobile).matches) == 1:
            numbers.append(mobile)
        if len(numbers) == count:
            break
    random.Random(seed).shuffle(numbers)
    return numbers


def poll_sql(args, log, client_obj, run: str) -> list:
    """The poll's SQL, in process: every statement of one request and its time, nothing new and with a card."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from bench.lookup import bench_session
    from calls.models import PhoneCall
    from calls.services import call_record

    desk, _session = bench_session()
    call, _new = call_record(client=client_obj, number=known_callers(1, args.seed)[0], answered=True,
                             external_id=f"{run}-sql")  # fmt: skip
    url, headers = reverse("calls:latest"), {"HTTP_HX_REQUEST": "true", "HTTP_X_KESHI_PASSIVE": "1"}
    newest = PhoneCall.objects.order_by("-pk").values_list("pk", flat=True).first()

    def measure(after: int, status: int) -> tuple[list[float], int]:
        totals = []
        for _ in range(max(20, args.samples)):
            with SqlTime() as sql:
                response = desk.get(url, {"after": after}, **headers)
            if response.status_code != status:
                raise RuntimeError(f"calls:latest: HTTP {response.status_code}, expected {status}")
            totals.append(sql.ms)
        return sorted(totals), sql.statements

    with CaptureQueriesContext(connection) as captured:
        desk.get(url, {"after": newest}, **headers)
    poll = next(q["sql"] for q in captured.captured_queries if "calls_phonecall" in q["sql"])
    idle, idle_n = measure(newest, 204)
    card, card_n = measure(call.pk - 1, 200)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {poll}")
        plan = [row[0] for row in cursor.fetchall()]
    log(f"  the poll's SQL (django.test.Client, in process): nothing new {idle_n} statements, with the card {card_n}; "
        f"the poll's own query:")  # fmt: skip
    for line in plan:
        log(f"    {line}")
    PhoneCall.objects.filter(pk=call.pk).delete()
    return [
        (f"poll SQL, nothing new ({idle_n} statements)", f"{statistics.median(idle):.2f}",
         f"{percentile(idle, 0.95):.2f}", f"≤ {POLL_SQL_MS:.0f}", percentile(idle, 0.95) <= POLL_SQL_MS),
        (f"poll SQL, the card ({card_n} statements)", f"{statistics.median(card):.2f}",
         f"{percentile(card, 0.95):.2f}", "", None),
    ]  # fmt: skip


def calls(args, log, *, port: int, key: str, client_obj, run: str) -> list:
    from bench.api_ingest import api_call
    from bench.bookings_load import desks
    from bench.load_visits import Browser
    from calls.models import PhoneCall

    numbers = known_callers(args.calls, args.seed)
    browser = Browser(port, keep_messages=False)
    browser.login(desks(1)[0])
    log(f"Call to pop-up: {len(numbers)} calls POSTed to /api/v1/calls, one at a time at a random moment of the "
        f"poll's 500 ms, each timed until the desk's poll (calls:latest, a front desk session) returns the "
        f"caller's card; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    poller = Poller(port, browser.cookies)
    poller.start()
    rng = random.Random(args.seed)
    latencies, posts, missing, errors = [], [], 0, []
    try:
        time.sleep(1)  # the page has loaded and polled
        for n, number in enumerate(numbers):
            time.sleep(rng.uniform(0, POLL_EVERY))
            started = time.perf_counter()
            status, _kind, data = api_call(port, key, "POST", "/api/v1/calls",
                                           {"number": number, "answered": True, "call_id": f"{run}-{n}"})  # fmt: skip
            posts.append(time.perf_counter() - started)
            if status != 201 or not data.get("known"):
                errors.append(f"HTTP {status}: {data}")
                continue
            with poller.shown:
                poller.shown.wait_for(lambda number=number: number in poller.seen, timeout=5)
            if number in poller.seen:
                latencies.append(poller.seen[number] - started)
            else:
                missing += 1
    finally:
        poller.done.set()
        poller.join(timeout=5)
    deleted, _kinds = PhoneCall.objects.filter(client=client_obj, external_id__startswith=f"{run}-").delete()
    latencies.sort()
    polls = sorted(poller.times)
    log(f"  POST /api/v1/calls median {percentile(sorted(posts), 0.5) * 1000:.0f} ms; the poll request median "
        f"{percentile(polls, 0.5) * 1000:.1f} ms, p95 {percentile(polls, 0.95) * 1000:.1f} ms over {len(polls)} "
        f"polls; {len(errors) + len(poller.errors)} errors, {missing} cards that never came; {deleted} calls "
        f"deleted")  # fmt: skip
    for error in (errors + poller.errors)[:5]:
        log(f"    e.g. {error}")
    p95 = percentile(latencies, 0.95) * 1000
    rows = [("call to pop-up ms", f"{percentile(latencies, 0.5) * 1000:.0f}", f"{p95:.0f}", f"≤ {POPUP_MS:.0f}",
             p95 <= POPUP_MS and latencies != []),
            ("call to pop-up: missing / errors", "", f"{missing} / {len(errors) + len(poller.errors)}", "0 / 0",
             not (missing or errors or poller.errors))]  # fmt: skip
    return rows + poll_sql(args, log, client_obj, run)


# --------------------------------------------------------------------------- the table


def report(rows, log) -> bool:
    log(f"{'case':<44} {'median':>9} {'p95/value':>10} {'target':>10}  ")
    passed = True
    for case, median, value, target, met in rows:
        passed = passed and met is not False
        verdict = "" if met is None else "ok" if met else "MISSED"
        log(f"{case:<44} {median:>9} {value:>10} {target:>10}  {verdict}")
    return passed


def main(argv=None) -> int:
    args = parse_args(argv)
    log = start(args)
    import redis
    from django.db import connection
    from django.utils import timezone

    from bench import api_ingest, api_webhooks
    from bench.visits import SETTINGS_MODULE

    broker = os.environ["CELERY_BROKER_URL"]

    messages = redis.Redis.from_url(broker)
    if messages.dbsize():
        sys.exit(f"The broker database {broker} is not empty; pick another with --redis-broker.")
    log(f"load average at the start: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    seed_archive(args, log, timezone.localdate())
    client_obj, key = machine_key()
    run = f"api{int(time.time())}"
    log(f"API benchmark, {args.guests:,} guests, database {connection.settings_dict['NAME']}, settings "
        f"{SETTINGS_MODULE}, run {run}")  # fmt: skip
    rows, passed = [], True
    if not args.skip_lookup:
        log("")
        rows += lookup(args, log, key)
    if not (args.skip_ingest and args.skip_calls):
        port = free_port()
        connection.close()
        env = os.environ | {"DJANGO_SETTINGS_MODULE": SETTINGS_MODULE, "PYTHONWARNINGS": "ignore:No directory at",
                            "KESHI_LOG_LEVEL": "ERROR"}  # fmt: skip
        log("")
        server = start_gunicorn(root=ROOT, port=port, workers=args.workers, env=env, log=log)
        try:
            if not args.skip_ingest:
                rows += api_ingest.run(args, log, port=port, key=key, client=client_obj, run_id=run)[0]
            if not args.skip_calls:
                log("")
                rows += calls(args, log, port=port, key=key, client_obj=client_obj, run=run)
        finally:
            stop(server)
    if not args.skip_webhooks:
        log("")
        rows += api_webhooks.run(args, log, key=key, client_obj=client_obj, run=run, broker=broker, root=ROOT)
    for name in messages.scan_iter():  # the follow-up rules the visits asked for: no worker here takes them
        messages.delete(name)

    log("")
    passed = report(rows, log)
    log(f"load average at the end: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    save(log, f"api-{args.guests}.txt")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
