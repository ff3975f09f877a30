"""The phone-booking page: the caller found by number or its last four digits, their card, the free rooms
with the usual one ticked, and the booking made; through the test client on the database."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_no_show
from guests.models import Guest, RelatedPerson
from guests.tests.factories import GuestFactory
from visits.complaints import complaint_record
from visits.tests.factories import outlet, record_visit

from .factories import book, room, tomorrow, under_way
from .test_sheet import SECRET, set_guest

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def caller(client, number, key=""):
    response = client.get(reverse("bookings:phone_caller"), {"number": number, "caller": key}, **EN)
    assert response.status_code == 200 and response["HX-Trigger"] == "caller-changed"
    return response.content.decode()


def free_rooms(client, key="", **overrides):
    params = {"outlet": outlet().pk, "date": tomorrow().isoformat(), "meal_period": "dinner",
              "arrival_time": "18:00", "caller": key} | overrides  # fmt: skip
    response = client.get(reverse("bookings:phone_rooms"), params, **EN)
    assert response.status_code == 200
    return response.content.decode()


def phone_post(**overrides) -> dict:
    return {"number": "", "caller": "", "outlet": outlet().pk, "date": tomorrow().isoformat(),
            "meal_period": "dinner", "arrival_time": "18:00", "party_size": "6", "rooms": [room().pk],
            "purpose": "business", "special_requests": ""} | overrides  # fmt: skip


@pytest.fixture
def zhang(front_desk, manager, waiter):
    """张总, an A guest with a taboo and an allergy, four visits (three in 牡丹厅), an open complaint, a closed
    one, one no-show and his secretary 小刘 who calls for him."""
    guest = GuestFactory(name="张伟", honorific="张总", tier="A", mobile="13911112345")
    guest = set_guest(guest, taboos="不吃香菜", allergies="花生过敏", favourite_dishes="清蒸石斑鱼",
                      favourite_drinks="茅台", seating="靠窗", confidential_notes=SECRET)  # fmt: skip
    RelatedPerson.objects.create(guest=guest, name="小刘", relation="secretary", phone="138-0000-6789")
    for days, name, dishes in (
        (40, "牡丹厅", "烤鸭"),
        (30, "芙蓉厅", "龙虾"),
        (20, "牡丹厅", "石斑"),
        (10, "牡丹厅", "鲍鱼"),
    ):
        record_visit(guest, manager, days_ago=days, room=room(name), dishes=dishes)
    complaint_record(actor=manager, guest=guest, fields={"category": "food", "description": "上次的鱼不新鲜"})
    missed = under_way(front_desk, guest, [room("兰亭")])
    booking_no_show(actor=front_desk, booking=missed)
    return guest


def test_the_last_four_digits_bring_up_the_card_with_taboos_in_red_favourites_visits_complaints_and_no_shows(
    client_for, front_desk, zhang
):
    body = caller(client_for(front_desk), "2345")
    card = body.split('data-testid="caller-card"')[1]
    assert "张总" in card and "tier-a" in card and f'name="caller" value="g{zhang.pk}"' in body
    taboos = card.split('data-testid="caller-taboos"')[1].split("</div>")[0]
    assert "alert-danger" in body.split('data-testid="caller-taboos"')[0][-80:] and "不吃香菜" in taboos
    assert "花生过敏" in taboos
    assert "清蒸石斑鱼" in card and "茅台" in card and "靠窗" in card
    visits = card.split('data-testid="caller-visits"')[1].split("</dd>")[0]
    assert ["鲍鱼", "石斑", "龙虾"] == [dish for dish in ("鲍鱼", "石斑", "龙虾", "烤鸭") if dish in visits]
    assert "牡丹厅 ×3" in card.split('data-testid="caller-rooms"')[1]
    assert "上次的鱼不新鲜" in card and "Did not come 1 time when booked." in card
    assert SECRET not in body


def test_the_whole_number_finds_the_guest_and_a_wrong_one_finds_nobody(client_for, front_desk, zhang):
    client = client_for(front_desk)
    assert "caller-card" in caller(client, "139 1111 2345") and "caller-card" in caller(client, "+86 13911112345")
    nobody = caller(client, "13999999999")
    assert "caller-card" not in nobody and "Nobody in the archive has this number" in nobody
    assert 'value="13999999999"' in nobody  # the new guest's mobile is filled in


def test_a_secretary_s_number_says_whom_she_books_for(client_for, front_desk, zhang):
    body = caller(client_for(front_desk), "6789")
    assert "小刘 (Secretary) books for 张总" in body
    person = RelatedPerson.objects.get(name="小刘")
    assert f'name="caller" value="p{person.pk}"' in body


def test_several_guests_with_the_digits_are_offered_to_choose_and_the_chosen_one_s_card_shows(
    client_for, front_desk, zhang
):
    other = GuestFactory(name="李明", honorific="李总", tier="B", mobile="13722222345")
    client = client_for(front_desk)
    body = caller(client, "2345")
    assert 'data-testid="caller-choices"' in body and "caller-card" not in body
    assert body.index("张总") < body.index("李总")  # the better tier first
    chosen = caller(client, "2345", key=f"g{other.pk}")
    assert "李总" in chosen.split('data-testid="caller-card"')[1] and f'value="g{other.pk}" checked' in chosen
    new = caller(client, "2345", key="new")
    assert "caller-card" not in new and 'data-testid="caller-new"' in new


def test_too_few_digits_ask_for_four_and_an_anonymised_guest_is_not_found(client_for, front_desk):
    client = client_for(front_desk)
    assert "Type at least the last four digits." in caller(client, "12")
    gone = GuestFactory(mobile="13955550000")
    Guest.objects.filter(pk=gone.pk).update(anonymised_at=timezone.now())
    assert "caller-card" not in caller(client, "0000")


def test_the_free_rooms_tick_the_caller_s_usual_room_and_say_when_it_is_taken(client_for, front_desk, zhang):
    client = client_for(front_desk)
    body = free_rooms(client, key=f"g{zhang.pk}")
    peony = room("牡丹厅")
    assert f'value="{peony.pk}" id="phone-room-{peony.pk}" checked' in body and 'data-testid="usual-room"' in body
    book(front_desk, GuestFactory(), [peony])
    taken = free_rooms(client, key=f"g{zhang.pk}")
    assert f'value="{peony.pk}"' not in taken and "Usually has 牡丹厅: taken then." in taken
    hibiscus = room("芙蓉厅")
    assert f'value="{hibiscus.pk}" id="phone-room-{hibiscus.pk}" checked' in taken  # the next usual one


def test_the_free_rooms_ask_for_a_date_and_time_until_they_are_valid(client_for, front_desk):
    body = free_rooms(client_for(front_desk), date="31/02", arrival_time="")
    assert "Choose the outlet, date, meal period and arrival time to see the free rooms." in body


def test_the_desk_books_the_caller_found_by_the_secretary_s_number(client_for, front_desk, zhang):
    person = RelatedPerson.objects.get(name="小刘")
    data = phone_post(number="138-0000-6789", caller=f"p{person.pk}", rooms=[room("牡丹厅").pk],
                      dietary_confirmed="on")  # fmt: skip
    response = client_for(front_desk).post(reverse("bookings:phone"), data, **EN)
    assert response.status_code == 302
    booking = Booking.objects.get(status="confirmed")
    assert (booking.guest, booking.booked_by, booking.contact_phone, booking.source) == (
        zhang, person, "13800006789", "phone")  # fmt: skip
    assert booking.dietary_confirmed and list(booking.rooms.all()) == [room("牡丹厅")]


def test_the_desk_books_a_new_caller_as_a_new_guest(client_for, front_desk):
    data = phone_post(number="13612345678", caller="new", surname="欧阳", honorific="欧阳董", mobile="13612345678")
    assert client_for(front_desk).post(reverse("bookings:phone"), data, **EN).status_code == 302
    booking = Booking.objects.get()
    assert booking.guest.honorific == "欧阳董" and booking.guest.mobile == "13612345678"
    assert booking.contact_phone == "13612345678"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"caller": ""}, "Look the caller up by their number, or enter a new guest."),
        ({"caller": "g999999"}, "This guest can no longer be booked: look the number up again."),
        ({"caller": "zz"}, "This guest can no longer be booked: look the number up again."),
        (
            {"caller": "new", "surname": "欧阳", "honorific": "欧阳董", "mobile": "12"},
            "Enter a mobile number of 11 digits",
        ),
        ({"party_size": "0"}, "greater than or equal to 1"),
        ({"arrival_time": "25:00"}, "Enter a valid time."),
    ],
)
def test_bad_input_gets_the_page_back_with_its_message_and_nothing_written(
    client_for, front_desk, zhang, overrides, message
):
    data = phone_post(number="2345", caller=f"g{zhang.pk}") | overrides
    guests, bookings = Guest.objects.count(), Booking.objects.count()
    response = client_for(front_desk).post(reverse("bookings:phone"), data, **EN)
    assert response.status_code == 400 and message in response.content.decode()
    assert (Guest.objects.count(), Booking.objects.count()) == (guests, bookings)


def test_a_taken_room_is_refused_with_the_free_ones_and_the_caller_s_card_stays(client_for, front_desk, zhang):
    book(front_desk, GuestFactory(), [room("牡丹厅")])
    data = phone_post(number="2345", caller=f"g{zhang.pk}", rooms=[room("牡丹厅").pk])
    response = client_for(front_desk).post(reverse("bookings:phone"), data, **EN)
    body = response.content.decode()
    assert response.status_code == 400 and "牡丹厅 is already booked at that time. Free then:" in body
    assert 'data-testid="caller-card"' in body and "张总" in body
    assert Booking.objects.filter(guest=zhang, status="confirmed").count() == 0


def test_the_page_opens_on_the_next_meal_with_the_number_field_first(client_for, front_desk):
    body = client_for(front_desk).get(reverse("bookings:phone"), **EN).content.decode()
    assert (
        body.index('id="id_number"') < body.index('id="id_outlet"')
        and "autofocus" in body.split('id="id_number"')[1][:400]
    )
    assert "data-enter-looks-up" in body


@pytest.mark.parametrize("name", ["bookings:phone", "bookings:phone_caller", "bookings:phone_rooms"])
def test_a_waiter_may_not_take_phone_bookings(client_for, waiter, name):
    assert client_for(waiter).get(reverse(name), {"number": "2345"}, **EN).status_code == 403


def test_the_card_makes_the_same_number_of_queries_for_a_guest_with_many_visits_as_with_few(
    client_for, front_desk, manager
):
    def queries(guest):
        client = client_for(front_desk)
        with CaptureQueriesContext(connection) as captured:
            caller(client, guest.mobile[-4:])
        return len(captured)

    few, many = GuestFactory(mobile="13900000001"), GuestFactory(mobile="13900000002")
    caller(client_for(front_desk), "0000")  # the session and the permissions are read once
    record_visit(few, manager, days_ago=3, room=room("牡丹厅"))
    for days in range(1, 12):
        record_visit(many, manager, days_ago=days, room=room("牡丹厅" if days % 2 else "芙蓉厅"))
        book(manager, many, [room("兰亭")], date=tomorrow() + datetime.timedelta(days=days))
    assert queries(few) == queries(many)
