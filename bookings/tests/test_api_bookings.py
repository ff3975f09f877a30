"""The bookings for machines: the free rooms of a meal, the bookings of a day, a booking made, changed and
cancelled through the desk's services — refused like the desk when the room is taken (409 with the rooms
still free), only at the outlets the key is bound to, the host named by card number or mobile."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingSettings
from crm.tests.concurrency import run_at_once
from guests.models import Guest
from guests.tests.factories import GuestFactory
from staff.clients import api_reads_flush
from staff.models import ApiReadDay, Outlet, Room

from .factories import book, room, tomorrow

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def rooms(db):
    Outlet.objects.filter(name="悦府中餐厅").update(code="YF") or Outlet.objects.create(name="悦府中餐厅", code="YF")
    peony, lotus = room("牡丹厅", seats=12), room("荷花厅", seats=8)
    Room.objects.filter(pk=peony.pk).update(code="P01")
    Room.objects.filter(pk=lotus.pk).update(code="P02")
    room("无码厅")  # no code: a machine cannot name it
    return {"P01": peony, "P02": lotus}


def new_booking(**overrides) -> dict:
    return {"guest": {"card_no": GuestFactory(honorific="张总").card_no}, "outlet": "YF",
            "date": tomorrow().isoformat(), "meal_period": "dinner", "arrival_time": "18:30", "party_size": 6,
            "rooms": ["P01"], "purpose": "business"} | overrides  # fmt: skip


def post(client, headers, data, name="api:bookings", **kwargs):
    return client.post(reverse(name, kwargs=kwargs or None), data, content_type="application/json", **headers, **EN)


def test_the_free_rooms_of_a_meal_are_listed_by_code_and_a_booked_one_is_not(client, api_key, rooms, front_desk):
    book(front_desk, rooms=[rooms["P02"]], arrival_time=datetime.time(18, 0))
    query = {"outlet": "YF", "date": tomorrow().isoformat(), "meal_period": "dinner"}
    response = client.get(reverse("api:availability"), query, **api_key("bookings:read"))
    assert response.status_code == 200
    assert [r["code"] for r in response.json()["rooms"]] == ["P01"]
    assert response.json()["arrival_time"] == "18:00"
    small = client.get(reverse("api:availability"), query | {"party_size": 20}, **api_key("bookings:read"))
    assert small.json()["rooms"] == []


@pytest.mark.parametrize(
    "query, field",
    [({"outlet": "NOPE"}, "outlet"), ({"date": "24/12"}, "date"), ({"meal_period": "brunch"}, "meal_period"),
     ({"arrival_time": "25:00"}, "arrival_time"), ({"party_size": "many"}, "party_size")],
)  # fmt: skip
def test_availability_refuses_bad_input_by_field(client, api_key, rooms, query, field):
    base = {"outlet": "YF", "date": tomorrow().isoformat(), "meal_period": "dinner"}
    response = client.get(reverse("api:availability"), base | query, **api_key("bookings:read"), **EN)
    assert response.status_code == 400 and field in response.json()["errors"]


def test_availability_past_the_days_ahead_is_refused_with_the_last_date_it_answers(client, api_key, rooms):
    last = timezone.localdate() + datetime.timedelta(days=BookingSettings.current().days_ahead)
    query = {"outlet": "YF", "meal_period": "dinner"}
    assert client.get(reverse("api:availability"), query | {"date": last.isoformat()},
                      **api_key("bookings:read"), **EN).status_code == 200  # fmt: skip
    beyond = (last + datetime.timedelta(days=1)).isoformat()
    response = client.get(reverse("api:availability"), query | {"date": beyond}, **api_key("bookings:read"), **EN)
    assert response.status_code == 400
    assert response.json()["errors"]["date"] == [f"Bookings are taken up to 365 days ahead, until {last.isoformat()}."]


def test_a_booking_made_by_a_partner_is_on_the_board_with_its_source_and_the_client_named(client, api_key, rooms):
    headers = api_key("bookings:write")
    response = post(client, headers, new_booking())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["rooms"], body["arrival_time"], body["source"]) == (
        "confirmed", ["P01"], "18:30", "partner")  # fmt: skip
    assert body["guest"]["honorific"] == "张总" and "mobile" not in body["guest"]
    booking = Booking.objects.get(pk=body["id"])
    assert booking.created_by == headers.client.user and booking.history.first().history_user == headers.client.user


def test_a_new_guest_booked_by_mobile_is_created_once_and_found_by_it_the_next_time(client, api_key, rooms):
    headers = api_key("bookings:write")
    guest = {"mobile": "139 1234 5678", "surname": "李", "honorific": "李总"}
    first = post(client, headers, new_booking(guest=guest))
    second = post(client, headers, new_booking(guest={"mobile": "13912345678"}, rooms=["P02"]))
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["guest"]["card_no"] == second.json()["guest"]["card_no"]
    assert Guest.objects.filter(mobile="13912345678").count() == 1


@pytest.mark.parametrize(
    "guest, field",
    [({"card_no": "KS999999"}, "guest.card_no"), ({}, "guest"), ({"mobile": "13900001111"}, "guest.surname")],
)  # fmt: skip
def test_a_host_that_cannot_be_told_is_refused_and_nothing_is_booked(client, api_key, rooms, guest, field):
    response = post(client, api_key("bookings:write"), new_booking(guest=guest))
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not Booking.objects.exists()


def test_a_taken_room_is_a_conflict_that_names_the_free_rooms_and_not_who_holds_it(client, api_key, rooms,
                                                                                  front_desk):  # fmt: skip
    book(front_desk, GuestFactory(surname="王", honorific="王董"), rooms=[rooms["P01"]])
    response = post(client, api_key("bookings:write"), new_booking())
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "urn:keshi:problem:room_taken"
    assert "荷花厅" in problem["detail"] and "王" not in problem["detail"]
    assert Booking.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_partners_booking_the_same_room_at_the_same_moment_make_one_booking(postgresql, api_key, rooms):
    from django.test import Client

    keys = iter([api_key("bookings:write"), api_key("bookings:write")])
    answers, errors = run_at_once(lambda: post(Client(), next(keys), new_booking()).status_code)
    assert errors == []
    assert sorted(answers) == [201, 409]
    assert Booking.objects.count() == 1


def test_a_key_bound_to_one_outlet_books_and_sees_only_there(client, api_key, rooms, front_desk):
    harbour = Outlet.objects.create(name="海港城店", code="HG")
    Room.objects.create(outlet=harbour, name="海景厅", code="H01", seats=10)
    elsewhere = book(front_desk, rooms=[room("海景厅", outlet_name="海港城店")], outlet=harbour)
    headers = api_key("bookings:read", "bookings:write", outlets=[harbour])
    refused = post(client, headers, new_booking())
    assert refused.status_code == 403 and "悦府中餐厅" in refused.json()["detail"]
    own = book(front_desk, rooms=[rooms["P02"]])
    assert client.get(reverse("api:booking", kwargs={"pk": own.pk}), **headers).status_code == 404
    assert client.get(reverse("api:booking", kwargs={"pk": elsewhere.pk}), **headers).status_code == 200
    day = client.get(reverse("api:bookings"), {"date": tomorrow().isoformat()}, **headers).json()["bookings"]
    assert [b["id"] for b in day] == [elsewhere.pk]


def test_the_day_s_bookings_are_listed_in_arrival_order_and_the_reads_are_counted(client, api_key, rooms,
                                                                                 front_desk):  # fmt: skip
    late = book(front_desk, rooms=[rooms["P01"]], arrival_time=datetime.time(19, 0))
    early = book(front_desk, rooms=[rooms["P02"]], arrival_time=datetime.time(17, 30))
    book(front_desk, rooms=[rooms["P01"]], date=tomorrow() + datetime.timedelta(days=1))
    headers = api_key("bookings:read")
    response = client.get(reverse("api:bookings"), {"date": tomorrow().isoformat(), "outlet": "YF"}, **headers)
    assert [b["id"] for b in response.json()["bookings"]] == [early.pk, late.pk]
    api_reads_flush()  # counted in Redis (or, without it, in the database at once)
    assert ApiReadDay.objects.get(client=headers.client, endpoint="bookings").records == 2


def test_a_change_moves_the_booking_keeps_the_history_and_is_refused_when_the_room_is_taken(client, api_key,
                                                                                           rooms, front_desk):  # fmt: skip
    headers = api_key("bookings:write", "bookings:read")
    booking = Booking.objects.get(pk=post(client, headers, new_booking()).json()["id"])
    url = reverse("api:booking", kwargs={"pk": booking.pk})
    moved = client.patch(url, {"arrival_time": "19:00", "party_size": 8, "note": "客人来电"},
                         content_type="application/json", **headers)  # fmt: skip
    assert moved.status_code == 200 and (moved.json()["arrival_time"], moved.json()["party_size"]) == ("19:00", 8)
    assert booking.events.filter(action="change").exists()
    book(front_desk, rooms=[rooms["P02"]], arrival_time=datetime.time(19, 0))
    taken = client.patch(url, {"rooms": ["P02"]}, content_type="application/json", **headers, **EN)
    assert taken.status_code == 409
    assert client.get(url, **headers).json()["rooms"] == ["P01"]


def test_a_cancel_frees_the_room_and_a_second_cancel_is_refused(client, api_key, rooms):
    headers = api_key("bookings:write", "bookings:read")
    made = post(client, headers, new_booking()).json()
    cancelled = post(client, headers, {"reason": "guest"}, name="api:booking_cancel", pk=made["id"])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert post(client, headers, new_booking()).status_code == 201  # the room is free again
    again = post(client, headers, {"reason": "guest"}, name="api:booking_cancel", pk=made["id"])
    assert again.status_code == 400
    bad = post(client, headers, {"reason": "hold_expired"}, name="api:booking_cancel", pk=made["id"])
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]
