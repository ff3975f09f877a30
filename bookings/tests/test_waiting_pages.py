"""The waiting list's pages: an outlet's list for a date and meal period, a party added to it (found in the
archive or new), offered a room, put back, dropped, booked through the booking form filled in for them; and
the first waiting party for each room a cancelled booking freed, on the booking's page."""

import re
import uuid

import pytest
from django.urls import reverse

from bookings.models import WaitingEntry
from bookings.services import booking_cancel, waiting_list_add
from guests.models import Guest
from guests.tests.factories import GuestFactory
from visits.tests.factories import outlet

from .factories import book, room, tomorrow

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
W = WaitingEntry.Status


def list_url(**params) -> str:
    query = {"outlet": outlet().pk, "date": tomorrow().isoformat(), "meal_period": "dinner"} | params
    return reverse("bookings:waiting") + "?" + "&".join(f"{key}={value}" for key, value in query.items())


def wait(actor, guest=None, **fields) -> WaitingEntry:
    fields = {"outlet": outlet(), "date": tomorrow(), "meal_period": "dinner", "party_size": 6} | fields
    return waiting_list_add(actor=actor, guest=guest or GuestFactory(), fields=fields)


def entries(html: str) -> list[str]:
    return re.findall(r'<li class="card[^"]*" data-testid="waiting-entry".*?</li>', html, re.S)


def test_the_list_shows_the_parties_of_its_slot_the_open_ones_first(client_for, front_desk):
    dropped = wait(front_desk, GuestFactory(honorific="赵总"))
    dropped.status = W.DROPPED
    dropped.save()
    wait(front_desk, GuestFactory(honorific="钱总"))
    wait(front_desk, GuestFactory(honorific="孙总"), meal_period="lunch")
    response = client_for(front_desk).get(list_url(), **EN)

    assert response.status_code == 200
    found = entries(response.content.decode())
    assert len(found) == 2
    assert "钱总" in found[0] and "waiting-offer" in found[0] and "waiting-drop" in found[0]
    assert "赵总" in found[1] and "Dropped" in found[1] and "waiting-actions" not in found[1]
    assert "孙总" not in response.content.decode()


def test_a_party_found_by_card_number_is_put_on_the_list(client_for, front_desk):
    guest = GuestFactory(honorific="张总")
    data = {"find": guest.card_no, "party_size": "8", "room_kind": "private", "note": "靠窗",
            "submission_token": str(uuid.uuid4())}  # fmt: skip
    response = client_for(front_desk).post(list_url(), data, **EN)

    assert response.status_code == 302 and response["Location"] == list_url()
    entry = WaitingEntry.objects.get()
    assert (entry.guest, entry.outlet, entry.date, entry.meal_period) == (guest, outlet(), tomorrow(), "dinner")
    assert (entry.party_size, entry.room_kind, entry.note, entry.status) == (8, "private", "靠窗", W.WAITING)


def test_a_new_guest_is_created_for_the_waiting_party(client_for, front_desk):
    data = {"surname": "周", "honorific": "周女士", "mobile": "13700001234", "party_size": "2", "room_kind": "any"}
    response = client_for(front_desk).post(list_url(), data, **EN)

    assert response.status_code == 302
    assert WaitingEntry.objects.get().guest == Guest.objects.get(honorific="周女士")


def test_the_same_form_sent_twice_puts_the_party_on_once(client_for, front_desk):
    client = client_for(front_desk)
    data = {
        "find": GuestFactory().card_no,
        "party_size": "4",
        "room_kind": "any",
        "submission_token": str(uuid.uuid4()),
    }
    client.post(list_url(), data, **EN)
    client.post(list_url(), data, **EN)

    assert WaitingEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("params", "data", "message"),
    [
        ({}, {"party_size": "4", "room_kind": "any"}, "Find the host guest, or enter a new guest"),
        ({}, {"find": "{card}", "surname": "王", "party_size": "4", "room_kind": "any"}, "not both"),
        ({}, {"find": "{card}", "party_size": "0", "room_kind": "any"}, "greater than or equal to 1"),
        ({}, {"find": "{card}", "party_size": "4", "room_kind": "palace"}, "Select a valid choice"),
        (
            {"date": "2020-01-01"},
            {"find": "{card}", "party_size": "4", "room_kind": "any"},
            "This time is already over",
        ),
        ({"date": "31.12."}, {"find": "{card}", "party_size": "4", "room_kind": "any"}, "Enter a valid date."),
        ({"outlet": "99999"}, {"find": "{card}", "party_size": "4", "room_kind": "any"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_told_and_nobody_is_put_on_the_list(client_for, front_desk, params, data, message):
    card = GuestFactory().card_no
    data = {key: value.replace("{card}", card) for key, value in data.items()}
    response = client_for(front_desk).post(list_url(**params), data, **EN)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WaitingEntry.objects.exists()


def test_a_waiting_party_is_offered_a_room_put_back_and_dropped(client_for, front_desk):
    entry, client = wait(front_desk), client_for(front_desk)
    move = reverse("bookings:waiting_move", args=[entry.pk])

    for status in (W.OFFERED, W.WAITING, W.DROPPED):
        response = client.post(move, {"status": status}, **EN)
        entry.refresh_from_db()
        assert response.status_code == 302 and entry.status == status
    assert response["Location"] == list_url()


def test_a_dropped_party_is_not_offered_a_room_again(client_for, front_desk):
    entry = wait(front_desk)
    client = client_for(front_desk)
    client.post(reverse("bookings:waiting_move", args=[entry.pk]), {"status": W.DROPPED})
    response = client.post(reverse("bookings:waiting_move", args=[entry.pk]), {"status": W.OFFERED}, follow=True, **EN)

    assert "A waiting list entry that is Dropped cannot become Offered a room." in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == W.DROPPED


@pytest.mark.parametrize("status", ["booked", "lost", ""])
def test_a_move_the_page_does_not_offer_is_refused(client_for, front_desk, status):
    entry = wait(front_desk)
    response = client_for(front_desk).post(reverse("bookings:waiting_move", args=[entry.pk]), {"status": status},
                                           follow=True, **EN)  # fmt: skip

    assert "Choose what becomes of this party" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == W.WAITING


def test_booking_a_waiting_party_opens_the_booking_form_filled_in_for_them(client_for, front_desk):
    guest = GuestFactory(honorific="张总")
    entry = wait(front_desk, guest)
    client = client_for(front_desk)
    html = client.get(list_url(), **EN).content.decode()
    link = re.search(r'href="([^"]+)" data-testid="waiting-book"', html).group(1).replace("&amp;", "&")

    assert link.startswith(reverse("bookings:create"))
    form = client.get(link, **EN).content.decode()
    assert f'value="{guest.card_no}"' in form
    assert f'value="{entry.date.isoformat()}"' in form
    assert re.search(r'<option value="dinner"[^>]*selected', form)


def booking_form_data(html: str) -> dict:
    """What the booking form sends as the page filled it in: its inputs and the selected options."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value and 'type="checkbox"' not in tag:
            data[name.group(1)] = value.group(1)
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        if chosen := re.search(r'<option value="([^"]*)"[^>]*selected', body):
            data[name] = chosen.group(1)
    return data


def test_the_booking_made_from_the_waiting_list_marks_the_party_booked(client_for, front_desk):
    peony = room("牡丹厅", seats=10)
    entry = wait(front_desk, GuestFactory(honorific="张总"))
    client = client_for(front_desk)
    form = client.get(reverse("bookings:create") + f"?waiting={entry.pk}&guest={entry.guest_id}"
                      f"&date={entry.date.isoformat()}&meal_period=dinner&outlet={entry.outlet_id}", **EN)  # fmt: skip
    data = booking_form_data(form.content.decode()) | {"rooms": [peony.pk], "party_size": 6}
    assert data["waiting"] == str(entry.pk)

    response = client.post(reverse("bookings:create"), data, **EN)

    assert response.status_code == 302, response.content.decode()[:2000]
    entry.refresh_from_db()
    assert entry.status == W.BOOKED
    assert entry.booking is not None and entry.booking.rooms.get() == peony


def test_the_waiting_lists_book_link_carries_the_party(client_for, front_desk):
    entry = wait(front_desk)
    html = client_for(front_desk).get(list_url(), **EN).content.decode()
    link = re.search(r'href="([^"]+)" data-testid="waiting-book"', html).group(1).replace("&amp;", "&")
    assert f"waiting={entry.pk}" in link


@pytest.mark.parametrize("whose", ["another guest", "dropped", "another outlet", "unknown"])
def test_a_booking_for_a_waiting_entry_it_cannot_settle_is_refused_and_nothing_is_booked(client_for, front_desk,
                                                                                          whose):  # fmt: skip
    peony = room("牡丹厅", seats=10)
    guest = GuestFactory(honorific="张总")
    entry = wait(front_desk, guest if whose != "another guest" else GuestFactory())
    if whose == "dropped":
        from bookings.services import waiting_entry_move

        waiting_entry_move(actor=front_desk, entry=entry, status="dropped")
    if whose == "another outlet":
        from visits.tests.factories import outlet as make_outlet

        WaitingEntry.objects.filter(pk=entry.pk).update(outlet=make_outlet("海港城店"))  # waits elsewhere
    waiting = entry.pk if whose != "unknown" else entry.pk + 1000
    data = {
        "find": guest.card_no,
        "outlet": outlet().pk,
        "date": tomorrow().isoformat(),
        "meal_period": "dinner",
        "arrival_time": "18:00",
        "party_size": 6,
        "rooms": [peony.pk],
        "purpose": "other",
        "waiting": waiting,
    }

    response = client_for(front_desk).post(reverse("bookings:create"), data, **EN)

    assert response.status_code == 400
    assert "waiting list" in response.content.decode()
    assert not peony.bookings.exists()
    status = WaitingEntry.objects.get(pk=entry.pk).status
    assert status == (W.DROPPED if whose == "dropped" else W.WAITING)


def test_the_waiters_do_not_keep_the_waiting_list(client_for, waiter, front_desk):
    entry = wait(front_desk)
    client = client_for(waiter)

    assert client.get(list_url(), **EN).status_code == 403
    assert client.post(reverse("bookings:waiting_move", args=[entry.pk]), {"status": W.DROPPED}).status_code == 403
    entry.refresh_from_db()
    assert entry.status == W.WAITING


@pytest.mark.parametrize("role", ["front_desk", "manager", "admin_user"])
def test_the_desk_and_managers_see_the_waiting_list(client_for, request, role):
    assert client_for(request.getfixturevalue(role)).get(list_url(), **EN).status_code == 200


def test_the_board_links_to_the_waiting_list_and_who_is_where(client_for, front_desk):
    room()
    html = client_for(front_desk).get(reverse("bookings:board"), **EN).content.decode()

    assert 'data-testid="nav-waiting"' in html and 'data-testid="nav-floor"' in html


# ---- the first waiting party for a room a cancellation freed -------------------------------------------


@pytest.fixture
def cancelled(front_desk):
    booking = book(front_desk, rooms=[room("牡丹厅", seats=12)])
    return booking_cancel(actor=front_desk, booking=booking, reason="guest")


def test_the_cancelled_bookings_page_loads_the_first_waiting_party_for_its_room(client_for, front_desk, cancelled):
    wait(front_desk, GuestFactory(honorific="先到"), party_size=20)  # too many for 牡丹厅
    wait(front_desk, GuestFactory(honorific="要散台"), room_kind="table")
    first = wait(front_desk, GuestFactory(honorific="李局"), party_size=10, room_kind="private")
    wait(front_desk, GuestFactory(honorific="后到"), party_size=8)
    client = client_for(front_desk)
    page = client.get(reverse("bookings:detail", args=[cancelled.pk]), **EN).content.decode()
    fragment = client.get(reverse("bookings:waiting_match", args=[cancelled.pk]), **EN).content.decode()

    assert f'hx-get="{reverse("bookings:waiting_match", args=[cancelled.pk])}"' in page
    [match] = re.findall(r'data-testid="waiting-match-entry".*?</div>', fragment, re.S)
    assert "First waiting party for 牡丹厅: 李局, 10 guests" in match
    assert reverse("bookings:waiting_move", args=[first.pk]) in match
    assert f"room={room('牡丹厅').pk}" in match


def test_a_booking_still_holding_its_room_offers_nobody(client_for, front_desk):
    booking = book(front_desk)
    wait(front_desk)
    client = client_for(front_desk)
    page = client.get(reverse("bookings:detail", args=[booking.pk]), **EN).content.decode()
    fragment = client.get(reverse("bookings:waiting_match", args=[booking.pk]), **EN).content.decode()

    assert "waiting-match-slot" not in page
    assert "waiting-match-entry" not in fragment


def test_a_waiter_is_not_shown_the_waiting_party(client_for, waiter, front_desk, cancelled):
    wait(front_desk, GuestFactory(honorific="李局"))
    client = client_for(waiter)
    page = client.get(reverse("bookings:detail", args=[cancelled.pk]), **EN).content.decode()

    assert "waiting-match-slot" not in page
    assert client.get(reverse("bookings:waiting_match", args=[cancelled.pk]), **EN).status_code == 403
