"""Load run: waiters log visits through gunicorn all at once; every visit saved exactly once.

    .venv/bin/python bench/load_visits.py                         # 20 waiters, 60 s, 4 sync workers, keshi_bench
    .venv/bin/python bench/load_visits.py --clients 20 --seconds 60 --workers 4 --browse

Needs the archive bench/visits.py seeds (outlets, rooms, waiters, guests). Starts
gunicorn (sync workers, production settings with the static manifest, on a free port of
127.0.0.1), logs each client in through the login page with its own password, session
cookie and CSRF token, then has every client POST the visit form (visits:create, a random
guest each time) as a browser does, one request at a time, for --seconds. Each POST
carries a unique marker in its notes, so afterwards the visits the run created are
counted per marker: a successful request (302 to the profile) without its row is lost,
a marker with two rows is doubled, a row for a request that failed is unexpected. Prints
requests/s, median / p95 / max latency, errors, lost / doubled / unexpected; the exit
status is non-zero unless all of those are 0. Then deletes the run's visits and restores
the guests' last visit (--keep keeps them). See bench/README.md.
"""

import argparse
import datetime
import html
import http.client
import os
import random
import re
import sys
import threading
import time
import zoneinfo
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lookup import Tee  # noqa: E402
from bench.throughput import free_port, percentile, start_gunicorn, stop  # noqa: E402
from bench.visits import DEFAULT_DATABASE_URL, OUTLETS, SETTINGS_MODULE, setup  # noqa: E402

HOST = "127.0.0.1"
PASSWORD = "keshi-bench-waiter-2026"
MARKER = "bench-load"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PAYMENTS = ("cash", "card", "mobile", "account")


# --------------------------------------------------------------------------- one browser


def exchange(port: int, method: str, path: str, headers: dict, body: bytes | None = None,
             timeout: float = 30) -> tuple[http.client.HTTPResponse, bytes]:  # fmt: skip
    """One request on a new loopback connection (a gunicorn sync worker closes it after every response)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


class Browser:
    """One waiter's browser: its own cookies (session, CSRF), one request at a time, a new connection each
    (a gunicorn sync worker closes the connection after every response)."""

    def __init__(self, port: int, *, keep_messages: bool):
        self.port = port
        self.origin = f"https://{HOST}:{port}"
        self.cookies: dict[str, str] = {}
        self.keep_messages = keep_messages

    def request(self, method: str, path: str, form: dict | None = None, referer: str | None = None):
        headers = {
            "Host": f"{HOST}:{self.port}",
            "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) KeShi-bench",
            "Accept": "text/html,application/xhtml+xml",
            "Accept-Language": "zh-CN,zh;q=0.9",
            # As the TLS-terminating proxy in front of gunicorn says (SECURE_PROXY_SSL_HEADER).
            "X-Forwarded-Proto": "https",
            "Connection": "close",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin,
                        "Referer": self.origin + (referer or path)}  # fmt: skip
        response, content = exchange(self.port, method, path, headers, body)
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if name == "messages" and not self.keep_messages:
                    continue  # the profile after the redirect would show and clear it
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.getheader("Location", ""), content

    def login(self, username: str) -> None:
        status, _location, page = self.request("GET", "/accounts/login/")
        token = _token(page, "login page")
        status, location, page = self.request(
            "POST", "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD,
                                         "next": ""},
        )  # fmt: skip
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} failed: HTTP {status} {location!r} {_hint(page)}")


def _token(page: bytes, what: str) -> str:
    found = TOKEN.search(page.decode("utf-8", "replace"))
    if not found:
        raise RuntimeError(f"no CSRF token in the {what}: {_hint(page)}")
    return found.group(1)


def _hint(page: bytes) -> str:
    """The first form error or title of a page, to say why a request failed."""
    text = page.decode("utf-8", "replace")
    for pattern in (r'class="invalid-feedback[^"]*"[^>]*>\s*(?:<strong>)?([^<]+)', r"<title>([^<]+)</title>"):
        found = re.search(pattern, text)
        if found:
            return html.unescape(found.group(1).strip())[:160]
    return text[:160]


# --------------------------------------------------------------------------- the waiters


@dataclass
class Waiter:
    username: str
    outlet_id: int
    outlet_code: str
    rooms: list
    dishes: tuple
    drinks: tuple


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    post_times: list = field(default_factory=list)
    form_times: list = field(default_factory=list)
    profile_times: list = field(default_factory=list)
    succeeded: set = field(default_factory=set)  # markers answered 302 to the guest's profile
    failed: dict = field(default_factory=dict)  # marker -> why


def meal_period(now: datetime.datetime) -> str:
    """What the form pre-selects at this hour (visits.services.default_meal_period)."""
    return next(period for hour, period in ((10, "breakfast"), (14, "lunch"), (17, "tea"), (21, "dinner"),
                                            (24, "late")) if now.hour < hour)  # fmt: skip


def visit_form(rng: random.Random, waiter: Waiter, token: str, marker: str, zone, cards: list) -> dict:
    """The fields a waiter fills in on the phone; the rest keep what the form pre-filled."""
    now = datetime.datetime.now(zone)
    party = rng.choice((1, 2, 2, 2, 3, 4, 4, 6, 8, 10))
    form = {
        "csrfmiddlewaretoken": token,
        "outlet": waiter.outlet_id,
        "room": rng.choice(waiter.rooms) if waiter.rooms and rng.random() < 0.8 else "",
        "meal_period": meal_period(now),
        "visited_at": now.strftime("%Y-%m-%dT%H:%M"),
        "party_size": party,
        "spend": f"{rng.randint(80, 900) * party + rng.choice((0, 0, 0, 0.5, 0.8)):.2f}",
        "payment_method": rng.choice(PAYMENTS),
        "dishes": "、".join(rng.sample(waiter.dishes, min(len(waiter.dishes), rng.randint(2, 5)))),
        "drinks": "、".join(rng.sample(waiter.drinks, rng.choice((0, 1, 1, 2)))),
        "satisfaction": rng.choice(("", "", "", "5", "4", "3")),
        "notes": marker,
        # Ticking an observation would change the guest's preferences: not done, the bench
        # leaves the archive's guests as the seed made them.
        "companion_cards": rng.choice(cards) if party >= 2 and rng.random() < 0.1 else "",
    }
    return form


def client(n: int, waiter: Waiter, *, port: int, guests: list, cards: list, run: str, browse: bool,
           start: threading.Barrier, stop_at: list, results: Results, zone) -> None:  # fmt: skip
    rng = random.Random(f"{run}-{n}")
    browser = Browser(port, keep_messages=browse)
    try:
        browser.login(waiter.username)
        status, _location, page = browser.request("GET", f"/guests/{rng.choice(guests)}/visits/new/")
        token = _token(page, "visit form")
    except Exception as exc:
        with results.lock:
            results.failed[f"login-{n}"] = f"{type(exc).__name__}: {exc}"
        start.abort()
        raise
    start.wait()
    deadline = stop_at[0]
    seq = 0
    while time.perf_counter() < deadline:
        seq += 1
        guest = rng.choice(guests)
        path = f"/guests/{guest}/visits/new/"
        marker = f"{MARKER} {run} c{n:02d}-{seq:05d}"
        try:
            if browse:
                started = time.perf_counter()
                status, _location, page = browser.request("GET", path)
                elapsed = time.perf_counter() - started
                if status != 200:
                    raise RuntimeError(f"form HTTP {status}")
                token = _token(page, "visit form")
                with results.lock:
                    results.form_times.append(elapsed)
            form = visit_form(rng, waiter, token, marker, zone, cards)
            started = time.perf_counter()
            status, location, page = browser.request("POST", path, form)
            elapsed = time.perf_counter() - started
            if status != 302 or location != f"/guests/{guest}/":
                raise RuntimeError(f"HTTP {status} {location!r}: {_hint(page)}")
            with results.lock:
                results.post_times.append(elapsed)
                results.succeeded.add(marker)
            if browse:
                started = time.perf_counter()
                status, _location, page = browser.request("GET", location)
                elapsed = time.perf_counter() - started
                if status != 200:
                    raise RuntimeError(f"profile HTTP {status} after the visit was saved")
                with results.lock:
                    results.profile_times.append(elapsed)
        except Exception as exc:  # any failure of the request counts; the loop goes on
            with results.lock:
                results.failed[marker] = f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------- server


# --------------------------------------------------------------------------- set-up and checks


def waiters_for(count: int, log) -> list[Waiter]:
    """`count` of the seeded waiters, spread over the outlets, each able to log in with PASSWORD."""
    from staff.models import Room, User

    by_outlet = []
    for plan in OUTLETS:
        users = list(User.objects.filter(username__startswith=f"bench_waiter_{plan.code}_", is_active=True)
                     .prefetch_related("outlets").order_by("username"))  # fmt: skip
        by_outlet.append((plan, users))
    picked = []
    for i in range(max(len(users) for _plan, users in by_outlet)):
        for plan, users in by_outlet:
            if i < len(users) and len(picked) < count:
                picked.append((plan, users[i]))
    if len(picked) < count:
        raise SystemExit(f"Only {len(picked)} bench waiters; run bench/visits.py first (it creates them).")
    waiters = []
    hashed = 0
    for plan, user in picked:
        if not user.has_usable_password():
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
            hashed += 1
        outlet = user.outlets.get()
        rooms = list(Room.objects.filter(outlet=outlet, is_active=True).values_list("pk", flat=True))
        waiters.append(Waiter(user.username, outlet.pk, plan.code, rooms, plan.dishes, plan.drinks))
    if hashed:
        log(f"  gave {hashed} waiters the bench password")
    return waiters


def broker(url: str):
    import redis

    client = redis.Redis.from_url(url)
    if client.dbsize():
        raise SystemExit(f"The broker database {url} is not empty; pick another with --broker-db.")
    return client


def check(cursor, *, first_id: int, run: str, results: Results) -> dict:
    cursor.execute(
        "SELECT notes, count(*) FROM visits_visit WHERE id > %s AND notes LIKE %s GROUP BY notes",
        [first_id, f"{MARKER} {run} %"],
    )
    rows = dict(cursor.fetchall())
    return {
        "rows": sum(rows.values()),
        "lost": len(results.succeeded - rows.keys()),
        "doubled": sum(count - 1 for count in rows.values() if count > 1),
        "unexpected": len(rows.keys() - results.succeeded),
    }


def clean_up(cursor, *, first_id: int, run: str) -> tuple[int, int]:
    """Delete the run's visits and give their guests back the last visit and the developed month the
    archive says."""
    from visits.development import developed_rebuild

    like = f"{MARKER} {run} %"
    cursor.execute("SELECT DISTINCT guest_id FROM visits_visit WHERE id > %s AND notes LIKE %s", [first_id, like])
    guests = [r[0] for r in cursor.fetchall()]
    cursor.execute(
        "DELETE FROM visits_visit_companions WHERE visit_id IN "
        "(SELECT id FROM visits_visit WHERE id > %s AND notes LIKE %s)",
        [first_id, like],
    )
    cursor.execute("DELETE FROM visits_historicalvisit WHERE id > %s AND notes LIKE %s", [first_id, like])
    cursor.execute("DELETE FROM visits_visit WHERE id > %s AND notes LIKE %s", [first_id, like])
    deleted = cursor.rowcount
    cursor.execute(
        """
        UPDATE guests_guest g SET last_visit_at = v.last, last_seen_at = COALESCE(v.last, g.created_at)
          FROM guests_guest g0
          LEFT JOIN LATERAL (SELECT max(visited_at) AS last FROM visits_visit WHERE guest_id = g0.id) v ON true
         WHERE g0.id = g.id AND g.id = ANY(%s)
        """,
        [guests],
    )
    restored = cursor.rowcount
    developed_rebuild(guest_ids=guests)  # the deleted visits may have developed their guests
    return deleted, restored


def ms_of(values: list, q: float) -> float:
    return percentile(sorted(values), q) * 1000


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="waiters logging visits at once (default 20)")
    parser.add_argument("--seconds", type=float, default=60, help="length of the run (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--browse", action="store_true",
                        help="GET the form before each POST and follow the redirect to the profile")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the visits the run created")
    parser.add_argument("--broker-db", type=int, default=7,
                        help="Redis database for the Celery messages the visits send (must be empty; emptied after)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the bench database (its name must contain 'bench'); default %(default)s",
    )  # fmt: skip
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if "bench" not in urlsplit(args.database_url).path:
        sys.exit("Refusing to run: the database name must contain 'bench'.")
    log = Tee()
    broker_url = f"redis://127.0.0.1:6379/{args.broker_db}"
    os.environ["CELERY_BROKER_URL"] = broker_url  # before Django reads its settings
    setup(args.database_url, log)
    from django.conf import settings
    from django.db import connection, transaction

    from guests.models import Guest
    from visits.totals import visit_totals_rebuild

    messages = broker(broker_url)
    rng = random.Random(args.seed)
    sample = list(Guest.objects.filter(anonymised_at__isnull=True).order_by("?").values_list("pk", "card_no")[:5000])
    if not sample:
        sys.exit("No guests: run bench/visits.py first.")
    guests, cards = [pk for pk, _card in sample], [card for _pk, card in sample]
    waiters = waiters_for(args.clients, log)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0), count(*) FROM visits_visit")
        first_id, before = cursor.fetchone()
    run = f"{int(time.time())}-{rng.randrange(10**6):06d}"
    connection.close()

    port = free_port()
    env = os.environ | {"DJANGO_SETTINGS_MODULE": SETTINGS_MODULE, "PYTHONWARNINGS": "ignore:No directory at"}
    log("")
    log(f"Visit logging under load: {args.clients} waiters (of {len({w.outlet_id for w in waiters})} outlets), "
        f"{args.seconds:.0f} s, gunicorn {args.workers} sync workers on {os.cpu_count()} cores, settings "
        f"{settings.SETTINGS_MODULE}, database {settings.DATABASES['default']['NAME']} ({before:,} visits), "
        f"Celery messages to {broker_url}; {'form, POST, profile' if args.browse else 'POST only'} per visit")  # fmt: skip
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    results = Results()
    stop_at = [0.0]

    def go():  # run by one thread once everyone is logged in, before any is released
        stop_at[0] = time.perf_counter() + args.seconds

    start = threading.Barrier(args.clients + 1, action=go)
    load_before = os.getloadavg()[0]
    server = start_gunicorn(root=ROOT, port=port, workers=args.workers, env=env, log=log)
    try:
        threads = [
            threading.Thread(
                target=client, args=(n, waiter),
                kwargs={"port": port, "guests": guests, "cards": cards, "run": run, "browse": args.browse,
                        "start": start, "stop_at": stop_at, "results": results, "zone": zone},
                daemon=True,
            )
            for n, waiter in enumerate(waiters, start=1)
        ]  # fmt: skip
        logins = time.perf_counter()
        for thread in threads:
            thread.start()
        try:
            start.wait(timeout=120)
        except threading.BrokenBarrierError:
            raise SystemExit(f"Logging the waiters in failed: {sorted(results.failed.values())[:3]}") from None
        began = stop_at[0] - args.seconds
        log(f"  {args.clients} waiters logged in through the login page in {began - logins:.1f} s")
        for thread in threads:
            thread.join(timeout=args.seconds + 60)
        elapsed = time.perf_counter() - began
    finally:
        stop(server)
    load_after = os.getloadavg()[0]

    with connection.cursor() as cursor:
        counts = check(cursor, first_id=first_id, run=run, results=results)
    posts = results.post_times
    errors = len(results.failed)
    log(f"  POST visits:create  {len(posts):,} saved in {elapsed:.1f} s = {len(posts) / elapsed:.1f} visits/s; "
        f"latency median {ms_of(posts, 0.5):.0f} ms, p95 {ms_of(posts, 0.95):.0f} ms, "
        f"max {ms_of(posts, 1.0):.0f} ms")  # fmt: skip
    if args.browse:
        for label, times in (("GET  the form      ", results.form_times), ("GET  the profile   ",
                                                                         results.profile_times)):  # fmt: skip
            log(f"  {label} {len(times):,} requests; latency median {ms_of(times, 0.5):.0f} ms, "
                f"p95 {ms_of(times, 0.95):.0f} ms, max {ms_of(times, 1.0):.0f} ms")  # fmt: skip
    log(f"  errors (not a 302 to the profile, or no answer): {errors} (target 0)")
    for marker, why in sorted(results.failed.items())[:5]:
        log(f"    e.g. {marker}: {why}")
    log(f"  visits created by the run: {counts['rows']:,}; successful requests: {len(results.succeeded):,}; "
        f"lost {counts['lost']}, doubled {counts['doubled']}, unexpected {counts['unexpected']} (targets 0)")  # fmt: skip
    log(f"  load average {load_before:.1f} before, {load_after:.1f} after (clients, gunicorn and PostgreSQL share "
        f"{os.cpu_count()} cores)")  # fmt: skip
    queued = messages.llen("celery")
    if args.keep:
        log(f"  kept the run's visits (--keep); {queued:,} Celery messages left in {broker_url}")
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            deleted, restored = clean_up(cursor, first_id=first_id, run=run)
            visit_totals_rebuild()  # the run's visits were deleted in SQL, past the services
        for key in messages.scan_iter():
            messages.delete(key)
        log(f"  cleaned up: {deleted:,} visits deleted, last visit restored for {restored:,} guests, "
            f"{queued:,} queued Celery messages (rules for the guest after a visit) dropped")  # fmt: skip

    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    out = results_dir / f"load-visits-{args.clients}c-{args.workers}w{'-browse' if args.browse else ''}.txt"
    out.write_text("\n".join(log.lines) + "\n", encoding="utf-8")
    print(f"\nSaved to {out.relative_to(ROOT)}.")
    failed = errors or counts["lost"] or counts["doubled"] or counts["unexpected"] or counts["rows"] != len(posts)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
