"""The booking pages' forms: they parse what the desk typed; the services check the booking."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from guests.models import Guest
from guests.selectors import guest_search
from guests.validators import normalise_mobile
from staff.models import Room
from visits.models import MealPeriod

from .models import Booking, WaitingEntry
from .phone import caller_digits, match_for
from .services.steps import CANCEL_REASONS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
# The schedule and the words the desk fills in on both pages, as the services name them.
SCHEDULE = ("date", "meal_period", "arrival_time", "party_size", "special_requests")
# What else the desk records on both pages: who called, the standard and the menu, the party's dietary
# needs, where the booking came from and who looks after the guest; the deposit for those who handle it.
DETAILS = (
    "contact_name", "contact_phone", "standard_kind", "standard_amount", "menu", "drinks", "drinks_brought",
    "dietary_notes", "dietary_confirmed", "source", "owner",
)  # fmt: skip
DEPOSIT = ("deposit_amount", "deposit_method", "deposit_state")
DEPOSIT_PERMISSION = "bookings.view_deposit"
NO_SUCH_ENTRY = _("This party is no longer on the waiting list; book them without it.")
# The arrival time a meal period starts the form with.
USUAL_ARRIVAL = {"breakfast": "07:30", "lunch": "11:30", "tea": "14:30", "dinner": "18:00", "late": "21:30"}


class RoomChoices(forms.ModelMultipleChoiceField):
    """Rooms of one outlet, by their names."""

    def label_from_instance(self, room):
        return room.name


def rooms_field(queryset) -> RoomChoices:
    return RoomChoices(queryset=queryset, label=_("Rooms or tables"), widget=forms.CheckboxSelectMultiple)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal on the form: each message by its field when the form has it, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, [message for e in errors for message in e.messages])


class StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


def add_details(form: forms.Form, user, *, deposit_states) -> None:
    """The booking's details as the model declares them (labels, lengths, choices), the deposit only for
    those who may see it: a walk-in is seated at the door, never booked from these pages."""
    names = DETAILS + (DEPOSIT if user is not None and user.has_perm(DEPOSIT_PERMISSION) else ())
    widgets = {"menu": forms.Textarea(attrs={"rows": 2}), "drinks": forms.Textarea(attrs={"rows": 1}),
               "dietary_notes": forms.Textarea(attrs={"rows": 1})}  # fmt: skip
    fields = fields_for_model(Booking, fields=names, widgets=widgets, field_classes={"owner": StaffChoice})
    fields["source"].choices = [(v, label) for v, label in Booking.Source.choices if v != Booking.Source.WALK_IN]
    fields["owner"].queryset = get_user_model().objects.filter(is_active=True).order_by("first_name", "username")
    if "deposit_state" in fields:
        fields["deposit_state"].choices = [
            (v, label) for v, label in Booking.DepositState.choices if v in deposit_states
        ]
    for name in ("source", "deposit_state"):
        if name in fields:  # not sent: what the model takes when nobody says otherwise
            fields[name].required = False
    for name in ("contact_phone", "standard_amount", "deposit_amount"):
        if name in fields:
            fields[name].widget.attrs["inputmode"] = "tel" if name == "contact_phone" else "decimal"
    form.fields.update(fields)


def detail_fields(form: forms.Form) -> dict:
    fields = {name: form.cleaned_data[name] for name in DETAILS + DEPOSIT if name in form.fields}
    for name in ("source", "deposit_state"):
        if name in fields and not fields[name]:
            fields[name] = form.initial.get(name) or Booking._meta.get_field(name).get_default()
    return fields


class BookingForm(forms.Form):
    """A new booking: the host found by card number, mobile or name, or a new guest typed in."""

    find = forms.CharField(
        label=_("Host guest"), required=False, max_length=50,
        help_text=_("Card number, mobile, name or honorific of a guest in the archive."),
    )  # fmt: skip
    surname = forms.CharField(label=_("Surname (new guest)"), required=False, max_length=20)
    honorific = forms.CharField(label=_("Honorific (new guest)"), required=False, max_length=20)
    mobile = forms.CharField(label=_("Mobile (new guest)"), required=False, max_length=30)
    outlet = forms.ModelChoiceField(queryset=None, label=_("Outlet"))
    date = forms.DateField(label=_("Date"), widget=DATE)
    meal_period = forms.ChoiceField(label=_("Meal period"), choices=MealPeriod.choices)
    arrival_time = forms.TimeField(label=_("Arrival time"), widget=TIME)
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=500,
                                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}))  # fmt: skip
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Booking.Purpose.choices, initial=Booking.Purpose.OTHER)
    special_requests = forms.CharField(label=_("Special requests"), required=False, max_length=2000,
                                       widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    hold_until = forms.DateTimeField(
        label=_("Tentative: held until"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for a confirmed booking; a tentative one is released at this time."),
    )  # fmt: skip

    # The waiting list's entry when the form was opened from it (bookings.waiting_views.book_url).
    waiting = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, outlets, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outlet"].queryset = outlets
        self.outlets = outlets
        # The rooms of the outlet chosen (posted, else the one the page opened on), not of every outlet the
        # person sees: a group's desk would otherwise scroll through hundreds. The page swaps them when
        # the outlet changes (templates/bookings/form.html).
        wanted = self.data.get(self.add_prefix("outlet")) if self.is_bound else self.initial.get("outlet")
        wanted = str(getattr(wanted, "pk", wanted) or "")
        rooms = (
            Room.objects.filter(outlet=wanted, outlet__in=outlets, is_active=True)
            if wanted.isdigit()
            else Room.objects.none()
        )
        self.fields["rooms"] = rooms_field(rooms.order_by("-is_private", "name"))
        add_details(self, user, deposit_states=(Booking.DepositState.NONE, Booking.DepositState.HELD))
        self.order_fields(["find", "surname", "honorific", "mobile", "outlet", "date", "meal_period", "arrival_time",
                           "party_size", "rooms", "purpose", "special_requests"])  # fmt: skip

    def clean_find(self) -> Guest | None:
        # Card numbers are stored upper-case (guests.forms): an exact match uses the unique index, where
        # UPPER(card_no) walked the whole archive (4 s a booking at a million guests, bench/bookings.py).
        query = self.cleaned_data["find"].replace("\x00", "").strip()
        if not query:
            return None
        exact = Guest.objects.filter(card_no=query.upper(), anonymised_at__isnull=True).order_by().first()
        found = [exact] if exact else [guest for guest in guest_search(query=query, limit=6) if not guest.is_anonymised]
        if not found:
            raise ValidationError(_("No guest in the archive matches “%(query)s”.") % {"query": query})
        if len(found) > 1:
            names = "、".join(f"{guest.greeting} ({guest.card_no})" for guest in found[:5])
            raise ValidationError(_("Several guests match: %(guests)s. Enter the card number.") % {"guests": names})
        return found[0]

    def clean(self):
        data = super().clean()
        new_guest = [data.get(name) for name in ("surname", "honorific", "mobile")]
        if data.get("find") and any(new_guest):
            raise ValidationError(_("Either find a guest of the archive or enter a new guest, not both."))
        if "waiting" in self.errors:
            del self.errors["waiting"]
            self.add_error(None, NO_SUCH_ENTRY)
        elif data.get("waiting") is not None:
            data["waiting"] = WaitingEntry.objects.filter(pk=data["waiting"], outlet__in=self.outlets).first()
            if data["waiting"] is None:
                self.add_error(None, NO_SUCH_ENTRY)
        return data

    def host(self) -> dict:
        """The guest or the new guest, as booking_create takes them."""
        if self.cleaned_data.get("find"):
            return {"guest": self.cleaned_data["find"]}
        if any(self.cleaned_data.get(name) for name in ("surname", "honorific", "mobile")):
            return {"new_guest": {name: self.cleaned_data[name] for name in ("surname", "honorific", "mobile")}}
        return {}

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in ("outlet", "purpose", *SCHEDULE)} | detail_fields(self)
        if self.cleaned_data.get("hold_until"):
            fields["hold_until"] = self.cleaned_data["hold_until"]
        return fields


class BookingChangeForm(forms.Form):
    """预订变更: the date, time, rooms, party and requests of a booking."""

    date = forms.DateField(label=_("Date"), widget=DATE)
    meal_period = forms.ChoiceField(label=_("Meal period"), choices=MealPeriod.choices)
    arrival_time = forms.TimeField(label=_("Arrival time"), widget=TIME)
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=500)
    special_requests = forms.CharField(label=_("Special requests"), required=False, max_length=2000,
                                       widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    note = forms.CharField(label=_("Why it changes"), required=False, max_length=100)

    def __init__(self, *args, booking: Booking, user=None, **kwargs):
        initial = {name: getattr(booking, name) for name in SCHEDULE + DETAILS + DEPOSIT}
        initial |= {"rooms": list(booking.rooms.all()), "owner": booking.owner_id}
        super().__init__(*args, initial=initial, **kwargs)
        rooms = Room.objects.filter(outlet=booking.outlet_id, is_active=True).order_by("-is_private", "name")
        self.fields["rooms"] = rooms_field(rooms)
        add_details(self, user, deposit_states=Booking.DepositState.values)
        self.order_fields([*SCHEDULE[:4], "rooms", "special_requests", *DETAILS, *DEPOSIT, "note"])

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in SCHEDULE} | detail_fields(self)


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[(value, label) for value, label in Booking.CancelReason.choices
                                    if value in CANCEL_REASONS],
    )  # fmt: skip
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class PhoneBookingForm(BookingForm):
    """The desk on the phone: the host is the caller the number found (g<guest> or p<related person>, see
    bookings.phone), or a new guest typed in when nobody was found."""

    number = forms.CharField(label=_("Caller's number"), required=False, max_length=30,
                             help_text=_("The whole number, or its last four digits."),
                             widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))  # fmt: skip
    caller = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["find"]

    def clean_caller(self):
        key = self.cleaned_data["caller"]
        if key in ("", "new"):
            return None
        match = match_for(key)
        if match is None:
            raise ValidationError(_("This guest can no longer be booked: look the number up again."))
        return match

    def clean(self):
        data = forms.Form.clean(self)
        if data.get("caller") is None and not any(data.get(name) for name in ("surname", "honorific", "mobile")):
            if "caller" not in self.errors:
                self.add_error(None, _("Look the caller up by their number, or enter a new guest."))
        return data

    def host(self) -> dict:
        match = self.cleaned_data.get("caller")
        if match is not None:
            return {"guest": match.guest}
        return super().host()

    def service_fields(self) -> dict:
        fields = super().service_fields()
        match = self.cleaned_data.get("caller")
        if match is not None and match.person is not None:
            fields["booked_by"] = match.person
        number = self.cleaned_data.get("number", "").strip()
        if not fields.get("contact_phone") and len(caller_digits(number)) >= 7:
            fields["contact_phone"] = normalise_mobile(number)
        return fields
