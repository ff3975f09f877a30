"""The guest profile's bookings panel, and the repeated no-shows flag on the profile and in the lookup."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingSettings
from bookings.services import booking_cancel, booking_no_show
from bookings.tests.factories import book, room, under_way
from guests.flags import guest_flags
from guests.tests.factories import GuestFactory
from visits.tests.factories import outlet

pytestmark = pytest.mark.django_db


def profile(client, guest):
    return client.get(reverse("guests:profile", args=[guest.pk]), HTTP_ACCEPT_LANGUAGE="en")


def days(n):
    return datetime.timedelta(days=n)


def no_shows(actor, guest, *, count, days_ago=0, rooms=None):
    """`count` no-shows of the guest, `days_ago` days before today."""
    made = []
    for index in range(count):
        booking = under_way(actor, guest, rooms=[room(f"包间{index}")] if rooms is None else rooms)
        made.append(booking_no_show(actor=actor, booking=booking))
    if days_ago:
        Booking.objects.filter(pk__in=[b.pk for b in made]).update(date=timezone.localdate() - days(days_ago))
    return made


def test_the_panel_lists_upcoming_bookings_past_ones_and_the_cancelled_and_no_show_counts(client_for, front_desk):
    guest = GuestFactory()
    coming = book(front_desk, guest, party_size=6)
    later = book(front_desk, guest, rooms=[room("芍药厅")], date=timezone.localdate() + days(9))
    cancelled = book(front_desk, guest, rooms=[room("兰花厅")])
    booking_cancel(actor=front_desk, booking=cancelled, reason="guest")
    [missed] = no_shows(front_desk, guest, count=1)
    panel = profile(client_for(front_desk), guest).context["bookings"]
    assert panel.upcoming == [coming, later]
    assert set(panel.past) == {cancelled, missed}
    assert (panel.total, panel.cancelled, panel.no_shows) == (4, 1, 1)


def test_the_panel_shows_date_meal_outlet_rooms_party_status_and_the_link(client_for, front_desk):
    guest = GuestFactory()
    booking = book(front_desk, guest, party_size=6)
    body = profile(client_for(front_desk), guest).content.decode()
    assert 'data-testid="upcoming-booking"' in body
    for text in (f"{booking.date:%Y-%m-%d}", "18:00", "Dinner", "悦府中餐厅", "牡丹厅", "6 guests", "Confirmed"):
        assert text in body
    assert reverse("bookings:detail", args=[booking.pk]) in body
    assert "1 booking · 0 cancelled · 0 no-shows" in body


def test_a_waiter_of_another_outlet_sees_the_booking_but_no_link_to_it(client_for, front_desk, waiter):
    guest = GuestFactory()
    booking = book(front_desk, guest)
    waiter.outlets.add(outlet("大堂吧"))
    body = profile(client_for(waiter), guest).content.decode()
    assert 'data-testid="upcoming-booking"' in body
    assert reverse("bookings:detail", args=[booking.pk]) not in body
    waiter.outlets.add(booking.outlet)
    assert reverse("bookings:detail", args=[booking.pk]) in profile(client_for(waiter), guest).content.decode()


def test_a_guest_without_bookings_is_told_so(client_for, front_desk):
    body = profile(client_for(front_desk), GuestFactory()).content.decode()
    assert "No booking to come." in body and 'data-testid="past-booking"' not in body


def test_the_profile_takes_the_same_queries_however_many_bookings(client_for, front_desk, waiter):
    guest = GuestFactory()
    waiter.outlets.add(outlet())
    client = client_for(waiter)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert profile(client, guest).status_code == 200
        return len(captured)

    book(front_desk, guest)
    no_shows(front_desk, guest, count=1, rooms=[room("兰花厅")])
    queries()
    few = queries()
    for index in range(12):
        book(front_desk, guest, rooms=[room(f"厅{index}")], date=timezone.localdate() + days(2 + index))
    no_shows(front_desk, guest, count=6)
    assert queries() == few


def test_two_no_shows_in_a_year_flag_the_guest_on_the_profile_and_in_the_lookup(client_for, front_desk):
    flagged = GuestFactory(name="王芳", honorific="王女士", mobile="13911110001")
    once = GuestFactory(name="王丽", honorific="王小姐", mobile="13911110002")
    no_shows(front_desk, flagged, count=2)
    no_shows(front_desk, once, count=1, rooms=[room("兰花厅")])
    client = client_for(front_desk)
    assert "Repeated no-shows: 2 in a year" in profile(client, flagged).content.decode()
    assert 'data-testid="guest-flag"' not in profile(client, once).content.decode()
    rows = client.get(
        reverse("guests:lookup"), {"q": "王"}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    [flagged_row] = [row for row in rows.split("</a>") if f"/guests/{flagged.pk}/" in row]
    [once_row] = [row for row in rows.split("</a>") if f"/guests/{once.pk}/" in row]
    assert "Repeated no-shows: 2 in a year" in flagged_row and "Repeated no-shows" not in once_row


def test_no_shows_older_than_a_year_do_not_flag_and_the_setting_moves_the_threshold(front_desk):
    old, recent = GuestFactory(), GuestFactory()
    no_shows(front_desk, old, count=2, days_ago=366)
    no_shows(front_desk, recent, count=1, rooms=[room("兰花厅")])
    assert guest_flags([old.pk, recent.pk]) == {}
    BookingSettings.objects.update_or_create(pk=1, defaults={"repeated_no_shows": 1})
    assert guest_flags([old.pk, recent.pk]) == {recent.pk: ["Repeated no-shows: 1 in a year"]}


def test_the_lookup_flags_a_page_of_guests_in_one_query(front_desk, django_assert_num_queries):
    guests = [GuestFactory() for _ in range(5)]
    for index, guest in enumerate(guests):
        no_shows(front_desk, guest, count=2, rooms=[room(f"厅{index}")])
    with django_assert_num_queries(1):
        flags = guest_flags(guest.pk for guest in guests)
    assert set(flags) == {guest.pk for guest in guests}
