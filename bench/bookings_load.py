"""The contention run of bench/bookings.py: desks booking the same 10 rooms at once through gunicorn.

Each client is a front desk user (bench_desk_NN) who logs in through the login page (bench.load_visits'
Browser: its own session and CSRF cookies) and then, for --contention-seconds, POSTs the booking form
(bookings:create, the host found by card number; or with --contention-form phone the phone booking
page, bookings:phone, the host as the caller the number found) for a random one of the 10 rooms of the
outlet 压测包间, at a random lunch or dinner of the next --contention-days days, for a random guest. A 302
to the booking's page is a booking made (its id read from the Location), a 400 saying the room is taken is a refusal, anything else an error. Afterwards
SQL checks that no two active holds of one room overlap (double bookings), that every booking a desk was
told was made exists and holds its room (lost), and that no booking exists that no desk was told of
(unexpected). The outlet's bookings are deleted before and after the run, so it can be run again.
"""

import datetime
import random
import re
import threading
import time
from dataclasses import dataclass, field

from bench.load_visits import PASSWORD, Browser, _hint, _token
from bench.throughput import free_port, percentile, start_gunicorn, stop

REFUSED = ("is already booked at that time", "该时段已被预订")
DETAIL = re.compile(r"/bookings/(\d+)/$")
USERS = "bench_desk_{:02d}"


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    made: list = field(default_factory=list)  # booking ids
    refused: int = 0
    errors: list = field(default_factory=list)
    times: list = field(default_factory=list)


def desks(count: int) -> list[str]:
    """`count` front desk users who can log in with the bench password."""
    from django.contrib.auth.models import Group

    from staff import roles
    from staff.models import User

    group = Group.objects.get(name=roles.FRONT_DESK)
    names = []
    for n in range(1, count + 1):
        user, created = User.objects.get_or_create(username=USERS.format(n), defaults={"last_name": f"前台{n}"})
        if created or not user.check_password(PASSWORD):
            user.set_password(PASSWORD)
            user.save()
        user.groups.add(group)
        names.append(user.username)
    return names


def clear(cursor, outlet_id: int) -> int:
    """Delete the contention outlet's bookings (with their holds, steps and history)."""
    cursor.execute("SELECT id FROM bookings_booking WHERE outlet_id = %s", [outlet_id])
    ids = [row[0] for row in cursor.fetchall()]
    if ids:
        cursor.execute("DELETE FROM bookings_historicalbooking WHERE id = ANY(%s)", [ids])
        for table in ("bookings_bookingroom", "bookings_bookingevent"):  # Django's cascade, not the database's
            cursor.execute(f"DELETE FROM {table} WHERE booking_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM bookings_booking WHERE id = ANY(%s)", [ids])
    return len(ids)


def check(cursor, *, outlet_id: int, made: list[int]) -> dict:
    cursor.execute(
        """
        SELECT count(*) FROM bookings_bookingroom a
          JOIN bookings_bookingroom b ON a.room_id = b.room_id AND a.id < b.id
               AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
         WHERE a.active AND b.active AND a.room_id IN (SELECT id FROM staff_room WHERE outlet_id = %s)
        """,
        [outlet_id],
    )
    doubled = cursor.fetchone()[0]
    cursor.execute(
        "SELECT b.id FROM bookings_booking b WHERE b.outlet_id = %s AND b.status = 'confirmed' "
        "AND EXISTS (SELECT 1 FROM bookings_bookingroom r WHERE r.booking_id = b.id AND r.active)",
        [outlet_id],
    )
    stored = {row[0] for row in cursor.fetchall()}
    cursor.execute("SELECT id FROM bookings_booking WHERE outlet_id = %s", [outlet_id])
    every = {row[0] for row in cursor.fetchall()}
    return {"doubled": doubled, "lost": len(set(made) - stored), "unexpected": len(every - set(made)),
            "stored": len(stored)}  # fmt: skip


def client(n, username, *, port, slots, rooms, guests, outlet_id, phone, start, stop_at, tally) -> None:
    rng = random.Random(f"desk-{n}")
    path = "/bookings/phone/" if phone else "/bookings/new/"
    browser = Browser(port, keep_messages=False)
    try:
        browser.login(username)
        _status, _location, page = browser.request("GET", path)
        token = _token(page, "booking form")
    except Exception as exc:
        with tally.lock:
            tally.errors.append(f"login {username}: {type(exc).__name__}: {exc}")
        start.abort()
        raise
    start.wait()
    while time.perf_counter() < stop_at[0]:
        day, meal, at = rng.choice(slots)
        pk, card = rng.choice(guests)
        host = {"caller": f"g{pk}"} if phone else {"find": card}
        form = host | {"csrfmiddlewaretoken": token, "outlet": outlet_id, "date": day,
                "meal_period": meal, "arrival_time": at, "party_size": rng.randint(4, 16), "rooms": rng.choice(rooms),
                "purpose": "business", "source": "phone"}  # fmt: skip
        started = time.perf_counter()
        try:
            status, location, page = browser.request("POST", path, form)
        except OSError as exc:
            with tally.lock:
                tally.errors.append(f"{type(exc).__name__}: {exc}")
            continue
        elapsed = time.perf_counter() - started
        text = page.decode("utf-8", "replace")
        with tally.lock:
            tally.times.append(elapsed)
            found = DETAIL.search(location) if status == 302 else None
            if found:
                tally.made.append(int(found.group(1)))
            elif status == 400 and any(marker in text for marker in REFUSED):
                tally.refused += 1
            else:
                tally.errors.append(f"HTTP {status} {location!r}: {_hint(page)}")


def run(args, log, *, rooms: dict, root) -> bool:
    import os

    from django.db import connection
    from django.utils import timezone

    from bench.bookings_seed import CONTENTION
    from bench.visits import SETTINGS_MODULE
    from guests.models import Guest
    from staff.models import Outlet

    outlet_id = Outlet.objects.get(name=CONTENTION[0]).pk
    room_ids = [pk for pk, _private in rooms[CONTENTION[0]]]
    today = timezone.localdate()
    slots = [((today + datetime.timedelta(days=d)).isoformat(), meal, at)
             for d in range(1, args.contention_days + 1)
             for meal, times in (("lunch", ("11:00", "11:30", "12:00")), ("dinner", ("17:30", "18:00", "19:00")))
             for at in times]  # fmt: skip
    guests = list(Guest.objects.filter(anonymised_at__isnull=True).order_by("?").values_list("pk", "card_no")[:500])
    phone = args.contention_form == "phone"
    users = desks(args.clients)
    with connection.cursor() as cursor:
        cleared = clear(cursor, outlet_id)
    connection.close()
    log(f"Contention: {args.clients} desks book the same {len(room_ids)} rooms of {CONTENTION[0]} at "
        f"{args.contention_days * 2} meal periods for {args.contention_seconds:.0f} s through "
        f"{'bookings:phone (caller g<id>)' if phone else 'bookings:create (find: card number)'}; "
        f"gunicorn {args.workers} sync "
        f"workers on {os.cpu_count()} cores, settings {SETTINGS_MODULE}"
        f"{f' ({cleared} bookings of an earlier run deleted)' if cleared else ''}")  # fmt: skip
    tally, stop_at = Tally(), [0.0]

    def go():
        stop_at[0] = time.perf_counter() + args.contention_seconds

    start = threading.Barrier(args.clients + 1, action=go)
    load_before = os.getloadavg()[0]
    port = free_port()
    # KESHI_LOG_LEVEL: no access line and no "Bad Request" warning per refusal on the terminal.
    env = os.environ | {"DJANGO_SETTINGS_MODULE": SETTINGS_MODULE, "PYTHONWARNINGS": "ignore:No directory at",
                        "KESHI_LOG_LEVEL": "ERROR"}  # fmt: skip
    server = start_gunicorn(root=root, port=port, workers=args.workers, env=env, log=log)
    try:
        threads = [threading.Thread(target=client, args=(n, user), daemon=True,
                                    kwargs={"port": port, "slots": slots, "rooms": room_ids, "guests": guests,
                                            "outlet_id": outlet_id, "phone": phone, "start": start, "stop_at": stop_at,
                                            "tally": tally})
                   for n, user in enumerate(users, start=1)]  # fmt: skip
        for thread in threads:
            thread.start()
        try:
            start.wait(timeout=180)
        except threading.BrokenBarrierError:
            raise SystemExit(f"Logging the desks in failed: {tally.errors[:3]}") from None
        began = stop_at[0] - args.contention_seconds
        for thread in threads:
            thread.join(timeout=args.contention_seconds + 60)
        elapsed = time.perf_counter() - began
    finally:
        stop(server)
    load_after = os.getloadavg()[0]
    with connection.cursor() as cursor:
        counts = check(cursor, outlet_id=outlet_id, made=tally.made)
    times = sorted(tally.times)
    capacity = len(room_ids) * args.contention_days * 2
    log(f"  requests {len(times):,} in {elapsed:.1f} s = {len(times) / elapsed:.1f}/s; latency median "
        f"{percentile(times, 0.5) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms, max "
        f"{percentile(times, 1.0) * 1000:.0f} ms")  # fmt: skip
    log(f"  bookings made {len(tally.made):,} (of {capacity} room-meals), refusals {tally.refused:,}, "
        f"errors {len(tally.errors)} (target 0)")  # fmt: skip
    for error in sorted(set(tally.errors))[:5]:
        log(f"    e.g. {error}")
    log(f"  double bookings {counts['doubled']} (target 0), lost {counts['lost']} (target 0), "
        f"unexpected {counts['unexpected']} (target 0); {counts['stored']:,} bookings stored")  # fmt: skip
    log(f"  load average {load_before:.2f} before, {load_after:.2f} after")
    if not getattr(args, "keep", False):
        with connection.cursor() as cursor:
            log(f"  cleaned up: {clear(cursor, outlet_id):,} bookings of the run deleted")
    passed = not (tally.errors or counts["doubled"] or counts["lost"] or counts["unexpected"])
    log(f"  contention: {'ok' if passed else 'FAILED'}")
    return passed
