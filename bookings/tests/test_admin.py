"""The admin shows bookings read-only with their history; the one row it edits is the meal periods' lengths."""

import pytest
from django.urls import reverse

from bookings.models import BookingSettings

from .factories import book

pytestmark = pytest.mark.django_db


def test_an_admin_reads_a_booking_its_steps_and_history_but_cannot_change_or_add_one(
    client_for, admin_user, front_desk
):
    booking = book(front_desk, special_requests="靠窗")
    client = client_for(admin_user)
    assert client.get(reverse("admin:bookings_booking_changelist")).status_code == 200
    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    assert page.status_code == 200 and "靠窗" in page.content.decode() and 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:bookings_booking_history", args=[booking.pk])).status_code == 200
    assert client.get(reverse("admin:bookings_booking_add")).status_code == 403
    assert client.post(reverse("admin:bookings_booking_delete", args=[booking.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:bookings_waitingentry_changelist")).status_code == 200


def test_an_admin_sets_how_long_a_dinner_holds_its_rooms_and_how_far_ahead_bookings_are_taken(client_for, admin_user):
    client = client_for(admin_user)
    page = client.get(reverse("admin:bookings_bookingsettings_changelist"))
    assert page.status_code == 302 and page.url.endswith("/1/change/")
    data = {
        "breakfast_minutes": 90,
        "lunch_minutes": 150,
        "tea_minutes": 120,
        "dinner_minutes": 210,
        "late_minutes": 150,
        "days_ahead": 180,
        "repeated_no_shows": 3,
    }
    assert client.post(page.url, data).status_code == 302
    row = BookingSettings.current()
    assert (row.dinner_minutes, row.days_ahead, row.repeated_no_shows) == (210, 180, 3)
    refused = client.post(page.url, data | {"days_ahead": 0})
    assert refused.status_code == 200 and BookingSettings.current().days_ahead == 180
