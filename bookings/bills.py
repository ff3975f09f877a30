"""A bill from the POS for a party seated on a booking completes the booking with the bill's visit
(registered with visits.bills.on_bill_visit: visits cannot import bookings)."""

from django.db.models import Q
from django.utils import timezone

from .models import Booking
from .services import booking_complete


def complete_seated_booking(*, bill, visit, actor) -> None:
    """The party of that guest seated at that outlet on the bill's day, or whose booking holds its rooms
    when the bill opens (a late supper seated before midnight), if there is exactly one."""
    opened = bill.opened_at
    seated = list(
        Booking.objects.filter(Q(date=timezone.localdate(opened)) | Q(starts_at__lte=opened, ends_at__gt=opened),
                               guest_id=visit.guest_id, outlet_id=visit.outlet_id,
                               status=Booking.Status.ARRIVED).values_list("pk", flat=True)[:2]
    )  # fmt: skip
    if len(seated) == 1:  # most bills have none: the ids alone, and booking_complete reads the one locked
        booking_complete(actor=None, booking=Booking(pk=seated[0]), visit=visit)
