"""Demo bookings: a live room board for today and the week, written through the bookings services.

Today's parties are booked as the desk would have booked them this morning, and seated as the
greeter seats them; yesterday's no-show is booked and marked as it was yesterday. The services read
the time from django.utils.timezone.now, so the clock is set for each step (`clock`): every row then
says what a real day would have left, with its history, whatever the hour the demo is loaded.
"""

import datetime
import random
from contextlib import contextmanager
from unittest import mock

from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_arrive, booking_create, booking_no_show, waiting_list_add, walk_in_seat
from staff import roles
from staff.models import Outlet, Room

ROOMS = {
    Outlet.Kind.RESTAURANT: [("牡丹厅", 12, True), ("芙蓉厅", 10, True), ("兰亭", 8, True), ("竹轩", 6, True),
                             ("大厅1号桌", 4, False), ("大厅2号桌", 4, False), ("大厅3号桌", 6, False)],
    Outlet.Kind.BANQUET: [("宴会厅A区", 120, True), ("宴会厅B区", 80, True)],
}  # fmt: skip
PURPOSES = ["business", "family", "birthday", "business", "government", "family", "anniversary"]
LUNCH, DINNER = datetime.time(11, 45), datetime.time(18, 0)


@contextmanager
def clock(day: datetime.date, at: datetime.time):
    moment = timezone.make_aware(datetime.datetime.combine(day, at))
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def demo_rooms(outlets) -> dict[Outlet, list[Room]]:
    found = {}
    for outlet in outlets:
        found[outlet] = [
            Room.objects.get_or_create(outlet=outlet, name=name, defaults={"seats": seats, "is_private": private})[0]
            for name, seats, private in ROOMS.get(outlet.kind, [])
        ]
    return {outlet: rooms for outlet, rooms in found.items() if rooms}


def load_bookings(*, users, outlets, guests) -> int:
    """Bookings for today and the next six days, some seated, a walk-in, a tentative hold and
    yesterday's no-show; nothing when bookings are already there."""
    if Booking.objects.exists() or not guests:
        return 0
    rng = random.Random(11)
    desk, greeter = users[roles.FRONT_DESK], users[roles.WAITER]
    today = timezone.localdate()
    made = 0
    hosts = iter(rng.sample(guests, len(guests)) * 3)

    def book(day, meal, at, room, party, booked_on=None, **extra):
        nonlocal made
        fields = {"outlet": room.outlet, "date": day, "meal_period": meal, "arrival_time": at, "party_size": party,
                  "purpose": rng.choice(PURPOSES), "source": rng.choice(["phone", "phone", "wechat", "staff"])}  # fmt: skip
        with clock(booked_on or day - datetime.timedelta(days=1), datetime.time(10, 0)):
            booking = booking_create(actor=desk, guest=next(hosts), rooms=[room], fields=fields | extra)
        made += 1
        return booking

    for number, (outlet, rooms) in enumerate(demo_rooms(outlets).items()):
        private = [room for room in rooms if room.is_private]
        for offset in range(7):
            day = today + datetime.timedelta(days=offset)
            for room in rng.sample(private, min(len(private), 3 if offset == 0 else 2)):
                book(day, "dinner", DINNER, room, rng.randint(4, room.seats or 10))
            if offset == 0:
                for room in private[:2]:
                    lunch = book(day, "lunch", LUNCH, room, rng.randint(4, room.seats or 10))
                    with clock(day, datetime.time(11, 50)):
                        booking_arrive(actor=greeter, booking=lunch)
                tables = [room for room in rooms if not room.is_private]
                if tables:
                    with clock(day, datetime.time(12, 5)):
                        walk_in_seat(actor=greeter, guest=next(hosts), rooms=[tables[0]],
                                     fields={"outlet": outlet, "meal_period": "lunch", "party_size": 3})  # fmt: skip
                    made += 1
        if number:
            continue  # one tentative hold and one no-show, at the first outlet
        # Held until noon tomorrow while the host's secretary checks his diary.
        tomorrow = today + datetime.timedelta(days=1)
        free = [room for room in private if not room.holds.filter(booking__date=tomorrow).exists()]
        if free:
            hold = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(12, 0)))
            book(tomorrow, "dinner", datetime.time(18, 30), free[0], 6, booked_on=today, hold_until=hold)
        # Yesterday's party that never came.
        yesterday = today - datetime.timedelta(days=1)
        missed = book(yesterday, "dinner", DINNER, private[-1], 8, booked_on=yesterday - datetime.timedelta(days=2))
        with clock(yesterday, datetime.time(19, 30)):
            booking_no_show(actor=desk, booking=missed)
        # Tonight's waiting list: a private room for eight, then any table for four.
        with clock(today, datetime.time(10, 30)):
            for party, kind in ((8, "private"), (4, "any")):
                waiting_list_add(actor=desk, guest=next(hosts), fields={"outlet": outlet, "date": today,
                                 "meal_period": "dinner", "party_size": party, "room_kind": kind})  # fmt: skip
    return made
