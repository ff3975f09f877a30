from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Bookings")

    def ready(self):
        from guests import forgetting
        from guests.cards.subject_access import register
        from visits.bills import on_bill_visit

        from . import profile, subject_access
        from .bills import complete_seated_booking
        from .forget import BOOKING_TEXT, bookings_forget_guest
        from .models import Booking, BookingEvent, BookingRoom, WaitingEntry

        profile.register()  # the bookings panel on the guest profile, the repeated no-shows flag
        # The right-of-access download: this app's rows about a guest (guests cannot import it).
        register(subject_access.sections, covers=[Booking, BookingRoom, BookingEvent, WaitingEntry], order=25)
        register(subject_access.history_sections, covers=[Booking.history.model], order=100)
        on_bill_visit(complete_seated_booking)  # a bill from the POS for a seated party completes its booking

        forgetting.register(
            bookings_forget_guest,
            blanks={
                "bookings.Booking": BOOKING_TEXT,
                "bookings.HistoricalBooking": (*BOOKING_TEXT, "history_change_reason"),
                "bookings.BookingEvent": ("note",),
                "bookings.WaitingEntry": ("note",),
            },
            # A change record holds dates, times, room names and party sizes: the booking's figures.
            keeps={"bookings.BookingEvent": ("changes",)},
        )
        # A booking's rooms (a many-to-many field) lead the walk of guests/tests/test_forget.py to the rooms:
        # a room's name is the hotel's.
        forgetting.keep("staff.Room", "name")
        # No merge step (guests.merging): a booking holds no figure to add up, and guest_merge re-points
        # the bookings and waiting list entries of the merged record generically.
