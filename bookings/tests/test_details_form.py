"""The booking form's details: contact, standard and menu, drinks, dietary needs, deposit, source, owner and
a tentative hold, on the new booking and on the change, with their refusals."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.forms import BookingForm
from bookings.models import Booking
from guests.tests.factories import GuestFactory
from staff.models import Outlet

from .factories import book
from .test_pages import EN, new_booking_post

pytestmark = pytest.mark.django_db


def details(**overrides) -> dict:
    return {"contact_name": "王秘书", "contact_phone": "010-65881234", "standard_kind": "per_table",
            "standard_amount": "3888", "menu": "佛跳墙\n清蒸石斑", "drinks": "茅台两瓶", "drinks_brought": "on",
            "dietary_notes": "一位客人不吃牛肉", "dietary_confirmed": "on", "source": "wechat",
            "deposit_state": "held", "deposit_amount": "2000", "deposit_method": "transfer"} | overrides  # fmt: skip


def test_the_desk_records_contact_standard_menu_drinks_dietary_needs_deposit_source_and_owner(
    client_for, front_desk, manager
):
    guest = GuestFactory(honorific="张总")
    data = new_booking_post(find=guest.card_no) | details(owner=manager.pk)
    response = client_for(front_desk).post(reverse("bookings:create"), data, **EN)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.contact_name, booking.contact_phone, booking.standard_kind, booking.standard_amount) == (
        "王秘书", "010-65881234", "per_table", Decimal("3888"))  # fmt: skip
    assert (booking.menu, booking.drinks, booking.drinks_brought) == ("佛跳墙\n清蒸石斑", "茅台两瓶", True)
    assert (booking.dietary_notes, booking.dietary_confirmed, booking.source, booking.owner) == (
        "一位客人不吃牛肉", True, "wechat", manager)  # fmt: skip
    assert (booking.deposit_state, booking.deposit_amount, booking.deposit_method, booking.deposit_taken_by) == (
        "held", Decimal("2000"), "transfer", front_desk)  # fmt: skip
    assert booking.status == "confirmed"


def test_a_hold_time_makes_the_booking_tentative_until_then(client_for, front_desk):
    guest = GuestFactory()
    hold = (timezone.localtime() + datetime.timedelta(hours=3)).replace(second=0, microsecond=0)
    data = new_booking_post(find=guest.card_no, hold_until=hold.strftime("%Y-%m-%dT%H:%M"))
    assert client_for(front_desk).post(reverse("bookings:create"), data, **EN).status_code == 302
    booking = Booking.objects.get()
    assert booking.status == "tentative" and booking.hold_until == hold


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"standard_kind": ""}, "Say whether the standard is per table or per head."),
        ({"standard_amount": ""}, "Enter the amount of the standard."),
        ({"standard_amount": "很多"}, "Enter a number."),
        ({"deposit_amount": ""}, "Enter the deposit&#x27;s amount."),
        ({"deposit_method": ""}, "Say how the deposit was paid."),
        ({"deposit_state": "none"}, "A deposit with an amount is held, refunded or kept: choose which."),
        ({"deposit_state": "kept"}, "Select a valid choice."),
        ({"source": "walk_in"}, "Select a valid choice."),
        ({"contact_phone": "call me"}, "Enter a telephone number with digits"),
        ({"hold_until": "2020-01-01T10:00"}, "The hold must end in the future."),
        ({"hold_until": "tomorrow"}, "Enter a valid date/time."),
        ({"owner": "999999"}, "Select a valid choice."),
    ],
)
def test_bad_details_get_the_form_back_with_their_message_and_nothing_written(
    client_for, front_desk, overrides, message
):
    data = new_booking_post(find=GuestFactory().card_no) | details(**overrides)
    response = client_for(front_desk).post(reverse("bookings:create"), data, **EN)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Booking.objects.exists()


def test_the_details_open_by_themselves_when_one_of_them_is_refused(client_for, front_desk):
    data = new_booking_post(find=GuestFactory().card_no) | details(standard_kind="")
    body = client_for(front_desk).post(reverse("bookings:create"), data, **EN).content.decode()
    assert '<details class="border rounded p-2 mb-3" open data-testid="booking-details">' in body


def test_only_those_who_handle_deposits_are_given_the_deposit_fields(front_desk, waiter):
    outlets = Outlet.objects.all()
    assert {"deposit_state", "deposit_amount", "deposit_method"} <= set(
        BookingForm(outlets=outlets, user=front_desk).fields
    )
    assert not {"deposit_state", "deposit_amount", "deposit_method"} & set(
        BookingForm(outlets=outlets, user=waiter).fields
    )


def test_the_change_form_keeps_the_details_and_records_a_refund(client_for, front_desk):
    booking = book(
        front_desk, menu="佛跳墙", deposit_state="held", deposit_amount=Decimal("500"), deposit_method="cash"
    )
    client = client_for(front_desk)
    body = client.get(reverse("bookings:edit", args=[booking.pk]), **EN).content.decode()
    assert "佛跳墙" in body and 'value="500.00"' in body
    data = {"date": booking.date.isoformat(), "meal_period": "dinner", "arrival_time": "18:00", "party_size": "8",
            "rooms": [room.pk for room in booking.rooms.all()], "special_requests": "", "menu": "佛跳墙",
            "contact_phone": booking.contact_phone, "standard_kind": "", "standard_amount": "", "drinks": "",
            "dietary_notes": "", "source": "phone", "owner": "", "deposit_state": "refunded", "deposit_amount": "500",
            "deposit_method": "cash", "note": "客人改期"}  # fmt: skip
    response = client.post(reverse("bookings:edit", args=[booking.pk]), data, **EN)
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.deposit_state == "refunded" and booking.menu == "佛跳墙"
    again = client.post(reverse("bookings:edit", args=[booking.pk]), data | {"deposit_state": "held"}, **EN)
    assert again.status_code == 400 and "A deposit that is Refunded cannot become Held." in again.content.decode()
