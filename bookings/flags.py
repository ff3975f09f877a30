"""The bookings' flag on a guest (guests/flags.py): repeated no-shows, that is at least
BookingSettings.repeated_no_shows (default 2) bookings marked a no-show in the last 365 days."""

import datetime

from django.db.models import Count, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import ngettext

from .models import Booking, BookingSettings

WINDOW_DAYS = 365
DEFAULT_THRESHOLD = BookingSettings._meta.get_field("repeated_no_shows").default


def no_show_threshold():
    """The setting as an expression, so the flag stays one query (the row may not exist yet)."""
    setting = BookingSettings.objects.filter(pk=1).values("repeated_no_shows")
    return Coalesce(Subquery(setting, output_field=IntegerField()), Value(DEFAULT_THRESHOLD))


def repeated_no_shows(guest_ids: list[int]) -> dict[int, list[str]]:
    since = timezone.localdate() - datetime.timedelta(days=WINDOW_DAYS)
    counts = (
        Booking.objects.filter(guest_id__in=guest_ids, status=Booking.Status.NO_SHOW, date__gt=since)
        .order_by()
        .values("guest_id")
        .annotate(no_shows=Count("id"))
        .filter(no_shows__gte=no_show_threshold())
        .values_list("guest_id", "no_shows")
    )
    return {
        guest_id: [
            ngettext("Repeated no-shows: %(count)d in a year", "Repeated no-shows: %(count)d in a year", count)
            % {"count": count}
        ]
        for guest_id, count in counts
    }
