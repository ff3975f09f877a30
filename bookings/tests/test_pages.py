"""The room board, the booking form and the booking page, through the test client and the database."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingEvent, BookingRoom
from bookings.services import booking_cancel, booking_change, booking_no_show
from guests.models import Guest
from guests.tests.factories import GuestFactory
from visits.tests.factories import outlet

from .factories import book, room, tomorrow, under_way

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def page(client, name, *args, **params):
    response = client.get(reverse(name, args=args), params, **EN)
    assert response.status_code == 200
    return response.content.decode()


def cells(body: str) -> list[str]:
    """The booked cells of the board's table (the list for phones repeats them)."""
    table = body.split('data-testid="board-table"')[1].split('data-testid="board-list"')[0]
    return re.findall(r'data-testid="booking-cell"[^>]*>(.*?)</a>', table, re.S)


def new_booking_post(**overrides) -> dict:
    return {"find": "", "surname": "", "honorific": "", "mobile": "", "outlet": outlet().pk,
            "date": tomorrow().isoformat(), "meal_period": "dinner", "arrival_time": "18:00", "party_size": "8",
            "rooms": [room().pk], "purpose": "business", "special_requests": "靠窗"} | overrides  # fmt: skip


# ---- the board -----------------------------------------------------------------------------


def test_the_board_shows_each_booking_in_its_room_and_meal_period_with_honorific_party_tier_and_status(
    client_for, front_desk
):
    guest = GuestFactory(honorific="张总", tier="A")
    book(front_desk, guest, [room("牡丹厅")], party_size=10)
    held = timezone.now() + datetime.timedelta(hours=2)
    book(front_desk, GuestFactory(honorific="李局"), [room("芙蓉厅")], meal_period="lunch",
         arrival_time=datetime.time(11, 30), party_size=4, hold_until=held)  # fmt: skip
    body = page(client_for(front_desk), "bookings:board", outlet=outlet().pk, date=tomorrow().isoformat())
    table = body.split('data-testid="board-table"')[1].split('data-testid="board-list"')[0]
    peony = re.search(r"<th scope=\"row\">牡丹厅.*?</tr>", table, re.S).group(0)
    lunch, dinner = re.findall(r'<td data-period="(?:lunch|dinner)">(.*?)</td>', peony, re.S)
    assert 'data-testid="free-cell"' in lunch and "张总" in dinner and "10 guests" in dinner
    assert "tier-a" in dinner and "text-bg-primary" in dinner and "Confirmed" in dinner
    hibiscus = re.search(r"<th scope=\"row\">芙蓉厅.*?</tr>", table, re.S).group(0)
    assert "李局" in hibiscus and "text-bg-warning" in hibiscus and "Tentative" in hibiscus
    assert 'data-testid="legend"' in body and "text-bg-success" in body.split('data-testid="legend"')[1]


def test_a_taken_cell_opens_the_booking_and_a_free_one_books_that_room_prefilled(client_for, front_desk):
    booking = book(front_desk, rooms=[room("牡丹厅")])
    free_room = room("芙蓉厅")
    body = page(client_for(front_desk), "bookings:board", outlet=outlet().pk, date=tomorrow().isoformat())
    assert reverse("bookings:detail", args=[booking.pk]) in body
    link = (f'{reverse("bookings:create")}?outlet={outlet().pk}&amp;date={tomorrow():%Y-%m-%d}'
            f"&amp;meal_period=dinner&amp;room={free_room.pk}")  # fmt: skip
    assert link in body
    form = page(client_for(front_desk), "bookings:create", outlet=outlet().pk, date=tomorrow().isoformat(),
                meal_period="dinner", room=free_room.pk)  # fmt: skip
    assert re.search(rf'value="{free_room.pk}"[^>]*checked', form)
    assert f'value="{tomorrow():%Y-%m-%d}"' in form and 'value="18:00"' in form
    assert re.search(r'<option value="dinner" selected', form)


def test_a_waiter_sees_free_cells_without_a_link_to_the_booking_form(client_for, waiter):
    room()
    body = page(client_for(waiter), "bookings:board", outlet=outlet().pk, date=tomorrow().isoformat())
    assert 'data-testid="free-cell">Free</span>' in body and reverse("bookings:create") not in body


def test_the_booking_form_opened_for_a_guest_has_their_card_number_filled_in(client_for, front_desk):
    guest = GuestFactory(honorific="张总")
    form = page(client_for(front_desk), "bookings:create", guest=guest.pk)
    assert f'name="find" value="{guest.card_no}"' in form


def test_the_day_shows_lunch_and_dinner_always_and_any_other_meal_period_that_is_booked(client_for, front_desk):
    client = client_for(front_desk)
    room()
    body = page(client, "bookings:board", outlet=outlet().pk, date=tomorrow().isoformat())
    assert re.findall(r'<th scope="col" data-period="(\w+)"', body) == ["lunch", "dinner"]
    book(front_desk, meal_period="breakfast", arrival_time=datetime.time(7, 30))
    body = page(client, "bookings:board", outlet=outlet().pk, date=tomorrow().isoformat())
    assert re.findall(r'<th scope="col" data-period="(\w+)"', body) == ["breakfast", "lunch", "dinner"]


def test_a_cancelled_booking_leaves_the_board_and_a_no_show_leaves_its_room_free(client_for, front_desk):
    cancelled = book(front_desk, GuestFactory(honorific="王董"), [room("牡丹厅")])
    booking_cancel(actor=front_desk, booking=cancelled, reason="guest")
    missed = under_way(front_desk, GuestFactory(honorific="赵总"), [room("芙蓉厅")])
    booking_no_show(actor=front_desk, booking=missed)
    client = client_for(front_desk)
    assert "王董" not in page(client, "bookings:board", outlet=outlet().pk, date=tomorrow().isoformat())
    body = page(client, "bookings:board", outlet=outlet().pk, date=missed.date.isoformat(),
                meal_period=missed.meal_period)  # fmt: skip
    [cell] = cells(body)
    assert "赵总" in cell and "No-show" in cell
    hibiscus = re.search(rf'<td data-period="{missed.meal_period}">(.*?)</td>',
                         re.search(r"<th scope=\"row\">芙蓉厅.*?</tr>", body, re.S).group(0), re.S).group(1)  # fmt: skip
    assert "text-bg-danger" in hibiscus and 'data-testid="free-cell"' in hibiscus


def test_the_board_moves_by_day_and_defaults_to_today(client_for, front_desk):
    room()
    body = page(client_for(front_desk), "bookings:board")
    today = timezone.localdate()
    assert f"{today:%Y-%m-%d}" in body
    assert f"date={today + datetime.timedelta(days=1):%Y-%m-%d}" in body.split('data-testid="next"')[0][-200:]
    assert f"date={today - datetime.timedelta(days=1):%Y-%m-%d}" in body.split('data-testid="prev"')[0][-200:]


def test_the_week_view_shows_the_rooms_against_seven_days_for_one_meal_period(client_for, front_desk):
    book(front_desk, GuestFactory(honorific="张总"), [room("牡丹厅")])
    book(front_desk, GuestFactory(honorific="午餐客"), [room("牡丹厅")], meal_period="lunch",
         arrival_time=datetime.time(11, 30))  # fmt: skip
    later = book(front_desk, GuestFactory(honorific="钱总"), [room("芙蓉厅")],
                 date=tomorrow() + datetime.timedelta(days=3))  # fmt: skip
    body = page(client_for(front_desk), "bookings:week", outlet=outlet().pk, date=tomorrow().isoformat(),
                meal_period="dinner")  # fmt: skip
    days = re.findall(r'<th scope="col" data-day="([\d-]+)"', body)
    assert days == [f"{tomorrow() + datetime.timedelta(days=n):%Y-%m-%d}" for n in range(7)]
    booked = cells(body)
    assert len(booked) == 2 and "张总" in booked[0] + booked[1] and "钱总" in booked[0] + booked[1]
    assert "午餐客" not in body
    assert f'data-day="{later.date:%Y-%m-%d}"><a class="d-block' in body


def test_on_a_phone_the_board_is_a_list_and_on_a_tablet_a_table(client_for, front_desk):
    book(front_desk, GuestFactory(honorific="张总"))
    for name in ("bookings:board", "bookings:week"):
        body = page(client_for(front_desk), name, outlet=outlet().pk, date=tomorrow().isoformat())
        assert 'class="d-none d-md-block table-responsive" data-testid="board-table"' in body
        assert 'class="d-md-none" data-testid="board-list"' in body
        assert "张总" in body.split('data-testid="board-list"')[1]


@pytest.mark.parametrize("name", ["bookings:board", "bookings:week"])
def test_the_board_makes_the_same_number_of_queries_for_3_bookings_as_for_30(
    client_for, front_desk, django_assert_num_queries, name
):
    client = client_for(front_desk)
    for n in range(30):
        room(f"厅{n:02d}")
    params = {"outlet": outlet().pk, "date": tomorrow().isoformat()}
    for n in range(3):
        book(front_desk, rooms=[room(f"厅{n:02d}")])
    client.get(reverse(name), params)  # the session and the permissions are cached by the first page
    with CaptureQueriesContext(connection) as few:
        assert len(cells(client.get(reverse(name), params).content.decode())) == 3
    for n in range(3, 30):
        book(front_desk, rooms=[room(f"厅{n:02d}")])
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(cells(client.get(reverse(name), params).content.decode())) == 30


def test_a_waiter_given_outlets_sees_only_their_bookings(client_for, waiter, front_desk):
    other = outlet("云境西餐厅")
    book(front_desk, GuestFactory(honorific="别家客"), [room("露台", outlet_name="云境西餐厅")], outlet=other)
    book(front_desk, GuestFactory(honorific="张总"))
    waiter.outlets.add(outlet())
    body = page(client_for(waiter), "bookings:board", date=tomorrow().isoformat())
    assert "张总" in body and "别家客" not in body
    assert "云境西餐厅" not in body
    asked = page(client_for(waiter), "bookings:board", outlet=other.pk, date=tomorrow().isoformat())
    assert "别家客" not in asked and "张总" in asked  # the outlet asked for is not theirs: their own is shown


def test_a_waiter_asking_for_another_outlets_booking_gets_404_with_nothing_of_it(client_for, waiter, front_desk):
    other = outlet("云境西餐厅")
    guest = GuestFactory(honorific="别家客", name="秘密名")
    booking = book(front_desk, guest, [room("露台", outlet_name="云境西餐厅")], outlet=other,
                   special_requests="秘密要求")  # fmt: skip
    waiter.outlets.add(outlet())
    client = client_for(waiter)
    for response in (client.get(reverse("bookings:detail", args=[booking.pk])),
                     client.post(reverse("bookings:arrive", args=[booking.pk]))):  # fmt: skip
        body = response.content.decode()
        assert response.status_code == 404
        assert not [text for text in ("别家客", "秘密名", "秘密要求", "云境西餐厅") if text in body]


# ---- the booking form ----------------------------------------------------------------------


def test_the_desk_books_a_guest_of_the_archive_found_by_card_number(client_for, front_desk):
    guest = GuestFactory(honorific="张总")
    response = client_for(front_desk).post(reverse("bookings:create"), new_booking_post(find=guest.card_no), **EN)
    booking = Booking.objects.get()
    assert response.status_code == 302 and response.url == reverse("bookings:detail", args=[booking.pk])
    assert (booking.guest, booking.party_size, booking.purpose, booking.special_requests, booking.created_by) == (
        guest, 8, "business", "靠窗", front_desk)  # fmt: skip
    assert list(booking.rooms.all()) == [room()]


def test_the_desk_books_a_new_guest_from_surname_honorific_and_mobile(client_for, front_desk):
    data = new_booking_post(surname="欧阳", honorific="欧阳董", mobile="139 1234 5678")
    assert client_for(front_desk).post(reverse("bookings:create"), data, **EN).status_code == 302
    assert Booking.objects.get().guest == Guest.objects.get(mobile="13912345678", honorific="欧阳董")


def test_a_guest_found_by_name_alone_is_booked_when_only_one_matches_else_the_desk_is_asked_for_the_card(
    client_for, front_desk
):
    GuestFactory(name="欧阳修", honorific="欧阳总")
    GuestFactory(name="欧阳娜", honorific="欧阳女士")
    response = client_for(front_desk).post(reverse("bookings:create"), new_booking_post(find="欧阳"), **EN)
    assert response.status_code == 400 and "Several guests match" in response.content.decode()
    assert not Booking.objects.exists()
    ok = client_for(front_desk).post(reverse("bookings:create"), new_booking_post(find="欧阳修"), **EN)
    assert ok.status_code == 302 and Booking.objects.get().guest.name == "欧阳修"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"find": ""}, "Choose the host guest, or enter a new guest"),
        ({"find": "KS-NOBODY"}, "No guest in the archive matches"),
        ({"party_size": "0"}, "greater than or equal to 1"),
        ({"rooms": []}, "This field is required"),
        ({"date": "31/02/2026"}, "Enter a valid date"),
        ({"date": "2020-01-01"}, "This time is already over"),
        ({"surname": "欧阳", "honorific": "欧阳董"}, "Either find a guest of the archive or enter a new guest"),
    ],
)
def test_bad_input_gets_the_form_back_with_its_message_and_nothing_written(client_for, front_desk, overrides, message):
    guest = GuestFactory()
    data = new_booking_post(find=guest.card_no) | overrides
    guests = Guest.objects.count()
    response = client_for(front_desk).post(reverse("bookings:create"), data, **EN)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and 'data-testid="booking-form"' in body
    assert not Booking.objects.exists() and not BookingRoom.objects.exists() and not BookingEvent.objects.exists()
    assert Guest.objects.count() == guests


def test_a_room_booked_already_is_refused_with_the_free_rooms_and_nothing_written(client_for, front_desk):
    book(front_desk, rooms=[room("牡丹厅")])
    room("芙蓉厅")
    room("兰亭")
    data = new_booking_post(surname="欧阳", honorific="欧阳董", mobile="13912345678")
    response = client_for(front_desk).post(reverse("bookings:create"), data, **EN)
    body = response.content.decode()
    assert response.status_code == 400
    assert "牡丹厅 is already booked at that time. Free then: 兰亭、芙蓉厅." in body
    assert Booking.objects.count() == 1 and not Guest.objects.filter(mobile="13912345678").exists()


def room_boxes(body: str) -> list[str]:
    """The room checkboxes of the booking form, by their labels."""
    rooms = body.split('data-testid="booking-rooms"')[1].split("</fieldset>")[0]
    return re.findall(r'<label[^>]*for="id_rooms_\d+"[^>]*>\s*(.*?)\s*</label>', rooms, re.S)


def test_the_booking_form_offers_the_rooms_of_the_outlet_chosen_not_of_every_outlet(client_for, front_desk):
    mine = room("牡丹厅").outlet
    room("芙蓉厅")
    river = room("江南厅", outlet_name="江南小馆").outlet
    client = client_for(front_desk)
    assert sorted(room_boxes(page(client, "bookings:create"))) in (["牡丹厅", "芙蓉厅"], ["江南厅"])
    assert sorted(room_boxes(page(client, "bookings:create", outlet=mine.pk))) == ["牡丹厅", "芙蓉厅"]
    assert room_boxes(page(client, "bookings:create", outlet=river.pk)) == ["江南厅"]


def test_a_refused_booking_form_comes_back_with_the_posted_outlets_rooms_and_the_ones_ticked(client_for, front_desk):
    ticked = room("芙蓉厅")
    room("牡丹厅")
    room("江南厅", outlet_name="江南小馆")
    data = new_booking_post(surname="欧阳", honorific="欧阳董", mobile="13912345678", party_size="", rooms=[ticked.pk])
    response = client_for(front_desk).post(reverse("bookings:create"), data, **EN)
    body = response.content.decode()
    assert response.status_code == 400 and sorted(room_boxes(body)) == ["牡丹厅", "芙蓉厅"]
    assert re.search(rf'value="{ticked.pk}"[^>]*checked', body)
    assert not Booking.objects.exists()


def test_a_room_of_another_outlet_than_the_one_chosen_is_refused_and_nothing_written(client_for, front_desk):
    elsewhere = room("江南厅", outlet_name="江南小馆")
    data = new_booking_post(surname="欧阳", honorific="欧阳董", mobile="13912345678", rooms=[elsewhere.pk])
    response = client_for(front_desk).post(reverse("bookings:create"), data, **EN)
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not Booking.objects.exists() and not Guest.objects.filter(mobile="13912345678").exists()


def test_a_waiter_cannot_open_the_booking_form(client_for, waiter):
    assert client_for(waiter).get(reverse("bookings:create")).status_code == 403
    assert client_for(waiter).post(reverse("bookings:create"), new_booking_post()).status_code == 403


# ---- the booking page ----------------------------------------------------------------------


def test_the_booking_page_shows_host_schedule_rooms_requests_and_history(client_for, front_desk):
    guest = GuestFactory(honorific="张总", tier="A", taboos="香菜", allergies="花生")
    booking = book(front_desk, guest, [room("牡丹厅"), room("芙蓉厅")], party_size=12, special_requests="生日蛋糕",
                   purpose="birthday", menu="佛跳墙")  # fmt: skip
    booking_change(actor=front_desk, booking=booking, fields={"party_size": 14}, note="多两位")
    body = page(client_for(front_desk), "bookings:detail", booking.pk)
    assert "张总" in body and "tier-a" in body
    taboos = body.split('data-testid="taboos"')[1].split("</div>")[0]
    assert "香菜" in taboos and "花生" in taboos
    assert "牡丹厅" in body.split('data-testid="rooms"')[1].split("</dd>")[0]
    assert "芙蓉厅" in body.split('data-testid="rooms"')[1].split("</dd>")[0]
    assert "生日蛋糕" in body and "佛跳墙" in body and "Birthday" in body and "14" in body
    events = body.split('data-testid="events"')[1]
    assert "Booked" in events and "Changed" in events and "Party size: 12 → 14" in events and "多两位" in events
    assert str(front_desk) in events


def test_the_deposit_shows_to_the_desk_and_not_to_a_waiter(client_for, front_desk, waiter):
    booking = book(front_desk, deposit_amount="500.00", deposit_method="cash", deposit_state="held")
    assert "500.00" in page(client_for(front_desk), "bookings:detail", booking.pk).split('data-testid="deposit"')[1]
    body = page(client_for(waiter), "bookings:detail", booking.pk)
    assert 'data-testid="deposit"' not in body and "500.00" not in body


def test_the_page_offers_the_steps_this_person_may_take_now(client_for, front_desk, waiter):
    booking = under_way(front_desk, hold_until=None)
    desk = page(client_for(front_desk), "bookings:detail", booking.pk)
    for step in ("arrive", "no_show", "cancel"):
        assert reverse(f"bookings:{step}", args=[booking.pk]) in desk
    assert reverse("bookings:confirm", args=[booking.pk]) not in desk  # confirmed already
    served = page(client_for(waiter), "bookings:detail", booking.pk)
    assert reverse("bookings:arrive", args=[booking.pk]) in served
    assert reverse("bookings:cancel", args=[booking.pk]) not in served
    assert reverse("bookings:edit", args=[booking.pk]) not in served


def test_the_desk_confirms_a_tentative_booking(client_for, front_desk):
    booking = book(front_desk, hold_until=timezone.now() + datetime.timedelta(hours=3))
    response = client_for(front_desk).post(reverse("bookings:confirm", args=[booking.pk]), **EN)
    assert response.status_code == 302 and response.url == reverse("bookings:detail", args=[booking.pk])
    booking.refresh_from_db()
    assert (booking.status, booking.hold_until) == ("confirmed", None)


def test_a_waiter_marks_the_party_arrived(client_for, front_desk, waiter):
    booking = under_way(front_desk)
    assert client_for(waiter).post(reverse("bookings:arrive", args=[booking.pk])).status_code == 302
    booking.refresh_from_db()
    assert booking.status == "arrived" and booking.events.last().actor == waiter


def test_a_waiter_may_not_cancel_or_mark_a_no_show(client_for, front_desk, waiter):
    booking = under_way(front_desk)
    client = client_for(waiter)
    assert client.post(reverse("bookings:cancel", args=[booking.pk]), {"reason": "guest"}).status_code == 403
    assert client.post(reverse("bookings:no_show", args=[booking.pk])).status_code == 403
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_a_step_the_state_refuses_shows_its_message_on_the_booking(client_for, front_desk):
    booking = book(front_desk)  # tomorrow: not yet a no-show, nor to be seated
    client = client_for(front_desk)
    response = client.post(reverse("bookings:no_show", args=[booking.pk]), follow=True, **EN)
    assert "only once its arrival time has passed" in response.content.decode()
    response = client.post(reverse("bookings:confirm", args=[booking.pk]), follow=True, **EN)
    assert "is not possible for a booking that is Confirmed" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed" and booking.events.count() == 1


def test_the_desk_cancels_with_a_reason_and_a_note_and_the_room_is_free(client_for, front_desk):
    booking = book(front_desk)
    client = client_for(front_desk)
    refused = client.post(reverse("bookings:cancel", args=[booking.pk]), {"reason": "other"}, follow=True, **EN)
    assert "Say why the booking is cancelled." in refused.content.decode()
    refused = client.post(reverse("bookings:cancel", args=[booking.pk]), {"reason": "hold_expired"}, follow=True,
                          **EN)  # fmt: skip
    assert "Choose why the booking is cancelled." in refused.content.decode()
    assert Booking.objects.get().status == "confirmed"
    client.post(reverse("bookings:cancel", args=[booking.pk]), {"reason": "other", "note": "改期"})
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_reason, booking.cancel_note) == ("cancelled", "other", "改期")
    assert not booking.holds.filter(active=True).exists()


# ---- the change form -----------------------------------------------------------------------


def test_the_desk_changes_date_time_rooms_and_party_and_the_change_is_kept(client_for, front_desk):
    booking = book(front_desk, rooms=[room("牡丹厅")])
    day = tomorrow() + datetime.timedelta(days=1)
    data = {"date": day.isoformat(), "meal_period": "dinner", "arrival_time": "18:30", "party_size": "10",
            "rooms": [room("芙蓉厅").pk], "special_requests": "加一张儿童椅", "note": "客人改期"}  # fmt: skip
    form = page(client_for(front_desk), "bookings:edit", booking.pk)
    assert 'value="8"' in form and "牡丹厅" in form
    response = client_for(front_desk).post(reverse("bookings:edit", args=[booking.pk]), data, **EN)
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.date, booking.arrival_time, booking.party_size, booking.special_requests) == (
        day, datetime.time(18, 30), 10, "加一张儿童椅")  # fmt: skip
    assert [r.name for r in booking.rooms.all()] == ["芙蓉厅"]
    change = booking.events.get(action="change")
    assert change.changes["rooms"] == [["牡丹厅"], ["芙蓉厅"]] and change.note == "客人改期"
    shown = page(client_for(front_desk), "bookings:detail", booking.pk).split('data-testid="events"')[1]
    assert "Rooms or tables: 牡丹厅 → 芙蓉厅" in shown and "Special requests" in shown


def test_a_change_into_a_taken_room_is_refused_with_the_free_rooms(client_for, front_desk):
    book(front_desk, rooms=[room("牡丹厅")])
    booking = book(front_desk, rooms=[room("芙蓉厅")])
    room("兰亭")
    data = {"date": tomorrow().isoformat(), "meal_period": "dinner", "arrival_time": "18:00", "party_size": "8",
            "rooms": [room("牡丹厅").pk], "special_requests": "", "note": ""}  # fmt: skip
    response = client_for(front_desk).post(reverse("bookings:edit", args=[booking.pk]), data, **EN)
    assert response.status_code == 400
    assert (
        "牡丹厅 is already booked at that time. Free then: 兰亭、芙蓉厅." in response.content.decode()
    )  # its own room is free for it
    assert [r.name for r in booking.rooms.all()] == ["芙蓉厅"]


def test_a_waiter_cannot_change_a_booking(client_for, front_desk, waiter):
    booking = book(front_desk)
    assert client_for(waiter).get(reverse("bookings:edit", args=[booking.pk])).status_code == 403


@pytest.mark.parametrize("name", ["bookings:board", "service:sheet"])
def test_the_board_and_the_sheet_open_on_an_outlet_with_rooms_before_one_without(client_for, front_desk, name):
    from staff.models import Outlet

    Outlet.objects.create(name="AAA Lobby bar", kind=Outlet.Kind.BAR)  # first by name, no tables
    room()
    front_desk.outlets.clear()
    body = page(client_for(front_desk), name)
    chosen = re.search(r'<option value="(\d+)" selected>', body)
    assert chosen and int(chosen.group(1)) == outlet().pk
