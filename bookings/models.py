"""Bookings (预订): the booking book of the desk, the rooms each booking holds, its steps, the waiting list.

A booking holds its rooms for a period, `starts_at` to `ends_at`: from the arrival time, for the
explicit end the desk agreed (a banquet until 22:00) or else for the meal period's usual length
(BookingSettings, which admins tune). Each room it holds is a BookingRoom row carrying a copy of
that period and of whether the booking is active (tentative, confirmed or arrived), so that the
database itself refuses two active bookings of one room whose periods overlap.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from guests.models import Guest, RelatedPerson
from guests.validators import validate_landline
from staff.models import Outlet, Room, SettingsRow
from visits.models import MealPeriod, Visit

from .constraints import PostgresExclusionConstraint, TsTzRange

ROOM_PERIOD_CONSTRAINT = "booking_room_no_overlap"


class BookingSettings(SettingsRow):
    """How long a booking holds its rooms when the desk gives no end time, per meal period; how many
    no-shows flag a guest."""

    breakfast_minutes = models.PositiveSmallIntegerField(
        _("breakfast lasts (minutes)"), default=90, validators=[MinValueValidator(30), MaxValueValidator(720)]
    )
    lunch_minutes = models.PositiveSmallIntegerField(
        _("lunch lasts (minutes)"), default=150, validators=[MinValueValidator(30), MaxValueValidator(720)]
    )
    tea_minutes = models.PositiveSmallIntegerField(
        _("afternoon tea lasts (minutes)"), default=120, validators=[MinValueValidator(30), MaxValueValidator(720)]
    )
    dinner_minutes = models.PositiveSmallIntegerField(
        _("dinner lasts (minutes)"), default=180, validators=[MinValueValidator(30), MaxValueValidator(720)]
    )
    late_minutes = models.PositiveSmallIntegerField(
        _("late night lasts (minutes)"), default=150, validators=[MinValueValidator(30), MaxValueValidator(720)]
    )
    # Further ahead, a date is a typing slip (2062 for 2026) more often than a booking; walk-ins are today.
    days_ahead = models.PositiveSmallIntegerField(
        _("bookings taken up to (days ahead)"), default=365, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    # A guest with this many no-shows in the last 365 days is flagged on the profile, in the lookup
    # and in the review (bookings/flags.py, reports/review/engine.py).
    repeated_no_shows = models.PositiveSmallIntegerField(
        _("no-shows in a year that flag a guest"), default=2, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )

    class Meta:
        verbose_name = _("booking settings")
        verbose_name_plural = _("booking settings")

    def __str__(self):
        return str(_("Booking settings"))

    def minutes_for(self, meal_period: str) -> int:
        return getattr(self, f"{meal_period}_minutes")


class Booking(models.Model):
    """One party's booking of one or more rooms or tables of an outlet, for a meal."""

    class Status(models.TextChoices):
        TENTATIVE = "tentative", _("Tentative")
        CONFIRMED = "confirmed", _("Confirmed")
        ARRIVED = "arrived", _("Arrived")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    # The bookings that hold their rooms.
    ACTIVE = (Status.TENTATIVE, Status.CONFIRMED, Status.ARRIVED)

    class Purpose(models.TextChoices):
        BUSINESS = "business", _("Business reception")
        GOVERNMENT = "government", _("Government reception")
        FAMILY = "family", _("Family meal")
        BIRTHDAY = "birthday", _("Birthday")
        WEDDING = "wedding", _("Wedding")
        ANNIVERSARY = "anniversary", _("Anniversary")
        OTHER = "other", _("Other")

    class StandardKind(models.TextChoices):
        NONE = "", _("No standard agreed")
        PER_TABLE = "per_table", _("Per table")
        PER_HEAD = "per_head", _("Per head")

    class DepositMethod(models.TextChoices):
        NONE = "", _("No deposit")
        CASH = "cash", _("Cash")
        CARD = "card", _("Bank card")
        MOBILE = "mobile", _("Mobile pay")
        TRANSFER = "transfer", _("Bank transfer")

    class DepositState(models.TextChoices):
        NONE = "none", _("No deposit")
        HELD = "held", pgettext_lazy("deposit", "Held")
        REFUNDED = "refunded", pgettext_lazy("deposit", "Refunded")
        KEPT = "kept", pgettext_lazy("deposit", "Kept")

    class Source(models.TextChoices):
        PHONE = "phone", _("Phone")
        WALK_IN = "walk_in", _("Walk-in")
        WECHAT = "wechat", _("WeChat")
        STAFF = "staff", _("Own client of a member of staff")
        PARTNER = "partner", _("Partner system")

    class CancelReason(models.TextChoices):
        NONE = "", _("Not cancelled")
        GUEST = "guest", _("The guest cancelled")
        CHANGED = "changed", _("Plans changed, booked again")
        DUPLICATE = "duplicate", _("Booked twice by mistake")
        RESTAURANT = "restaurant", _("The restaurant cancelled")
        HOLD_EXPIRED = "hold_expired", _("Tentative hold expired")
        OTHER = "other", _("Other")

    guest = models.ForeignKey(Guest, verbose_name=_("host guest"), on_delete=models.PROTECT, related_name="bookings")
    booked_by = models.ForeignKey(
        RelatedPerson,
        verbose_name=_("booked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
        help_text=_("The host's related person who made the booking (a secretary, a driver), if not the host."),
    )
    contact_name = models.CharField(_("contact name"), max_length=40, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True, validators=[validate_landline])
    outlet = models.ForeignKey(Outlet, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="bookings")
    rooms = models.ManyToManyField(
        Room, verbose_name=_("rooms or tables"), through="BookingRoom", related_name="bookings", blank=True
    )

    date = models.DateField(_("date"))
    meal_period = models.CharField(_("meal period"), max_length=10, choices=MealPeriod.choices)
    arrival_time = models.TimeField(_("arrival time"))
    end_time = models.TimeField(
        _("end time"),
        null=True,
        blank=True,
        help_text=_("Only when an end was agreed; else the meal period's usual length."),
    )
    # The period the rooms are held, in the hotel's time zone: derived by the services from the
    # fields above (an end time at or before the arrival time is on the next day).
    starts_at = models.DateTimeField(_("held from"), editable=False)
    ends_at = models.DateTimeField(_("held until"), editable=False)
    party_size = models.PositiveSmallIntegerField(
        _("party size"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )

    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.OTHER)
    standard_kind = models.CharField(
        _("standard (餐标)"), max_length=10, choices=StandardKind.choices, blank=True, default=StandardKind.NONE
    )
    standard_amount = models.DecimalField(
        _("standard amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )  # fmt: skip
    menu = models.TextField(_("pre-ordered dishes or set menu"), max_length=2000, blank=True)
    drinks = models.TextField(_("drinks"), max_length=1000, blank=True)
    drinks_brought = models.BooleanField(_("the guest brings drinks"), default=False)
    special_requests = models.TextField(_("special requests"), max_length=2000, blank=True)
    dietary_notes = models.TextField(
        _("dietary needs of this party"), max_length=1000, blank=True,
        help_text=_("Taboos and allergies of the other guests at the table, added to the host's."),
    )  # fmt: skip
    dietary_confirmed = models.BooleanField(_("host's taboos and allergies confirmed"), default=False)

    deposit_amount = models.DecimalField(
        _("deposit (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )  # fmt: skip
    deposit_method = models.CharField(
        _("deposit paid by"), max_length=10, choices=DepositMethod.choices, blank=True, default=DepositMethod.NONE
    )
    deposit_taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deposit taken by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deposit_state = models.CharField(
        _("deposit"), max_length=10, choices=DepositState.choices, default=DepositState.NONE
    )

    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PHONE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_bookings",
        help_text=_("The member of staff who looks after the guest."),
    )

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    hold_until = models.DateTimeField(
        _("tentative hold until"), null=True, blank=True, help_text=_("A tentative booking is released at this time.")
    )
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True, editable=False)
    visit = models.OneToOneField(
        Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="booking"
    )
    cancel_reason = models.CharField(
        _("cancellation reason"), max_length=12, choices=CancelReason.choices, blank=True, default=CancelReason.NONE
    )
    cancel_note = models.TextField(_("cancellation note"), max_length=500, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("booked at the desk by"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("revised"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["date", "arrival_time", "id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        permissions = [
            ("serve_booking", _("Can mark a party arrived, seat a walk-in and complete a booking")),
            ("view_deposit", _("Can see and take booking deposits")),
        ]
        indexes = [
            # The board and the service sheet: one outlet's bookings of a day (or a week).
            models.Index(fields=["outlet", "date", "meal_period"], name="booking_outlet_day_idx"),
            # A guest's upcoming and past bookings on the profile.
            models.Index(fields=["guest", "-date"], name="booking_guest_idx"),
            # The release sweep reads only the tentative bookings.
            models.Index(fields=["hold_until"], name="booking_tentative_hold_idx", condition=Q(status="tentative")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(party_size__gte=1), name="booking_party_at_least_one"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after_start"),
            models.CheckConstraint(
                condition=~Q(status="tentative") | Q(hold_until__isnull=False), name="booking_tentative_held_until"
            ),
        ]

    def __str__(self):
        # No guest in it: the admin's log keeps an object's name.
        return f"{self.date:%Y-%m-%d} {self.get_meal_period_display()} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class BookingRoom(models.Model):
    """A room or table a booking holds, with the booking's period and activity copied for the constraint."""

    booking = models.ForeignKey(Booking, verbose_name=_("booking"), on_delete=models.CASCADE, related_name="holds")
    room = models.ForeignKey(Room, verbose_name=_("room or table"), on_delete=models.PROTECT, related_name="holds")
    starts_at = models.DateTimeField(_("held from"))
    ends_at = models.DateTimeField(_("held until"))
    active = models.BooleanField(_("holds the room"), default=True)

    class Meta:
        ordering = ["booking", "room__name"]
        verbose_name = _("room held by a booking")
        verbose_name_plural = _("rooms held by bookings")
        indexes = [models.Index(fields=["room", "starts_at"], name="booking_room_period_idx")]
        constraints = [
            models.UniqueConstraint(fields=["booking", "room"], name="booking_room_once"),
            # EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (active):
            # two desks booking the same room in the same second cannot both commit.
            PostgresExclusionConstraint(
                name=ROOM_PERIOD_CONSTRAINT,
                expressions=[
                    ("room", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(active=True),
            ),
        ]

    def __str__(self):
        return f"{self.room} {self.starts_at:%Y-%m-%d %H:%M}"


class BookingEvent(models.Model):
    """One step of a booking: who moved it from which state to which, when, and what changed (预订变更)."""

    class Action(models.TextChoices):
        CREATE = "create", _("Booked")
        WALK_IN = "walk_in", _("Walk-in seated")
        CHANGE = "change", _("Changed")
        CONFIRM = "confirm", _("Confirmed")
        ARRIVE = "arrive", _("Arrived")
        COMPLETE = "complete", _("Completed with its visit")
        CANCEL = "cancel", _("Cancelled")
        NO_SHOW = "no_show", _("Marked a no-show")
        RELEASE = "release", _("Released: the hold expired")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=10, choices=Booking.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=Booking.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    # {field: [before, after]} for the date, meal period, times, rooms and party size; other fields
    # changed are named with null values (their words stay in the booking's history).
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("booking step")
        verbose_name_plural = _("booking steps")

    def __str__(self):
        return f"{self.get_action_display()}: {self.from_status} → {self.to_status}"


class WaitingEntry(models.Model):
    """A party waiting for a room of an outlet at a date and meal period, offered the first one freed."""

    class RoomKind(models.TextChoices):
        ANY = "any", _("Any room or table")
        PRIVATE = "private", _("A private room")
        TABLE = "table", _("A table in the hall")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered a room")
        BOOKED = "booked", _("Booked")
        DROPPED = "dropped", _("Dropped")

    outlet = models.ForeignKey(Outlet, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    meal_period = models.CharField(_("meal period"), max_length=10, choices=MealPeriod.choices)
    guest = models.ForeignKey(Guest, verbose_name=_("guest"), on_delete=models.PROTECT, related_name="waiting_entries")
    party_size = models.PositiveSmallIntegerField(
        _("party size"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    room_kind = models.CharField(_("room wanted"), max_length=10, choices=RoomKind.choices, default=RoomKind.ANY)
    note = models.TextField(_("note"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    booking = models.ForeignKey(
        Booking, verbose_name=_("booking"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list")
        indexes = [models.Index(fields=["outlet", "date", "meal_period", "status"], name="waiting_slot_idx")]
        constraints = [models.CheckConstraint(condition=Q(party_size__gte=1), name="waiting_party_at_least_one")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_meal_period_display()} #{self.pk}"
