"""The waiting list: when a cancellation frees a room, the desk sees the first waiting party it can serve."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from bookings.models import WaitingEntry
from bookings.selectors import waiting_first_match
from bookings.services import booking_cancel, booking_create, waiting_entry_move, waiting_list_add
from guests.tests.factories import GuestFactory
from visits.tests.factories import outlet

from .factories import book, fields, room, tomorrow

pytestmark = pytest.mark.django_db


def wait(actor, party=4, kind="any", guest=None, **overrides) -> WaitingEntry:
    data = {"outlet": outlet(), "date": tomorrow(), "meal_period": "dinner", "party_size": party, "room_kind": kind}
    return waiting_list_add(actor=actor, guest=guest or GuestFactory(), fields=data | overrides)


def test_a_cancellation_frees_the_room_for_the_first_waiting_party_it_can_serve(front_desk):
    peony = room("牡丹厅", seats=10)
    booking = book(front_desk, rooms=[peony])
    wait(front_desk, party=14)  # too many for the room
    wait(front_desk, kind="table")  # wants the hall
    wait(front_desk, meal_period="lunch")  # another meal
    first = wait(front_desk, party=8, kind="private")
    wait(front_desk, party=6)  # came later
    booking_cancel(actor=front_desk, booking=booking, reason="guest")
    assert waiting_first_match(room=peony, date=tomorrow(), meal_period="dinner") == first


def test_a_room_without_a_seat_count_serves_any_party_that_asked_for_its_kind(front_desk):
    hall = room("大厅5号桌", seats=None, is_private=False)
    entry = wait(front_desk, party=30, kind="table")
    assert waiting_first_match(room=hall, date=tomorrow(), meal_period="dinner") == entry


def test_booking_a_waiting_party_marks_their_entry_booked(front_desk):
    guest = GuestFactory()
    entry = waiting_entry_move(actor=front_desk, entry=wait(front_desk, guest=guest), status="offered")
    booking = booking_create(actor=front_desk, guest=guest, rooms=[room()], fields=fields(), waiting_entry=entry)
    entry.refresh_from_db()
    assert (entry.status, entry.booking) == ("booked", booking)
    assert waiting_first_match(room=room(), date=tomorrow(), meal_period="dinner") is None


def test_another_guests_entry_cannot_be_booked_and_nothing_is_written(front_desk):
    entry = wait(front_desk)
    with pytest.raises(ValidationError, match="another guest's"):
        booking_create(actor=front_desk, guest=GuestFactory(), rooms=[room()], fields=fields(), waiting_entry=entry)
    entry.refresh_from_db()
    assert entry.status == "waiting" and not entry.booking


def test_a_party_offered_a_room_may_wait_again_or_be_dropped_and_dropped_is_final(front_desk):
    entry = wait(front_desk)
    for status in ("offered", "waiting", "dropped"):
        entry = waiting_entry_move(actor=front_desk, entry=entry, status=status)
        assert entry.status == status
    with pytest.raises(ValidationError) as refused:
        waiting_entry_move(actor=front_desk, entry=entry, status="waiting")
    assert refused.value.messages == ["A waiting list entry that is Dropped cannot become Waiting."]
    with pytest.raises(ValidationError, match="by making their booking"):
        waiting_entry_move(actor=front_desk, entry=wait(front_desk), status="booked")


def test_the_waiting_list_refuses_a_day_that_is_over_and_bad_input_and_writes_nothing(front_desk):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        wait(front_desk, party=0, date=yesterday, kind="sofa")
    assert {"party_size", "date", "room_kind"} <= set(refused.value.message_dict)
    assert not WaitingEntry.objects.exists()


def test_a_waiter_does_not_keep_the_waiting_list(waiter):
    with pytest.raises(PermissionDenied):
        wait(waiter)
