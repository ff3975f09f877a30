"""Who is where (/service/now/): the parties seated now and those still expected this meal period, each a card
on a phone with its rooms, host, tier, taboos in red, purpose, party and occasion, and the buttons the reader
may use; the list refreshes itself; a fixed number of queries. And a walk-in seated at the door."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_arrive
from guests.models import Guest
from guests.tests.factories import GuestFactory
from visits.tests.factories import outlet

from .factories import room, under_way

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def floor_url(**params) -> str:
    query = {"outlet": outlet().pk, "date": timezone.localdate().isoformat(), "meal": "dinner"} | params
    return reverse("service:floor") + "?" + "&".join(f"{key}={value}" for key, value in query.items())


def cards(html: str, section: str) -> list[str]:
    block = re.search(rf'data-testid="floor-{section}">(.*?)</ul>', html, re.S).group(1)
    return re.findall(r'<li class="card.*?</li>', block, re.S)


@pytest.fixture
def tonight(front_desk):
    """张总's birthday party seated in 牡丹厅, he does not eat coriander and is allergic to peanuts; 李局 still
    expected in 兰亭."""
    today = timezone.localdate()
    zhang = GuestFactory(honorific="张总", name="张伟", tier="A")
    Guest.objects.filter(pk=zhang.pk).update(taboos="不吃香菜", allergies="花生过敏", birth_month=today.month,
                                             birth_day=today.day)  # fmt: skip
    seated = under_way(front_desk, zhang, [room("牡丹厅")], party_size=10, purpose="birthday")
    booking_arrive(actor=front_desk, booking=seated)
    expected = under_way(front_desk, GuestFactory(honorific="李局", name="李强", tier="B"), [room("兰亭")],
                         party_size=4, purpose="business")  # fmt: skip
    return seated, expected


def test_the_seated_party_and_the_one_still_expected_are_each_a_card(client_for, waiter, tonight):
    response = client_for(waiter).get(floor_url(), **EN)

    assert response.status_code == 200
    html = response.content.decode()
    [seated] = cards(html, "seated")
    [expected] = cards(html, "expected")
    assert "牡丹厅" in seated and "张总" in seated and "10 guests" in seated and "Birthday!" in seated
    assert re.search(r'alert-danger[^>]*data-testid="floor-taboos">[^<]*不吃香菜[^<]*花生过敏', seated)
    assert "Birthday today" in seated
    assert 'title="A"' in seated or "tier-a" in seated
    assert "兰亭" in expected and "李局" in expected and "4 guests" in expected
    assert "张总" not in expected


def test_the_waiter_may_seat_the_expected_party_and_complete_the_seated_one(client_for, waiter, tonight):
    seated, expected = tonight
    html = client_for(waiter).get(floor_url(), **EN).content.decode()

    [seated_card], [expected_card] = cards(html, "seated"), cards(html, "expected")
    assert reverse("bookings:complete", args=[seated.pk]) in seated_card and "floor-arrive" not in seated_card
    assert reverse("service:floor_arrive", args=[expected.pk]) in expected_card
    assert "floor-complete" not in expected_card


def test_arriving_from_the_floor_seats_the_party_and_comes_back_to_the_floor(client_for, waiter, tonight):
    _, expected = tonight
    response = client_for(waiter).post(reverse("service:floor_arrive", args=[expected.pk]), **EN)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('service:floor')}?outlet={outlet().pk}&meal=dinner"
    expected.refresh_from_db()
    assert expected.status == Booking.Status.ARRIVED


def test_arriving_twice_is_told_and_changes_nothing(client_for, waiter, tonight):
    seated, _ = tonight
    client = client_for(waiter)
    response = client.post(reverse("service:floor_arrive", args=[seated.pk]), follow=True, **EN)

    assert "is not possible for a booking that is Arrived" in response.content.decode()
    assert seated.events.filter(action="arrive").count() == 1


def test_a_waiter_of_another_outlet_finds_neither_its_floor_nor_its_bookings(client_for, waiter, tonight):
    _, expected = tonight
    waiter.outlets.add(outlet("宴会厅"))
    client = client_for(waiter)

    assert client.get(floor_url(), **EN).status_code == 403
    assert client.post(reverse("service:floor_arrive", args=[expected.pk]), **EN).status_code == 404
    expected.refresh_from_db()
    assert expected.status == Booking.Status.CONFIRMED


def test_a_meal_period_that_does_not_exist_is_told(client_for, waiter, tonight):
    response = client_for(waiter).get(floor_url(meal="brunch"), **EN)

    assert response.status_code == 400
    assert "There is no meal period brunch." in response.content.decode()


def test_the_list_refreshes_itself_and_htmx_gets_the_list_alone(client_for, waiter, tonight):
    client = client_for(waiter)
    page = client.get(floor_url(), **EN).content.decode()
    fragment = client.get(floor_url(), HTTP_HX_REQUEST="true", **EN).content.decode()

    assert 'hx-trigger="every 60s"' in page and "X-KeShi-Passive" in page
    assert "<html" not in fragment and "张总" in fragment and 'data-testid="floor-seated"' in fragment


@pytest.mark.parametrize("role", ["waiter", "front_desk", "manager", "admin_user"])
def test_every_role_that_sees_bookings_sees_who_is_where(client_for, request, role, tonight):
    assert client_for(request.getfixturevalue(role)).get(floor_url(), **EN).status_code == 200


def test_an_anonymous_visitor_is_sent_to_log_in(client, tonight):
    response = client.get(floor_url())

    assert response.status_code == 302 and "login" in response["Location"]


def test_the_floor_takes_the_same_queries_whatever_the_number_of_parties(client_for, waiter, front_desk):
    client = client_for(waiter)
    under_way(front_desk, rooms=[room("牡丹厅")])
    client.get(floor_url())
    with CaptureQueriesContext(connection) as few:
        client.get(floor_url())
    for name in ("兰亭", "竹轩", "芙蓉厅", "大厅1号桌"):
        booking_arrive(actor=front_desk, booking=under_way(front_desk, rooms=[room(name)]))
    with CaptureQueriesContext(connection) as many:
        response = client.get(floor_url())

    assert len(cards(response.content.decode(), "seated")) == 4
    assert len(many) == len(few)


# ---- a walk-in seated at the door ----------------------------------------------------------------------


def walk_in_url() -> str:
    return f"{reverse('service:walk_in')}?outlet={outlet().pk}"


def test_the_walk_in_form_offers_only_the_rooms_free_now(client_for, waiter, tonight):
    room("竹轩")
    html = client_for(waiter).get(walk_in_url(), **EN).content.decode()

    offered = {int(pk) for pk in re.findall(r'name="rooms" value="(\d+)"', html)}
    assert room("竹轩").pk in offered
    assert room("牡丹厅").pk not in offered and room("兰亭").pk not in offered


def test_a_walk_in_of_the_archive_is_seated_and_shown_on_the_floor(client_for, waiter):
    guest = GuestFactory(honorific="王总")
    data = {"find": guest.card_no, "party_size": "3", "purpose": "family", "rooms": [room("竹轩").pk]}
    response = client_for(waiter).post(walk_in_url(), data, **EN)

    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.guest, booking.status, booking.source) == (guest, Booking.Status.ARRIVED, Booking.Source.WALK_IN)
    assert booking.party_size == 3 and list(booking.rooms.all()) == [room("竹轩")]
    assert response["Location"] == f"{reverse('service:floor')}?outlet={outlet().pk}&meal={booking.meal_period}"


def test_the_desk_seats_a_new_guest_walking_in(client_for, front_desk):
    data = {"surname": "赵", "honorific": "赵先生", "mobile": "13912345678", "party_size": "2", "purpose": "other",
            "rooms": [room("竹轩").pk]}  # fmt: skip
    response = client_for(front_desk).post(walk_in_url(), data, **EN)

    assert response.status_code == 302
    assert Booking.objects.get().guest.honorific == "赵先生"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"party_size": "2", "purpose": "other"}, "Find the host guest, or enter a new guest"),
        ({"find": "NOSUCHCARD", "party_size": "2", "purpose": "other"}, "No guest in the archive matches"),
        ({"find": "{card}", "party_size": "0", "purpose": "other"}, "greater than or equal to 1"),
        ({"find": "{card}", "party_size": "2", "purpose": "other"}, "This field is required."),
    ],
)
def test_bad_walk_in_input_is_told_and_nobody_is_seated(client_for, waiter, data, message):
    guest = GuestFactory()
    data = {key: value.replace("{card}", guest.card_no) for key, value in data.items()}
    room("竹轩")
    response = client_for(waiter).post(walk_in_url(), data, **EN)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Booking.objects.exists()


def test_a_room_taken_meanwhile_is_refused_for_the_walk_in(client_for, waiter, tonight):
    data = {"find": GuestFactory().card_no, "party_size": "2", "purpose": "other", "rooms": [room("牡丹厅").pk]}
    response = client_for(waiter).post(walk_in_url(), data, **EN)

    assert response.status_code == 400
    assert Booking.objects.filter(source=Booking.Source.WALK_IN).count() == 0
