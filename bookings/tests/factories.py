import datetime

from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_create
from guests.tests.factories import GuestFactory
from staff.models import Room
from visits.tests.factories import outlet


def room(name="牡丹厅", outlet_name="悦府中餐厅", seats=12, is_private=True) -> Room:
    return Room.objects.get_or_create(
        outlet=outlet(outlet_name), name=name, defaults={"seats": seats, "is_private": is_private}
    )[0]


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def fields(**overrides) -> dict:
    """A dinner for eight tomorrow at 18:00 at the outlet of the rooms."""
    return {"outlet": outlet(), "date": tomorrow(), "meal_period": "dinner", "arrival_time": datetime.time(18, 0),
            "party_size": 8} | overrides  # fmt: skip


def book(actor, guest=None, rooms=None, **overrides) -> Booking:
    return booking_create(
        actor=actor, guest=guest or GuestFactory(), rooms=rooms or [room()], fields=fields(**overrides)
    )


def under_way(actor, guest=None, rooms=None, **overrides) -> Booking:
    """A booking of today whose party was due half an hour ago (at midnight in the first half hour of the
    day, so that it is still today's): it may be seated or marked a no-show."""
    now = timezone.localtime()
    start = max(now - datetime.timedelta(minutes=30), now.replace(hour=0, minute=0, second=0, microsecond=0))
    return book(actor, guest, rooms, date=start.date(), arrival_time=start.time().replace(second=0, microsecond=0),
                **overrides)  # fmt: skip
