"""Tentative bookings are released when their hold passes: by a task beat runs every five minutes."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from bookings.models import Booking
from bookings.services import booking_confirm, booking_create
from bookings.tasks import release_expired_holds
from guests.tests.factories import GuestFactory

from .factories import book, fields, room, tomorrow

pytestmark = pytest.mark.django_db


def held(actor, until: datetime.datetime, room_name="牡丹厅") -> Booking:
    return book(actor, rooms=[room(room_name)], hold_until=until)


def expire(*bookings):
    """The holds ran out a minute ago (a hold cannot be set in the past)."""
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
        hold_until=timezone.now() - datetime.timedelta(minutes=1)
    )


def test_tentative_bookings_past_their_hold_are_released_and_their_rooms_freed(front_desk):
    noon = timezone.make_aware(datetime.datetime.combine(tomorrow(), datetime.time(12)))
    gone, kept = held(front_desk, noon), held(front_desk, noon, "芙蓉厅")
    expire(gone)
    assert release_expired_holds.delay().get() == 1
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert (gone.status, gone.cancel_reason, kept.status) == ("cancelled", "hold_expired", "tentative")
    assert not gone.holds.filter(active=True).exists() and kept.holds.filter(active=True).exists()
    [event] = gone.events.filter(action="release")
    assert (event.from_status, event.to_status, event.actor) == ("tentative", "cancelled", None)
    assert gone.history.first().history_change_reason == "Release the expired hold"
    # Another desk may book the room at once.
    again = booking_create(actor=front_desk, guest=GuestFactory(), rooms=[room()], fields=fields())
    assert again.status == "confirmed"


def test_the_release_run_twice_releases_once(front_desk):
    noon = timezone.make_aware(datetime.datetime.combine(tomorrow(), datetime.time(12)))
    booking = held(front_desk, noon)
    expire(booking)
    assert (release_expired_holds.run(), release_expired_holds.run()) == (1, 0)
    assert booking.events.filter(action="release").count() == 1


def test_a_confirmed_booking_is_never_released(front_desk):
    noon = timezone.make_aware(datetime.datetime.combine(tomorrow(), datetime.time(12)))
    booking = booking_confirm(actor=front_desk, booking=held(front_desk, noon))
    Booking.objects.filter(pk=booking.pk).update(hold_until=timezone.now() - datetime.timedelta(minutes=1))
    assert release_expired_holds.run() == 0
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_the_release_runs_every_five_minutes_from_the_beat_schedules():
    call_command("setup_schedules", stdout=open("/dev/null", "w"))
    task = PeriodicTask.objects.get(name="Tentative bookings release")
    assert (task.task, task.crontab.minute, task.enabled) == ("bookings.tasks.release_expired_holds", "*/5", True)
