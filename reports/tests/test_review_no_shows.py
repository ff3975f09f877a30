"""The review flags the guests with repeated no-shows in its 12 months, by the bookings' setting frozen with it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingSettings
from bookings.services import booking_no_show
from bookings.tests.factories import room, under_way
from guests.tests.factories import GuestFactory
from reports.models import ReviewLine
from reports.review import review_compute, review_start

pytestmark = pytest.mark.django_db


def no_shows(actor, guest, *, count, days_ago=0):
    made = [booking_no_show(actor=actor, booking=under_way(actor, guest, rooms=[room(f"包间{i}")]))
            for i in range(count)]  # fmt: skip
    if days_ago:
        moved = timezone.now() - datetime.timedelta(days=days_ago)
        Booking.objects.filter(pk__in=[b.pk for b in made]).update(date=moved.date(), starts_at=moved)
    return made


def run_review():
    review, _created = review_start()
    return review_compute(review_id=review.pk)


def flags(review, guest):
    line = ReviewLine.objects.get(review=review, guest=guest)
    return line.no_shows_12m, line.repeated_no_shows


def test_two_no_shows_in_the_reviews_year_flag_the_guest_and_older_or_single_ones_do_not(front_desk):
    twice, once, long_ago, never = GuestFactory(), GuestFactory(), GuestFactory(), GuestFactory()
    no_shows(front_desk, twice, count=2)
    no_shows(front_desk, once, count=1)
    no_shows(front_desk, long_ago, count=3, days_ago=400)
    review = run_review()
    assert flags(review, twice) == (2, True)
    assert flags(review, once) == (1, False)
    assert flags(review, long_ago) == (0, False)
    assert flags(review, never) == (0, False)


def test_the_threshold_is_the_bookings_setting_frozen_when_the_review_starts(front_desk):
    BookingSettings.objects.update_or_create(pk=1, defaults={"repeated_no_shows": 1})
    guest = GuestFactory()
    no_shows(front_desk, guest, count=1)
    review, _created = review_start()
    BookingSettings.objects.filter(pk=1).update(repeated_no_shows=5)
    review = review_compute(review_id=review.pk)
    assert review.thresholds["repeated_no_shows"] == 1 and flags(review, guest) == (1, True)


def test_the_review_page_badges_and_filters_the_repeated_no_shows(front_desk, manager, client_for):
    flagged, other = GuestFactory(), GuestFactory()
    no_shows(front_desk, flagged, count=2)
    review = run_review()
    url = reverse("review:detail", args=[review.pk])
    response = client_for(manager).get(url, {"flag": "repeated_no_shows"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Repeated no-shows: 2" in body
    assert [line.guest_id for line in response.context["page"]] == [flagged.pk] and other.pk != flagged.pk
