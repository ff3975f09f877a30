"""The bookings' flag on a guest (guests/flags.py): repeated no-shows, that is at least
BookingSettings.repeated_no_shows (default 2) bookings marked a no-show in the last 365 days."""

import datetime

from django.db import connection
from django.utils import timezone
from django.utils.translation import ngettext

from .models import Booking, BookingSettings

WINDOW_DAYS = 365
DEFAULT_THRESHOLD = BookingSettings._meta.get_field("repeated_no_shows").default


# The lookup asks for the flags of every page of results: the statement is written out, because building
# the grouped queryset with its HAVING subquery cost more than PostgreSQL's answer (bench/lookup.py).
_REPEATED = """
SELECT guest_id, COUNT(*) FROM {booking} WHERE guest_id IN ({ids}) AND status = %s AND date > %s GROUP BY guest_id
HAVING COUNT(*) >= COALESCE((SELECT repeated_no_shows FROM {settings} WHERE id = 1), %s)
"""


def repeated_no_shows(guest_ids: list[int]) -> dict[int, list[str]]:
    since = timezone.localdate() - datetime.timedelta(days=WINDOW_DAYS)
    quote = connection.ops.quote_name
    sql = _REPEATED.format(booking=quote(Booking._meta.db_table), settings=quote(BookingSettings._meta.db_table),
                           ids=", ".join(["%s"] * len(guest_ids)))  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, [*guest_ids, Booking.Status.NO_SHOW, since, DEFAULT_THRESHOLD])
        counts = cursor.fetchall()
    return {
        guest_id: [
            ngettext("Repeated no-shows: %(count)d in a year", "Repeated no-shows: %(count)d in a year", count)
            % {"count": count}
        ]
        for guest_id, count in counts
    }
