"""The POS ingest run of bench/api.py: POS clients post bills to POST /api/v1/visits through gunicorn at once.

Each client thread posts, one request at a time for --seconds, bills with unique bill numbers at the
outlet 压测包间 (bench/bookings_seed.CONTENTION, whose bookings are only the contention run's, so no bill
completes a seeded booking): for a known guest by card number (a tenth of them in lower case) or by
mobile (in full, or as +86 with dashes), for a card number no guest has, or for nobody (a walk-in); one in
twenty is a bill that closes before it opens, which the service refuses. A tenth of the posts are a retry
of one of the client's earlier bills, and every PAIR_EVERY-th post two clients send the same new bill at
the same moment (a barrier releases both). A bill's content comes from its number, so a retry is the same
bill. A 201 or 200 is an accepted bill (its PosBill id and visit read from the body), a 4xx with
problem details a refusal, anything else (a 5xx, no answer) an error.

Afterwards SQL checks that every accepted bill is one PosBill row with the id every answer for it gave, a
visit exactly when the bill names a known guest and no other visit made by the client (doubled), none
missing (lost), no row for a bill no answer accepted (unexpected), and that each bill was matched,
left unmatched or refused as its content says. Then the run's bills and visits are deleted.

The visit form's visits/s to compare with is measured on the same server right after, for
--form-seconds: bench/load_visits.py's waiters' client (the same threads, form and checks), logged in as
the front desk users bench/bookings_load.py makes, posting the visit form at the same outlet.
"""

import datetime
import json
import os
import random
import threading
import time
import zoneinfo
from dataclasses import dataclass, field

from bench import load_visits
from bench.bookings_load import desks
from bench.throughput import HOST, percentile
from bench.visits import DISHES_CLASSIC, DRINKS_TABLE

PROBLEM_JSON = "application/problem+json"
PAIR_EVERY = 8  # every 8th post of a pair of clients is the same new bill from both at once
RETRY_SHARE = 0.1
OUTLET_CODE = "BENCH-POS"
WARM_UP = 3  # seconds


def api_call(port: int, key: str, method: str, path: str, payload=None, timeout: float = 30) -> tuple[int, str, object]:
    """One request to the API as a machine sends it: (status, content type, parsed JSON body or None)."""
    headers = {"Host": f"{HOST}:{port}", "Authorization": f"Api-Key {key}", "Accept": "application/json",
               "Accept-Language": "en", "X-Forwarded-Proto": "https", "Connection": "close"}  # fmt: skip
    body = None
    if payload is not None:
        body = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    response, content = load_visits.exchange(port, method, path, headers, body, timeout)
    try:
        data = json.loads(content)
    except ValueError:
        data = content[:200]
    return response.status, response.getheader("Content-Type", ""), data


def pos_outlet() -> tuple:
    """The contention outlet with a POS code, and its rooms' codes (given once)."""
    from bench.bookings_seed import CONTENTION
    from staff.models import Outlet, Room

    outlet = Outlet.objects.get(name=CONTENTION[0])
    if not outlet.code:
        outlet.code = OUTLET_CODE
        outlet.save(update_fields=["code"])
    for n, room in enumerate(Room.objects.filter(outlet=outlet).order_by("name"), start=1):
        if not room.code:
            room.code = f"R{n:02d}"
            room.save(update_fields=["code"])
    return outlet, list(Room.objects.filter(outlet=outlet, is_active=True).values_list("code", flat=True))


@dataclass
class Bills:
    """What a bill number stands for: its content and what the archive should make of it."""

    run: str
    base: datetime.datetime  # the run's start: bills opened before it, the same for every retry
    outlet: str
    rooms: list
    guests: list  # (card_no, mobile) of known guests
    known_only: bool = False  # the like-for-like run: every bill a good one naming a known guest

    def bill(self, number: str) -> tuple[dict, str]:
        rng = random.Random(number)
        opened = self.base - datetime.timedelta(minutes=rng.randint(30, 240))
        items = [{"dish": dish, "quantity": rng.randint(1, 3), "amount": f"{rng.randint(38, 688)}.00"}
                 for dish in rng.sample(DISHES_CLASSIC, rng.randint(2, 5))]  # fmt: skip
        card, mobile = rng.choice(self.guests)
        draw = rng.random() * (0.65 if self.known_only else 1)
        if draw < 0.35:
            guest, outcome = {"card_no": card.lower() if rng.random() < 0.1 else card}, "matched"
        elif draw < 0.65:
            shown = f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}" if rng.random() < 0.3 else mobile
            guest, outcome = {"mobile": shown}, "matched"
        elif draw < 0.8:
            guest, outcome = {"card_no": f"ZZ{rng.randrange(10**8):08d}"}, "unmatched"  # no seeded card
        else:
            guest, outcome = {}, "unmatched"
        closed = opened + datetime.timedelta(minutes=rng.randint(40, 150))
        if rng.random() < 0.05 and not self.known_only:
            closed, outcome = opened - datetime.timedelta(minutes=10), "refused"
        body = {
            "outlet": self.outlet, "room": rng.choice(self.rooms) if rng.random() < 0.7 else "",
            "bill_number": number, "opened_at": opened.isoformat(), "closed_at": closed.isoformat(),
            "party_size": rng.choice((2, 2, 3, 4, 6, 8, 10)), "items": items,
            "drinks": rng.choice(DRINKS_TABLE), "total": f"{sum(int(i['amount'][:-3]) * i['quantity'] for i in items)}.00",
            "payment_method": rng.choice(("cash", "card", "mobile", "account")), "guest": guest,
        }  # fmt: skip
        return body, outcome


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: dict = field(default_factory=dict)  # bill number -> PosBill ids the 2xx answers gave
    visits: dict = field(default_factory=dict)  # bill number -> visit id answered
    expected: dict = field(default_factory=dict)  # bill number -> matched / unmatched / refused
    refused: dict = field(default_factory=dict)  # bill number -> problem detail
    errors: list = field(default_factory=list)
    times: list = field(default_factory=list)
    new: int = 0
    again: int = 0
    together: int = 0  # bills two clients sent at the same moment


def poster(n: int, *, port: int, key: str, bills: Bills, pair, start, stop_at, tally: Tally) -> None:
    rng = random.Random(f"pos-{bills.run}-{n}")
    mine: list[str] = []
    start.wait()
    seq = 0
    try:
        while time.perf_counter() < stop_at[0]:
            seq += 1
            if pair is not None and seq % PAIR_EVERY == 0:
                number = f"{bills.run}-d{n // 2:02d}-{seq:05d}"
                try:
                    pair.wait(timeout=5)
                except threading.BrokenBarrierError:
                    pair = None  # the other client has stopped
                    continue
                if n % 2 == 0:
                    with tally.lock:
                        tally.together += 1
            elif mine and rng.random() < RETRY_SHARE and not bills.known_only:
                number = rng.choice(mine)
            else:
                number = f"{bills.run}-c{n:02d}-{seq:05d}"
                mine.append(number)
            post(port, key, number, bills, tally)
    finally:
        if pair is not None:
            pair.abort()


def warm(*, port: int, key: str, start, stop_at) -> None:
    """Bills with no bill number (a 400) until the run starts: every worker has loaded the app and its caches."""
    start.wait()
    while time.perf_counter() < stop_at[0]:
        try:
            api_call(port, key, "POST", "/api/v1/visits", {"outlet": OUTLET_CODE})
        except OSError:
            pass


def post(port: int, key: str, number: str, bills: Bills, tally: Tally) -> None:
    body, outcome = bills.bill(number)
    started = time.perf_counter()
    try:
        status, kind, data = api_call(port, key, "POST", "/api/v1/visits", body)
    except OSError as exc:
        with tally.lock:
            tally.errors.append(f"{number}: {type(exc).__name__}: {exc}")
        return
    elapsed = time.perf_counter() - started
    with tally.lock:
        tally.times.append(elapsed)
        tally.expected[number] = outcome
        if status in (200, 201) and isinstance(data, dict):
            tally.answers.setdefault(number, set()).add(data["id"])
            tally.visits[number] = data["visit"]
            tally.new += status == 201
            tally.again += status == 200
        elif 400 <= status < 500 and kind.startswith(PROBLEM_JSON):
            tally.refused[number] = data.get("detail", "") if isinstance(data, dict) else ""
        else:
            tally.errors.append(f"{number}: HTTP {status} {kind}: {str(data)[:160]}")


def check(cursor, *, outlet_id: int, run: str, first_visit: int, user_id: int, tally: Tally) -> dict:
    cursor.execute("SELECT bill_number, id, status, visit_id FROM visits_posbill WHERE outlet_id = %s "
                   "AND bill_number LIKE %s", [outlet_id, f"{run}-%"])  # fmt: skip
    rows = cursor.fetchall()
    stored = {number: (pk, status, visit) for number, pk, status, visit in rows}
    cursor.execute("SELECT count(*) FROM visits_visit WHERE id > %s AND created_by_id = %s", [first_visit, user_id])
    visits_made = cursor.fetchone()[0]
    linked = sum(visit is not None for _pk, _status, visit in stored.values())
    accepted = set(tally.answers)
    lost = sum(number not in stored or stored[number][0] not in ids for number, ids in tally.answers.items())
    lost += sum(visit is not None and stored.get(number, (0, "", None))[2] != visit
                for number, visit in tally.visits.items())  # fmt: skip
    wrong = sum(
        (tally.expected[number] == "refused") != (number in tally.refused and number not in accepted)
        or (number in stored and (stored[number][1] == "matched") != (tally.expected[number] == "matched"))
        for number in tally.expected
    )
    return {
        "bills": len(stored), "visits": visits_made, "linked": linked, "lost": lost, "wrong": wrong,
        "doubled": (len(rows) - len(stored)) + sum(len(ids) > 1 for ids in tally.answers.values())
        + (visits_made - linked),
        "unexpected": len(stored.keys() - accepted),
    }  # fmt: skip


def clean_up(cursor, *, outlet_id: int, run: str, first_visit: int, user_id: int) -> tuple[int, int]:
    """Delete the run's bills, then its visits through bench/load_visits.clean_up (their notes marked as
    its waiters' are), which also gives the guests back their last visit."""
    marker = f"{load_visits.MARKER} {run} bill"
    for table in ("visits_visit", "visits_historicalvisit"):
        cursor.execute(f"UPDATE {table} SET notes = %s WHERE id > %s AND created_by_id = %s",
                       [marker, first_visit, user_id])  # fmt: skip
    cursor.execute("DELETE FROM visits_posbill WHERE outlet_id = %s AND bill_number LIKE %s", [outlet_id, f"{run}-%"])
    bills = cursor.rowcount
    deleted, _restored = load_visits.clean_up(cursor, first_id=first_visit, run=run)
    return bills, deleted


def drive(targets, seconds: float) -> float:
    """Start one thread per target(start, stop_at), release them together for `seconds`; the time taken."""
    stop_at = [0.0]

    def go():
        stop_at[0] = time.perf_counter() + seconds

    start = threading.Barrier(len(targets) + 1, action=go)
    threads = [threading.Thread(target=target, kwargs={"start": start, "stop_at": stop_at}, daemon=True)
               for target in targets]  # fmt: skip
    for thread in threads:
        thread.start()
    try:
        start.wait(timeout=180)
    except threading.BrokenBarrierError:
        raise SystemExit("A client could not start (log in or read its form); see above.") from None
    began = stop_at[0] - seconds
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return time.perf_counter() - began


def visit_form(args, log, *, port: int, outlet_id: int, run: str) -> float:
    """bench/load_visits.py's waiters' run, short, on this server: the visit form's visits/s."""
    from django.conf import settings
    from django.db import connection, transaction

    from guests.models import Guest
    from staff.models import Room
    from visits.totals import visit_totals_rebuild

    rooms = list(Room.objects.filter(outlet_id=outlet_id, is_active=True).values_list("pk", flat=True))
    waiters = [load_visits.Waiter(name, outlet_id, "", rooms, DISHES_CLASSIC, DRINKS_TABLE)
               for name in desks(args.clients)]  # fmt: skip
    sample = list(Guest.objects.filter(anonymised_at__isnull=True).order_by("?").values_list("pk", "card_no")[:2000])
    guests, cards = [pk for pk, _card in sample], [card for _pk, card in sample]
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM visits_visit")
        first_id = cursor.fetchone()[0]
    connection.close()
    results, zone = load_visits.Results(), zoneinfo.ZoneInfo(settings.TIME_ZONE)
    common = {"port": port, "guests": guests, "cards": cards, "run": run, "browse": False, "results": results,
              "zone": zone}  # fmt: skip
    elapsed = drive([lambda n=n, w=w, **kw: load_visits.client(n, w, **common, **kw)
                     for n, w in enumerate(waiters, start=1)], args.form_seconds)  # fmt: skip
    with connection.cursor() as cursor:
        counts = load_visits.check(cursor, first_id=first_id, run=run, results=results)
    saved = len(results.post_times)
    log(f"  visit form (bench/load_visits.py's client, {args.clients} front desk users, {args.form_seconds:.0f} s): "
        f"{saved:,} visits in {elapsed:.1f} s = {saved / elapsed:.1f} visits/s; errors {len(results.failed)}, "
        f"lost {counts['lost']}, doubled {counts['doubled']}, unexpected {counts['unexpected']}")  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        deleted, _restored = load_visits.clean_up(cursor, first_id=first_id, run=run)
        visit_totals_rebuild()
    log(f"  cleaned up: {deleted:,} visits of the form run deleted")
    return saved / elapsed


def ingest(args, log, *, port: int, key: str, client, outlet_id: int, bills: Bills, seconds: float,
           pairs: bool) -> tuple:  # fmt: skip
    """One run of the clients posting bills for `seconds`, checked in SQL and cleaned up: (counts, tally,
    elapsed)."""
    from django.db import connection, transaction

    from visits.totals import visit_totals_rebuild

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM visits_visit")
        first_visit = cursor.fetchone()[0]
    connection.close()
    tally = Tally()
    barriers = [threading.Barrier(2) for _ in range(args.clients // 2)] if pairs else []
    targets = [lambda n=n, **kw: poster(n, port=port, key=key, bills=bills, tally=tally,
                                        pair=barriers[n // 2] if n // 2 < len(barriers) else None, **kw)
               for n in range(args.clients)]  # fmt: skip
    elapsed = drive(targets, seconds)
    with connection.cursor() as cursor:
        counts = check(cursor, outlet_id=outlet_id, run=bills.run, first_visit=first_visit, user_id=client.user_id,
                       tally=tally)  # fmt: skip
    times = sorted(tally.times)
    log(f"  requests {len(times):,} in {elapsed:.1f} s = {len(times) / elapsed:.1f}/s; latency median "
        f"{percentile(times, 0.5) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms, max "
        f"{percentile(times, 1.0) * 1000:.0f} ms")  # fmt: skip
    log(f"  answers: {tally.new:,} new (201), {tally.again:,} the bill already kept (200), {len(tally.refused):,} "
        f"bills refused with problem details (4xx), {tally.together:,} bills sent by two clients at once")  # fmt: skip
    log(f"  stored: {counts['bills']:,} bills = {counts['bills'] / elapsed:.1f} bills/s, {counts['linked']:,} of them "
        f"visits = {counts['linked'] / elapsed:.1f} visits/s; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    for error in sorted(set(tally.errors))[:5]:
        log(f"    e.g. {error}")
    with transaction.atomic(), connection.cursor() as cursor:
        deleted_bills, deleted_visits = clean_up(cursor, outlet_id=outlet_id, run=bills.run, first_visit=first_visit,
                                                 user_id=client.user_id)  # fmt: skip
        visit_totals_rebuild()  # the visits were deleted in SQL, past the services
    log(f"  cleaned up: {deleted_bills:,} bills and {deleted_visits:,} visits of the run deleted")
    return counts, tally, elapsed


def run(args, log, *, port: int, key: str, client, run_id: str) -> tuple[list, float | None]:
    """The ingest run, then (with --form-seconds) the like-for-like run and the visit form's; returns the table
    rows and the visit form's visits/s (None when --form-seconds is 0)."""
    from django.db import connection
    from django.utils import timezone

    from guests.models import Guest

    outlet, rooms = pos_outlet()
    guests = list(Guest.objects.filter(anonymised_at__isnull=True).exclude(mobile="").order_by("?")
                  .values_list("card_no", "mobile")[:2000])  # fmt: skip
    connection.close()
    log(f"POS ingest: {args.clients} clients post bills to /api/v1/visits for {args.seconds:.0f} s at {outlet} "
        f"(code {outlet.code}); {RETRY_SHARE:.0%} retries, every {PAIR_EVERY}th post of a pair of clients the same "
        f"bill at once, after a {WARM_UP} s warm-up; gunicorn {args.workers} sync workers on {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    drive([lambda **kw: warm(port=port, key=key, **kw) for _ in range(args.clients)], WARM_UP)
    mix = Bills(run=run_id, base=timezone.now(), outlet=outlet.code, rooms=rooms, guests=guests)
    counts, tally, elapsed = ingest(args, log, port=port, key=key, client=client, outlet_id=outlet.pk, bills=mix,
                                    seconds=args.seconds, pairs=True)  # fmt: skip
    bills_s, visits_s = counts["bills"] / elapsed, counts["linked"] / elapsed
    like = form = None
    if args.form_seconds:
        log(f"  like for like with the form, {args.form_seconds:.0f} s: every bill new, good and naming a known guest "
            f"(by card number or mobile), no retry, no pair, no refusal: one visit a request, as a form post is")  # fmt: skip
        same = Bills(run=f"{run_id}-like", base=timezone.now(), outlet=outlet.code, rooms=rooms, guests=guests,
                     known_only=True)  # fmt: skip
        like_counts, like_tally, like_elapsed = ingest(args, log, port=port, key=key, client=client,
                                                       outlet_id=outlet.pk, bills=same, seconds=args.form_seconds,
                                                       pairs=False)  # fmt: skip
        like = like_counts["linked"] / like_elapsed
        for name in ("lost", "doubled", "unexpected", "wrong"):
            counts[name] += like_counts[name]
        tally.errors += like_tally.errors
        form = visit_form(args, log, port=port, outlet_id=outlet.pk, run=f"{run_id}-form")
    faults = counts["lost"] + counts["doubled"] + counts["unexpected"] + counts["wrong"]
    times = sorted(tally.times)
    rows = [
        ("POS ingest: errors (5xx, no answer)", "", f"{len(tally.errors)}", "0", not tally.errors),
        ("POS ingest: lost / doubled", "", f"{counts['lost']} / {counts['doubled']}", "0 / 0",
         not (counts["lost"] or counts["doubled"])),
        ("POS ingest: unexpected / wrong outcome", "", f"{counts['unexpected']} / {counts['wrong']}", "0 / 0",
         not (counts["unexpected"] or counts["wrong"])),
        ("POS ingest: request latency ms", f"{percentile(times, 0.5) * 1000:.0f}",
         f"{percentile(times, 0.95) * 1000:.0f}", "", None),
        ("POS ingest: bills/s (the mix)", "", f"{bills_s:.1f}", "", None),
        # The strict reading: the mix's visits/s, where a retry, a refusal or an unmatched bill is a request
        # that makes no visit (work the form never does). Printed, and said against the form, not a target.
        ("POS ingest: visits/s (the mix, strict)", "", f"{visits_s:.1f}",
         "(≥ form)" if form else "(no form run)", None),
    ]  # fmt: skip
    if form:
        rows += [
            ("POS ingest: visits/s (like for like)", "", f"{like:.1f}", "≥ form", like >= form),
            ("visit form: visits/s", "", f"{form:.1f}", "", None),
        ]
        log(f"  visits/s: the mix {visits_s:.1f} ({'at least' if visits_s >= form else 'below'} the form's "
            f"{form:.1f}: strict), like for like {like:.1f} ({'at least' if like >= form else 'below'} the form's: "
            f"the target)")  # fmt: skip
    log(f"  POS ingest: {'ok' if not (faults or tally.errors) else 'FAILED'}")
    return rows, form
