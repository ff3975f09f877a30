"""One year of bookings for bench/bookings.py, loaded with COPY over the guest archive bench/seed.py made.

Five outlets of 40 rooms and tables each, lunch and dinner every day from six months back to six months
ahead; a banquet hall of 200 tables holds one dinner of 200 parties (the service sheet's case). Each
booking's period is bookings.services.rooms.booking_period's, and each room it holds is a BookingRoom row
with that period and `active` as the services leave it (tentative, confirmed and arrived hold the room;
completed, no-show and cancelled do not). Past meal periods end completed or no-show, to come confirmed or
tentative; cancelled bookings come on top, in rooms others then took. The contact phone and the owner are
filled in as bookings.services.desk._fill_in does; each booking gets its "booked" step. Not made: the
simple-history rows and the visits of completed bookings (no timed page reads them; `visit_id` is empty).
"""

import datetime
import functools
import io
import random
import time

from bench.seed import encode

OUTLETS = (  # (name, kind); five of ROOMS rooms and tables each
    ("悦府中餐厅", "restaurant"),
    ("江南小馆", "restaurant"),
    ("粤式茶楼", "restaurant"),
    ("海港西餐厅", "restaurant"),
    ("云顶酒廊", "bar"),
)
ROOMS = 40
PRIVATE = 16  # of the 40: private rooms (包间), the rest hall tables
HALL = ("大宴会厅", 200)  # the banquet hall of the 200-party service sheet
CONTENTION = ("压测包间", 10)  # the contention run's own outlet: its bookings are the run's
DAYS_BACK, DAYS_AHEAD = 182, 183
FULL = 0.97  # the largest share of an outlet's rooms one meal period books
PEOPLE_SHARE = 50  # one guest in this many has a related person (a secretary, a driver) who books
ARRIVALS = {"lunch": ("11:00", "11:15", "11:30", "11:45", "12:00", "12:30"),
            "dinner": ("17:00", "17:30", "18:00", "18:00", "18:30", "19:00", "19:30")}  # fmt: skip
PURPOSES = (("business", 30), ("family", 30), ("government", 8), ("birthday", 10), ("anniversary", 4),
            ("wedding", 2), ("other", 16))  # fmt: skip
SOURCES = (("phone", 70), ("wechat", 20), ("staff", 10))
CANCEL_REASONS = ("guest", "guest", "changed", "duplicate", "restaurant")
RELATIONS = ("secretary", "driver", "office", "assistant", "family")
BOOKING_TABLES = ("bookings_bookingevent", "bookings_bookingroom", "bookings_historicalbooking", "bookings_booking")


def _weighted(rng: random.Random, pairs) -> str:
    return rng.choices([value for value, _w in pairs], weights=[w for _v, w in pairs])[0]


def ensure_outlets() -> dict:
    """{outlet name: [room ids, private first]} for the five outlets, the banquet hall and the contention outlet."""
    from staff.models import Outlet, Room

    plan = [(name, kind, ROOMS, PRIVATE) for name, kind in OUTLETS]
    plan += [(HALL[0], "banquet", HALL[1], 0), (CONTENTION[0], "restaurant", CONTENTION[1], CONTENTION[1])]
    rooms = {}
    for name, kind, count, private in plan:
        outlet, _created = Outlet.objects.get_or_create(name=name, defaults={"kind": kind})
        wanted = [(f"包间{n:02d}" if n <= private else f"{n - private:03d}号桌", n <= private)
                  for n in range(1, count + 1)]  # fmt: skip
        have = set(Room.objects.filter(outlet=outlet).values_list("name", flat=True))
        Room.objects.bulk_create(
            Room(outlet=outlet, name=room, is_private=is_private, seats=20 if is_private else 10)
            for room, is_private in wanted if room not in have
        )  # fmt: skip
        rooms[name] = list(Room.objects.filter(outlet=outlet, is_active=True).order_by("-is_private", "name")
                           .values_list("pk", "is_private"))  # fmt: skip
    return rooms


def hall_day(today: datetime.date) -> datetime.date:
    """The banquet hall's 200-party dinner: the first Saturday at least three days ahead."""
    day = today + datetime.timedelta(days=3)
    return day + datetime.timedelta(days=(5 - day.weekday()) % 7)


def seeded(cursor, *, bookings: int, today: datetime.date, rooms: dict) -> bool:
    """Whether the database already holds this seed: about `bookings` bookings and the 200-party dinner."""
    cursor.execute("SELECT count(*) FROM bookings_booking")
    total = cursor.fetchone()[0]
    hall = [pk for pk, _private in rooms[HALL[0]]]
    cursor.execute(
        "SELECT count(DISTINCT b.id) FROM bookings_booking b JOIN bookings_bookingroom r ON r.booking_id = b.id "
        "WHERE b.date = %s AND b.meal_period = 'dinner' AND r.room_id = ANY(%s) AND r.active",
        [hall_day(today), hall],
    )
    return abs(total - bookings - HALL[1]) <= 0.05 * bookings and cursor.fetchone()[0] == HALL[1]


def _people(cursor, *, guests: int, rng: random.Random) -> dict[int, list[tuple[int, str]]]:
    """Related people for one guest in PEOPLE_SHARE (the regulars first): {guest id: [(person id, phone)]}."""
    from guests.models import RelatedPerson

    count = max(1, guests // PEOPLE_SHARE)
    chosen = rng.sample(range(1, guests + 1), count)
    phones = rng.sample(range(10**8), count)
    names = ("小刘", "小王", "小张", "李秘书", "王师傅", "陈主任", "赵助理", "周姐")
    lines, people = [], {}
    for n, (guest_id, phone) in enumerate(zip(chosen, phones, strict=True), start=1):
        number = f"199{phone:08d}"
        lines.append(f"{n}\t{guest_id}\t{rng.choice(names)}\t{rng.choice(RELATIONS)}\t{number}")
        people.setdefault(guest_id, []).append((n, number))
    table = RelatedPerson._meta.db_table
    cursor.execute(f'TRUNCATE "{table}" RESTART IDENTITY CASCADE')
    cursor.cursor.copy_expert(f'COPY "{table}" (id, guest_id, name, relation, phone) FROM STDIN',
                              io.StringIO("\n".join(lines) + "\n"))  # fmt: skip
    cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, count])
    return people


def _columns():
    """bookings_booking's columns in order, with the encoded default of each."""
    from bookings.models import Booking

    fields = Booking._meta.concrete_fields
    return [f.column for f in fields], {f.column: encode(f.get_default()) for f in fields}


def _slots(today: datetime.date, bookings: int, room_count: int) -> list[tuple[datetime.date, str, float]]:
    """(day, meal period, share of the rooms booked): Friday and Saturday dinners fuller, the far future
    emptier, scaled so the year holds about `bookings` bookings (cancellations included)."""
    slots = []
    for offset in range(-DAYS_BACK, DAYS_AHEAD):
        day = today + datetime.timedelta(days=offset)
        for meal in ("lunch", "dinner"):
            weight = 1.3 if meal == "dinner" and day.weekday() in (4, 5) else 1.0
            weight *= 0.8 if meal == "lunch" else 1.0
            if offset > 30:
                weight *= max(0.4, 1 - (offset - 30) / 250)
            slots.append((day, meal, weight))
    wanted = bookings / 1.12 / room_count  # held bookings per room over the year; 12 % more are cancelled
    low, high = 0.0, 100.0
    for _ in range(60):  # the scale whose capped shares add up to what is wanted
        scale = (low + high) / 2
        low, high = (scale, high) if sum(min(FULL, w * scale) for _d, _m, w in slots) < wanted else (low, scale)
    return [(day, meal, min(FULL, w * scale)) for day, meal, w in slots]


def seed_bookings(*, connection, guests: int, bookings: int, rooms: dict, today: datetime.date, seed: int,
                  log) -> int:  # fmt: skip
    """Empty the bookings and load about `bookings` of them, plus the banquet hall's 200-party dinner."""
    from django.db import transaction
    from django.utils import timezone

    from bookings.services import booking_period
    from staff.models import Outlet

    started = time.perf_counter()
    rng = random.Random(seed)
    now = timezone.now()
    period = functools.lru_cache(maxsize=None)(
        lambda day, meal, at: booking_period(date=day, meal_period=meal, arrival_time=datetime.time.fromisoformat(at))
    )
    columns, defaults = _columns()
    regulars = rng.sample(range(1, guests + 1), max(1, guests // 20))
    rows, holds = [], []

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(BOOKING_TABLES)} RESTART IDENTITY CASCADE")
        people = _people(cursor, guests=guests, rng=rng)

        def add(outlet_id, day, meal, room_ids, status, private):
            at = rng.choice(ARRIVALS[meal])
            starts, ends = period(day, meal, at)
            if status is None:  # held: what it became by now
                if ends <= now:
                    status = "completed" if rng.random() < 0.95 else "no_show"
                elif starts <= now:
                    status = "arrived"
                else:
                    status = "tentative" if rng.random() < 0.08 else "confirmed"
            guest = rng.choice(regulars) if rng.random() < 0.4 else rng.randint(1, guests)
            person = people.get(guest)
            booked_by, phone = person[0] if person and rng.random() < 0.6 else (None, "")
            created = max(starts - datetime.timedelta(minutes=rng.randint(60, 60 * 24 * 30)),
                          now - datetime.timedelta(days=DAYS_BACK + 30))  # fmt: skip
            created = min(created, now - datetime.timedelta(minutes=5))
            booking_id = len(rows) + 1
            values = {
                "id": booking_id, "guest_id": guest, "booked_by_id": booked_by, "contact_phone": phone,
                "outlet_id": outlet_id, "date": day, "meal_period": meal, "arrival_time": at, "end_time": None,
                "starts_at": starts, "ends_at": ends,
                "party_size": rng.randint(6, 20) if private else rng.choice((2, 2, 3, 4, 4, 5, 6, 8, 10)),
                "purpose": _weighted(rng, PURPOSES), "source": _weighted(rng, SOURCES), "status": status,
                "hold_until": min(starts, now + datetime.timedelta(days=rng.randint(1, 7))) if status == "tentative"
                else None,
                "arrived_at": starts + datetime.timedelta(minutes=rng.randint(-10, 20))
                if status in ("arrived", "completed") else None,
                "cancel_reason": rng.choice(CANCEL_REASONS) if status == "cancelled" else "",
                "created_at": created, "updated_at": min(max(created, ends), now),
            }  # fmt: skip
            rows.append("\t".join(encode(values[c]) if c in values else defaults[c] for c in columns))
            active = status in ("tentative", "confirmed", "arrived")
            for room_id in room_ids:
                holds.append(f"{booking_id}\t{room_id}\t{encode(starts)}\t{encode(ends)}\t{'t' if active else 'f'}")

        outlet_rooms = {name: rooms[name] for name, _kind in OUTLETS}
        outlet_ids = dict(Outlet.objects.filter(name__in=list(rooms)).values_list("name", "pk"))
        for day, meal, share in _slots(today, bookings, sum(len(r) for r in outlet_rooms.values())):
            for name, room_list in outlet_rooms.items():
                free = list(room_list)
                rng.shuffle(free)
                held = sum(rng.random() < share for _ in free)
                taken = 0
                while taken < held and free:
                    pk, private = free.pop()
                    chosen = [pk]
                    if private and free and rng.random() < 0.03:  # a banquet over two rooms
                        chosen.append(free.pop()[0])
                    add(outlet_ids[name], day, meal, chosen, None, private)
                    taken += 1
                for _ in range(sum(rng.random() < 0.12 for _ in range(held))):  # cancelled; the room went to another
                    pk, private = rng.choice(room_list)
                    add(outlet_ids[name], day, meal, [pk], "cancelled", private)
        for pk, _private in rooms[HALL[0]]:  # the 200-party dinner in the banquet hall
            add(outlet_ids[HALL[0]], hall_day(today), "dinner", [pk], "confirmed", False)
        log(f"  generated {len(rows):,} bookings holding {len(holds):,} rooms ({time.perf_counter() - started:.0f} s)")

        raw = cursor.cursor
        quoted = ", ".join(f'"{c}"' for c in columns)
        raw.copy_expert(f"COPY bookings_booking ({quoted}) FROM STDIN", io.StringIO("\n".join(rows) + "\n"))
        raw.copy_expert("COPY bookings_bookingroom (booking_id, room_id, starts_at, ends_at, active) FROM STDIN",
                        io.StringIO("\n".join(holds) + "\n"))  # fmt: skip
        log(f"  copied ({time.perf_counter() - started:.0f} s)")
        # bookings.services.desk._fill_in: the phone to call back is the host's mobile unless a related
        # person booked; the owner is the guest's.
        cursor.execute(
            "UPDATE bookings_booking b SET contact_phone = CASE WHEN b.booked_by_id IS NULL THEN g.mobile "
            "ELSE b.contact_phone END, owner_id = g.owner_id FROM guests_guest g WHERE g.id = b.guest_id"
        )
        # The step each booking began with (booking_create records it).
        cursor.execute(
            "INSERT INTO bookings_bookingevent (booking_id, action, from_status, to_status, at, changes, note) "
            "SELECT id, 'create', '', CASE WHEN status = 'tentative' THEN 'tentative' ELSE 'confirmed' END, "
            "created_at, '{}'::jsonb, '' FROM bookings_booking"
        )
        for table in ("bookings_booking", "bookings_bookingroom", "bookings_bookingevent"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"GREATEST((SELECT max(id) FROM {table}), 1))")  # fmt: skip
    with connection.cursor() as cursor:
        for table in ("bookings_booking", "bookings_bookingroom", "bookings_bookingevent", "guests_relatedperson"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    log(f"Seeded {len(rows):,} bookings in {time.perf_counter() - started:.0f} s.")
    return len(rows)
