"""No double booking: with real concurrent transactions on PostgreSQL two desks book one room at once, and the
database itself refuses an overlap; on any database, periods that do not overlap and cancelled bookings free
the room."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from bookings.models import Booking, BookingRoom
from bookings.services import booking_cancel, booking_change, booking_create
from bookings.services import rooms as rooms_module
from bookings.services.common import locked
from crm.tests.concurrency import run_at_once
from guests.tests.factories import GuestFactory
from visits.tests.factories import record_visit

from .factories import book, fields, room, tomorrow

pytestmark = pytest.mark.django_db
concurrent = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hosts():
    """Two callers whose names and numbers must never reach the other one."""
    return [GuestFactory(name="欧阳明远", honorific="欧阳董", mobile="13911110001"),
            GuestFactory(name="司马光华", honorific="司马总", mobile="13911110002")]  # fmt: skip


def both_book(actor, hosts, periods, room_name="牡丹厅"):
    """Each host books the room at once (one thread and one connection each) for their period."""
    wanted = room(room_name)
    queue = list(zip(hosts, periods, strict=True))

    def desk():
        host, (arrival, meal) = queue.pop()
        with translation.override("en"):  # the language is the thread's own
            return booking_create(actor=actor, guest=host, rooms=[wanted],
                                  fields=fields(arrival_time=arrival, meal_period=meal))  # fmt: skip

    return run_at_once(desk)


def assert_refused_with_alternatives(errors, winner):
    [error] = errors
    assert isinstance(error, ValidationError)
    [message] = error.message_dict["rooms"]
    head, free = message.rstrip(".").split(" Free then: ")
    assert head == "牡丹厅 is already booked at that time." and set(free.split("、")) == {"芙蓉厅", "玉兰厅"}
    for secret in (winner.name, winner.honorific, winner.mobile, winner.mobile[-4:]):
        assert secret not in message


@concurrent
def test_two_desks_booking_one_room_at_the_same_moment_one_wins_the_other_is_told_the_free_rooms(
    postgresql, front_desk, hosts
):
    room("芙蓉厅")
    room("玉兰厅")
    seven = (datetime.time(19), "dinner")
    results, errors = both_book(front_desk, hosts, [seven, seven])
    assert len(results) == 1
    [winner] = results
    assert_refused_with_alternatives(errors, winner.guest)
    assert Booking.objects.count() == 1 and BookingRoom.objects.count() == 1


@concurrent
def test_the_database_refuses_the_second_booking_even_when_the_services_check_is_skipped(
    postgresql, front_desk, hosts, monkeypatch
):
    """Without the lock and the check, both transactions reach the table: the exclusion constraint makes
    the second wait for the first and then refuses it, and the desk gets the same message."""
    room("芙蓉厅")
    room("玉兰厅")
    monkeypatch.setattr(rooms_module, "_rooms_lock", lambda ids: None)
    monkeypatch.setattr(rooms_module, "_rooms_taken", lambda booking, ids: False)
    seven, half_past = (datetime.time(19), "dinner"), (datetime.time(19, 30), "dinner")
    results, errors = both_book(front_desk, hosts, [seven, half_past])
    assert len(results) == 1
    assert_refused_with_alternatives(errors, results[0].guest)
    assert BookingRoom.objects.filter(active=True).count() == 1


def test_two_active_holds_of_one_room_overlapping_cannot_be_written_at_all(postgresql, front_desk):
    booking = book(front_desk)
    hold = booking.holds.get()
    other = book(front_desk, rooms=[room("芙蓉厅")])
    with pytest.raises(IntegrityError, match="booking_room_no_overlap"), transaction.atomic():
        BookingRoom.objects.create(booking=other, room=hold.room, starts_at=hold.starts_at + datetime.timedelta(hours=1),
                                   ends_at=hold.ends_at + datetime.timedelta(hours=1))  # fmt: skip
    # An inactive hold (a booking that is over) does not count.
    BookingRoom.objects.create(booking=other, room=hold.room, starts_at=hold.starts_at, ends_at=hold.ends_at,
                               active=False)  # fmt: skip


@concurrent
def test_lunch_and_dinner_in_one_room_both_win_at_the_same_moment(postgresql, front_desk, hosts):
    results, errors = both_book(front_desk, hosts, [(datetime.time(11, 30), "lunch"), (datetime.time(18), "dinner")])
    assert errors == [] and len(results) == 2
    assert BookingRoom.objects.filter(active=True).count() == 2


def test_a_booking_ending_when_the_next_begins_does_not_overlap_it(front_desk, hosts):
    lunch = book(front_desk, hosts[0], meal_period="lunch", arrival_time=datetime.time(11), end_time=datetime.time(14))
    tea = book(front_desk, hosts[1], meal_period="tea", arrival_time=datetime.time(14))
    assert lunch.ends_at == tea.starts_at


def test_a_cancelled_booking_frees_the_room_for_the_next_caller(front_desk, hosts):
    first = book(front_desk, hosts[0])
    with pytest.raises(ValidationError):
        book(front_desk, hosts[1])
    booking_cancel(actor=front_desk, booking=first, reason="guest")
    second = book(front_desk, hosts[1])
    assert second.holds.get().room == first.holds.get().room


@concurrent
def test_two_desks_moving_two_bookings_into_one_room_at_once_one_wins(postgresql, front_desk, hosts):
    room("玉兰厅")
    bookings = [book(front_desk, hosts[0], rooms=[room("芙蓉厅")]), book(front_desk, hosts[1], rooms=[room("玉兰厅")])]
    target = room("牡丹厅")

    def move():
        return booking_change(actor=front_desk, booking=bookings.pop(), fields={}, rooms=[target])

    results, errors = run_at_once(move)
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert BookingRoom.objects.filter(room=target, active=True).count() == 1
    assert Booking.objects.filter(date=tomorrow()).count() == 2


@concurrent
def test_a_step_on_a_booking_does_not_hold_up_the_outlets_other_bookings_and_visits(postgresql, front_desk, hosts):
    """A step locks its booking's row only: the outlet's row (and the guest's) stay free for the others."""
    booking = book(front_desk, hosts[0])
    inside, leave = threading.Event(), threading.Event()

    def step_in_progress():
        try:
            with transaction.atomic():
                locked(booking)
                inside.set()
                leave.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=step_in_progress)
    thread.start()
    try:
        assert inside.wait(20)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            record_visit(hosts[1], front_desk)
            book(front_desk, hosts[1], rooms=[room("芙蓉厅")])
    finally:
        leave.set()
        thread.join(20)
