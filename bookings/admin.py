"""Bookings in the admin are read-only, with their history: every write is a step of the services
(the desk's pages), where the rooms are held and each step recorded. The one row an admin edits is
the meal periods' lengths."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from staff.admin import ReadOnlyMixin, SettingsRowAdmin

from .models import Booking, BookingEvent, BookingRoom, BookingSettings, WaitingEntry


class BookingRoomInline(ReadOnlyMixin, admin.TabularInline):
    model = BookingRoom
    extra = 0
    fields = ("room", "starts_at", "ends_at", "active")


class BookingEventInline(ReadOnlyMixin, admin.TabularInline):
    model = BookingEvent
    extra = 0
    fields = ("at", "action", "from_status", "to_status", "actor", "changes", "note")


@admin.register(Booking)
class BookingAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("date", "meal_period", "arrival_time", "outlet", "guest", "party_size", "status", "source")
    list_filter = ("status", "outlet", "meal_period", "source", "purpose")
    search_fields = ("guest__card_no", "guest__name")
    date_hierarchy = "date"
    list_select_related = ("outlet", "guest")
    inlines = [BookingRoomInline, BookingEventInline]

    def get_exclude(self, request, obj=None):
        if request.user.has_perm("bookings.view_deposit"):
            return ()
        return ("deposit_amount", "deposit_method", "deposit_taken_by", "deposit_state")


@admin.register(WaitingEntry)
class WaitingEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("date", "meal_period", "outlet", "guest", "party_size", "room_kind", "status", "created_at")
    list_filter = ("status", "outlet", "meal_period")
    list_select_related = ("outlet", "guest")


@admin.register(BookingSettings)
class BookingSettingsAdmin(SettingsRowAdmin):
    """How long a booking holds its rooms when no end time is agreed, and how far ahead bookings are taken."""

    fields = [
        "breakfast_minutes",
        "lunch_minutes",
        "tea_minutes",
        "dinner_minutes",
        "late_minutes",
        "days_ahead",
        "repeated_no_shows",
    ]
