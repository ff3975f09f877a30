"""At the door and at the table: walk-ins through the same model, and a booking completed into its visit."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from bookings.selectors import rooms_free, visit_initial
from bookings.services import booking_arrive, booking_complete, booking_create, walk_in_seat
from guests.tests.factories import GuestFactory
from visits.models import Visit
from visits.tests.factories import outlet, record_visit

from .factories import fields, room, under_way

pytestmark = pytest.mark.django_db


def seated(actor, guest=None, **overrides):
    return booking_arrive(actor=actor, booking=under_way(actor, guest, **overrides))


def test_a_walk_in_is_seated_at_once_as_an_arrived_booking_holding_its_table(waiter):
    guest = GuestFactory()
    before = timezone.now()
    booking = walk_in_seat(actor=waiter, guest=guest, rooms=[room("大厅3号桌", is_private=False)],
                           fields={"outlet": outlet(), "party_size": 3})  # fmt: skip
    assert (booking.status, booking.source, booking.created_by) == ("arrived", "walk_in", waiter)
    assert booking.date == timezone.localdate() and booking.arrived_at >= before
    assert booking.starts_at <= timezone.now() < booking.ends_at
    assert booking.meal_period in {"breakfast", "lunch", "tea", "dinner", "late"}
    assert [(e.action, e.to_status) for e in booking.events.all()] == [("walk_in", "arrived")]
    free = rooms_free(outlet=outlet(), starts_at=timezone.now(), ends_at=timezone.now() + datetime.timedelta(hours=1))
    assert "大厅3号桌" not in [r.name for r in free]


def test_a_walk_in_cannot_take_a_room_a_party_is_seated_in(front_desk, waiter):
    seated(front_desk, rooms=[room("牡丹厅")])
    room("芙蓉厅")
    with pytest.raises(ValidationError) as refused:
        walk_in_seat(actor=waiter, guest=GuestFactory(name="李四"), rooms=[room("牡丹厅")],
                     fields={"outlet": outlet(), "party_size": 2})  # fmt: skip
    assert refused.value.message_dict["rooms"] == ["牡丹厅 is already booked at that time. Free then: 芙蓉厅."]


def test_a_waiter_seats_a_walk_in_of_the_archive_but_does_not_create_guests(waiter):
    with pytest.raises(PermissionDenied):
        walk_in_seat(actor=waiter, rooms=[room()], fields={"outlet": outlet(), "party_size": 2},
                     new_guest={"surname": "王", "honorific": "王先生", "mobile": ""})  # fmt: skip


def test_the_desk_seats_a_new_walk_in_guest_by_surname_alone(front_desk):
    booking = walk_in_seat(actor=front_desk, rooms=[room()], fields={"outlet": outlet(), "party_size": 2},
                           new_guest={"surname": "王", "honorific": "王先生", "mobile": ""})  # fmt: skip
    assert (booking.guest.honorific, booking.guest.mobile, booking.contact_phone) == ("王先生", "", "")


def test_the_visit_form_starts_from_the_booking(front_desk):
    guest = GuestFactory()
    booking = seated(front_desk, guest, rooms=[room("二号厅"), room("一号厅")], party_size=10, menu="北京烤鸭、佛跳墙",
                     drinks="茅台两瓶", meal_period="dinner")  # fmt: skip
    assert visit_initial(booking) == {
        "guest": guest, "outlet": outlet(), "room": room("一号厅"),  # the first by name
        "visited_at": timezone.localtime(booking.arrived_at).replace(second=0, microsecond=0),
        "meal_period": "dinner", "party_size": 10, "dishes": "北京烤鸭、佛跳墙", "drinks": "茅台两瓶",
    }  # fmt: skip


def test_completing_logs_the_visit_through_the_visit_service_links_it_and_frees_the_rooms(waiter, front_desk):
    guest = GuestFactory()
    booking = seated(front_desk, guest, menu="北京烤鸭")
    data = visit_initial(booking)
    del data["guest"]
    booking = booking_complete(actor=waiter, booking=booking, visit_fields=data | {"spend": Decimal("1888.00")},
                               observations=["no_spicy"])  # fmt: skip
    visit = booking.visit
    assert (booking.status, visit.guest, visit.dishes, visit.spend, visit.served_by) == (
        "completed", guest, "北京烤鸭", Decimal("1888.00"), waiter)  # fmt: skip
    assert visit.booking == booking
    guest.refresh_from_db()
    assert guest.last_visit_at == visit.visited_at and "不吃辣" in guest.taboos  # the visit service's own effects
    assert not booking.holds.filter(active=True).exists()
    # The room is free again for the rest of the evening.
    again = booking_create(actor=front_desk, guest=GuestFactory(), rooms=[room()],
                           fields=fields(date=booking.date, arrival_time=booking.arrival_time))  # fmt: skip
    assert again.status == "confirmed"


def test_a_visit_logged_already_is_linked_but_not_another_guests_or_one_linked_twice(front_desk, manager):
    guest = GuestFactory()
    booking = seated(front_desk, guest)
    stranger = record_visit(GuestFactory(name="李四"), manager)
    with pytest.raises(ValidationError, match="belongs to another guest"):
        booking_complete(actor=front_desk, booking=booking, visit=stranger)
    visit = record_visit(guest, manager)
    booking = booking_complete(actor=front_desk, booking=booking, visit=visit)
    assert booking.visit == visit
    other = seated(front_desk, guest, rooms=[room("芙蓉厅")])
    with pytest.raises(ValidationError, match="already linked to another booking"):
        booking_complete(actor=front_desk, booking=other, visit=visit)


def test_a_bad_visit_form_refuses_the_completion_and_writes_nothing(front_desk):
    booking = seated(front_desk)
    data = visit_initial(booking)
    del data["guest"]
    with pytest.raises(ValidationError) as refused:
        booking_complete(actor=front_desk, booking=booking, visit_fields=data | {"spend": Decimal("-1")})
    assert "spend" in refused.value.message_dict
    booking.refresh_from_db()
    assert booking.status == "arrived" and booking.visit is None and not Visit.objects.exists()
    assert booking.holds.filter(active=True).exists()


def test_completing_needs_the_visit_or_its_form_data(front_desk):
    with pytest.raises(ValidationError, match="Give the visit"):
        booking_complete(actor=front_desk, booking=seated(front_desk))
