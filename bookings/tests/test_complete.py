"""Completing a seated booking into its visit: the visit form opens filled in from the booking, saving logs the
visit through the visit service and links it, both or neither; a booking not seated, already completed, of
another outlet or out of the role's reach is refused; sent twice, one visit."""

import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_arrive
from guests.tests.factories import GuestFactory
from visits.models import Visit
from visits.tests.factories import outlet

from .factories import room, under_way

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def seated(front_desk):
    """张总's party of six, seated half an hour ago in 牡丹厅 with the dishes ordered ahead."""
    guest = GuestFactory(honorific="张总", name="张伟")
    booking = under_way(front_desk, guest, [room("牡丹厅")], party_size=6, menu="寿宴套餐A", drinks="茅台")
    return booking_arrive(actor=front_desk, booking=booking)


def visit_data(booking, **overrides) -> dict:
    arrived = timezone.localtime(booking.arrived_at)
    return {
        "outlet": booking.outlet_id, "room": booking.rooms.get().pk, "visited_at": arrived.strftime("%Y-%m-%dT%H:%M"),
        "meal_period": booking.meal_period, "party_size": booking.party_size, "dishes": booking.menu,
        "drinks": booking.drinks, "spend": "1880.00", "payment_method": "", "satisfaction": "", "notes": "",
        "companion_cards": "", "submission_token": str(uuid.uuid4()),
    } | overrides  # fmt: skip


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.search(r'<option value="([^"]*)"[^>]*selected', select).group(1)


def test_the_visit_form_opens_filled_in_from_the_seated_booking(client_for, waiter, seated):
    response = client_for(waiter).get(reverse("bookings:complete", args=[seated.pk]), **EN)

    assert response.status_code == 200
    html = response.content.decode()
    assert selected(html, "outlet") == str(seated.outlet_id)
    assert selected(html, "room") == str(room("牡丹厅").pk)
    assert selected(html, "meal_period") == seated.meal_period
    assert 'name="party_size" value="6"' in html
    assert "寿宴套餐A</textarea>" in html and "茅台</textarea>" in html
    assert timezone.localtime(seated.arrived_at).strftime("%Y-%m-%dT%H:%M") in html
    assert 'name="submission_token"' in html


def test_saving_logs_the_visit_and_completes_the_booking_linked_to_it(client_for, waiter, seated):
    response = client_for(waiter).post(reverse("bookings:complete", args=[seated.pk]), visit_data(seated), **EN)

    assert response.status_code == 302
    assert response["Location"] == reverse("bookings:detail", args=[seated.pk])
    seated.refresh_from_db()
    visit = Visit.objects.get()
    assert seated.status == Booking.Status.COMPLETED and seated.visit == visit
    assert (visit.guest, visit.outlet, visit.party_size, visit.dishes) == (seated.guest, seated.outlet, 6, "寿宴套餐A")
    assert str(visit.spend) == "1880.00" and visit.room == room("牡丹厅")


def test_the_form_sent_twice_logs_one_visit(client_for, waiter, seated):
    client, data = client_for(waiter), visit_data(seated)
    first = client.post(reverse("bookings:complete", args=[seated.pk]), data, **EN)
    second = client.post(reverse("bookings:complete", args=[seated.pk]), data, **EN)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Visit.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_booking_not_yet_seated_is_refused_and_nothing_is_written(client_for, waiter, front_desk, method):
    booking = under_way(front_desk)
    data = visit_data(booking_arrive(actor=front_desk, booking=under_way(front_desk, rooms=[room("兰亭")])))
    data["room"] = room().pk
    response = getattr(client_for(waiter), method)(reverse("bookings:complete", args=[booking.pk]),
                                                   data if method == "post" else {}, **EN)  # fmt: skip

    assert response.status_code == 409
    assert "Only a seated party is completed into a visit; this booking is Confirmed." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED and not Visit.objects.exists()


def test_a_completed_booking_is_not_completed_again(client_for, waiter, seated):
    client = client_for(waiter)
    client.post(reverse("bookings:complete", args=[seated.pk]), visit_data(seated), **EN)
    again = client.post(reverse("bookings:complete", args=[seated.pk]), visit_data(seated), **EN)

    assert again.status_code == 409
    assert "this booking is Completed" in again.content.decode()
    assert Visit.objects.count() == 1


def test_bad_input_shows_the_form_again_with_its_message_and_writes_nothing(client_for, waiter, seated):
    data = visit_data(seated, party_size="0", spend="-5", visited_at="yesterday")
    response = client_for(waiter).post(reverse("bookings:complete", args=[seated.pk]), data, **EN)

    assert response.status_code == 400
    assert "Enter a valid date/time." in response.content.decode()
    seated.refresh_from_db()
    assert seated.status == Booking.Status.ARRIVED and not Visit.objects.exists()


def test_a_visit_at_another_outlet_is_refused_and_no_visit_is_left_behind(client_for, waiter, seated):
    other = outlet("大堂吧")
    data = visit_data(seated, outlet=other.pk, room="")
    response = client_for(waiter).post(reverse("bookings:complete", args=[seated.pk]), data, **EN)

    assert response.status_code == 400
    assert "This visit was at another outlet than the booking." in response.content.decode()
    seated.refresh_from_db()
    assert seated.status == Booking.Status.ARRIVED and not Visit.objects.exists()


def test_a_waiter_of_another_outlet_finds_no_such_booking(client_for, waiter, seated):
    waiter.outlets.add(outlet("宴会厅"))
    response = client_for(waiter).get(reverse("bookings:complete", args=[seated.pk]), **EN)

    assert response.status_code == 404
    assert "张总" not in response.content.decode()


def test_a_person_without_the_visit_permission_is_refused(client_for, waiter, seated):
    waiter.groups.clear()
    response = client_for(waiter).get(reverse("bookings:complete", args=[seated.pk]), **EN)

    assert response.status_code == 403


@pytest.mark.parametrize("role", ["waiter", "front_desk", "manager", "admin_user"])
def test_every_role_that_serves_and_logs_visits_may_complete(client_for, request, role, seated):
    response = client_for(request.getfixturevalue(role)).get(reverse("bookings:complete", args=[seated.pk]), **EN)

    assert response.status_code == 200


def test_the_arrived_bookings_page_offers_to_complete_it(client_for, waiter, seated):
    response = client_for(waiter).get(reverse("bookings:detail", args=[seated.pk]), **EN)

    assert reverse("bookings:complete", args=[seated.pk]) in response.content.decode()
