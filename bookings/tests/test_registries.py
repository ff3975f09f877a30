"""Bookings hold data about guests: anonymising forgets it, merging moves it, the guest's download lists it."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from bookings.models import Booking, BookingEvent, WaitingEntry
from bookings.selectors import rooms_free
from bookings.services import booking_arrive, booking_cancel, booking_change, waiting_list_add
from guests import forgetting
from guests.cards.subject_access import guest_data_export
from guests.services import guest_anonymise, guest_merge, related_person_add
from guests.tests.factories import GuestFactory
from visits.tests.factories import outlet

from .factories import book, room, tomorrow, under_way

pytestmark = pytest.mark.django_db

WORDS = {"contact_name": "龘秘书", "menu": "鼗鼙烤鸭", "drinks": "龘靐酒", "special_requests": "鼗鼙蛋糕",
         "dietary_notes": "龘靐过敏"}  # fmt: skip


def rich_booking(front_desk, guest):
    secretary = related_person_add(guest=guest, actor=front_desk, name="龘秘书", relation="secretary",
                                   phone="13800009999")  # fmt: skip
    booking = book(front_desk, guest, contact_phone="13800009999", deposit_amount=Decimal("500"),
                   deposit_method="cash", deposit_state="held", **WORDS)  # fmt: skip
    booking = booking_change(
        actor=front_desk, booking=booking, fields={"special_requests": "鼗鼙改过"}, note="龘靐改期"
    )
    booking = booking_cancel(actor=front_desk, booking=booking, reason="other", note="龘靐取消")
    waiting_list_add(actor=front_desk, guest=guest, fields={"outlet": outlet(), "date": tomorrow(),
                                                            "meal_period": "lunch", "party_size": 6, "note": "鼗鼙候位"})  # fmt: skip
    return booking, secretary


def test_anonymising_blanks_the_words_of_the_guests_bookings_and_keeps_the_figures(front_desk, manager):
    guest = GuestFactory(name="龘靐先生")
    booking, _secretary = rich_booking(front_desk, guest)

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    booking.refresh_from_db()
    assert [getattr(booking, name) for name in (*WORDS, "contact_phone", "cancel_note")] == [""] * 7
    assert (booking.party_size, booking.deposit_amount, booking.status, booking.booked_by) == (
        8, Decimal("500.00"), "cancelled", None)  # fmt: skip
    for version in booking.history.all():
        assert not any(text in str(getattr(version, name)) for name in WORDS for text in ("龘", "鼗"))
        assert version.contact_phone == "" and version.history_change_reason is None
    assert set(BookingEvent.objects.values_list("note", flat=True)) == {""}
    assert set(WaitingEntry.objects.values_list("note", flat=True)) == {""}
    assert booking.events.get(action="change").changes == {"special_requests": None}


def test_the_forgetter_covers_every_text_field_of_the_bookings():
    fields, _deleted = forgetting.handled_fields()
    for label in ("bookings.Booking", "bookings.HistoricalBooking", "bookings.BookingEvent", "bookings.WaitingEntry"):
        assert fields[label]


def test_merging_two_guests_moves_the_bookings_and_waiting_entries_of_the_duplicate(front_desk, manager):
    keep, other = GuestFactory(), GuestFactory()
    booking, secretary = rich_booking(front_desk, other)
    guest_merge(keep=keep, other=other, actor=manager)
    booking.refresh_from_db()
    secretary.refresh_from_db()
    assert booking.guest == keep and booking.booked_by == secretary and secretary.guest == keep
    assert WaitingEntry.objects.get().guest == keep


def sheets(workbook) -> dict[str, list[str]]:
    loaded = load_workbook(io.BytesIO(workbook))
    return {ws.title: [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None] for ws in loaded}


def test_the_guests_download_lists_their_bookings_steps_and_waiting_list(client_for, front_desk, manager):
    guest = GuestFactory(name="欧阳明远")
    rich_booking(front_desk, guest)
    response = client_for(manager).get(reverse("guests:data_download", args=[guest.pk]))
    found = sheets(b"".join(response.streaming_content))
    assert {"预订 Bookings", "预订步骤 Booking steps", "候位 Waiting list"} <= set(found)
    bookings = "\n".join(found["预订 Bookings"])
    assert all(text in bookings for text in ("鼗鼙烤鸭", "鼗鼙改过", "龘秘书", "13800009999", "牡丹厅", "龘靐取消"))
    assert "龘靐改期" in "\n".join(found["预订步骤 Booking steps"])
    assert "鼗鼙候位" in "\n".join(found["候位 Waiting list"])
    assert "鼗鼙蛋糕" in "\n".join(found["修改记录 Change history"])  # the value before the change


def test_a_guest_never_booked_gets_no_booking_sheets(manager):
    titles = [ws.title for ws in guest_data_export(actor=manager, guest=GuestFactory())]
    assert not [title for title in titles if "Booking" in title or "Waiting" in title]


def test_the_download_reads_a_fixed_number_of_queries_however_many_bookings(front_desk, manager):
    def queries(guest):
        with CaptureQueriesContext(connection) as captured:
            guest_data_export(actor=manager, guest=guest)
        return len(captured)

    few, many = GuestFactory(mobile="13900000001"), GuestFactory(mobile="13900000002")
    book(front_desk, few, rooms=[room("一号厅")])
    for n in range(4):
        book(front_desk, many, rooms=[room(f"{n}号厅"), room(f"{n}号桌")], date=tomorrow() + datetime.timedelta(days=n))
    queries(few)  # the manager's permissions are read once, then cached
    assert queries(many) == queries(few)
    assert Booking.objects.filter(guest=many).count() == 4


def test_anonymising_cancels_the_bookings_to_come_frees_their_rooms_and_drops_the_waiting_entry(
    front_desk, waiter, manager
):
    guest = GuestFactory(name="龘靐先生")
    coming = book(front_desk, guest, [room("牡丹厅")])
    seated = booking_arrive(actor=waiter, booking=under_way(front_desk, guest, [room("芙蓉厅")]))
    entry = waiting_list_add(actor=front_desk, guest=guest, fields={"outlet": outlet(), "date": tomorrow(),
                                                                    "meal_period": "lunch", "party_size": 6})  # fmt: skip

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    coming.refresh_from_db()
    seated.refresh_from_db()
    entry.refresh_from_db()
    assert (coming.status, coming.cancel_reason, seated.status, entry.status) == (
        "cancelled", "guest", "arrived", "dropped")  # fmt: skip
    assert room("牡丹厅") in rooms_free(outlet=outlet(), starts_at=coming.starts_at, ends_at=coming.ends_at)
    assert coming.events.get(action="cancel").actor is None
