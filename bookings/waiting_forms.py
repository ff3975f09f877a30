"""The forms of the waiting list and of the walk-in seat: they parse what the desk or the greeter typed, the
host found like the booking form finds it (bookings.forms.BookingForm), and the services check the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from visits.models import MealPeriod

from .forms import DATE, BookingForm, rooms_field
from .models import Booking, WaitingEntry

NEW_GUEST = ("surname", "honorific", "mobile")


class HostForm(forms.Form):
    """A guest of the archive by card number, mobile or name, or a new guest typed in: BookingForm's own
    rules (one match or a message naming the candidates; not both ways at once)."""

    find = forms.CharField(
        label=_("Host guest"), required=False, max_length=50,
        help_text=_("Card number, mobile, name or honorific of a guest in the archive."),
    )  # fmt: skip
    surname = forms.CharField(label=_("Surname (new guest)"), required=False, max_length=20)
    honorific = forms.CharField(label=_("Honorific (new guest)"), required=False, max_length=20)
    mobile = forms.CharField(label=_("Mobile (new guest)"), required=False, max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "tel"}))  # fmt: skip

    clean_find = BookingForm.clean_find
    host = BookingForm.host

    def clean(self):
        data = super().clean()
        new_guest = [data.get(name) for name in NEW_GUEST]
        if data.get("find") and any(new_guest):
            raise forms.ValidationError(_("Either find a guest of the archive or enter a new guest, not both."))
        if "find" not in self.errors and not data.get("find") and not any(new_guest):
            raise forms.ValidationError(_("Find the host guest, or enter a new guest's surname, honorific and mobile."))
        return data


class WaitingForm(HostForm):
    """A party put on the waiting list of the outlet, date and meal period shown."""

    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=500,
                                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}))  # fmt: skip
    room_kind = forms.ChoiceField(label=_("Room wanted"), choices=WaitingEntry.RoomKind.choices,
                                  initial=WaitingEntry.RoomKind.ANY)  # fmt: skip
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def service_fields(self, *, outlet, date, meal_period) -> dict:
        return {"outlet": outlet, "date": date, "meal_period": meal_period,
                **{name: self.cleaned_data[name] for name in ("party_size", "room_kind", "note")}}  # fmt: skip


class SlotForm(forms.Form):
    """Which waiting list: an outlet among those the person sees, a date, a meal period."""

    outlet = forms.ModelChoiceField(queryset=None, label=_("Outlet"))
    date = forms.DateField(label=_("Date"), widget=DATE)
    meal_period = forms.ChoiceField(label=_("Meal period"), choices=MealPeriod.choices)

    def __init__(self, *args, outlets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outlet"].queryset = outlets


class MoveForm(forms.Form):
    status = forms.ChoiceField(choices=[(value, label) for value, label in WaitingEntry.Status.choices
                                        if value != WaitingEntry.Status.BOOKED])  # fmt: skip


class WalkInForm(HostForm):
    """A party seated at the door without booking: its host, its size and the free rooms or tables."""

    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=500,
                                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}))  # fmt: skip
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Booking.Purpose.choices, initial=Booking.Purpose.OTHER)

    def __init__(self, *args, rooms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rooms"] = rooms_field(rooms)

    def service_fields(self, *, outlet) -> dict:
        return {
            "outlet": outlet,
            "party_size": self.cleaned_data["party_size"],
            "purpose": self.cleaned_data["purpose"],
        }
