from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guests.models import Guest
from staff.models import Outlet, Room
from staff.submissions import (
    OPENED_FIELD,
    TOKEN_FIELD,
    OpenedStateMixin,
    SubmissionTokenMixin,
    conflict_message,
    fingerprint,
    shown,
)

from .complaints import FIELDS_SET_BY_STEP, STEPS
from .models import Complaint, Visit
from .services import OBSERVATIONS, default_meal_period


class VisitForm(OpenedStateMixin, SubmissionTokenMixin, forms.ModelForm):
    """One short form for the table, laid out for a phone; correcting a visit, it applies only
    what the person changed since they opened it."""

    companion_cards = forms.CharField(
        label=_("Archived guests at the table (card no.)"),
        required=False,
        max_length=300,
        help_text=_("Separate card numbers with commas; other guests are counted in the party size."),
    )
    observations = forms.MultipleChoiceField(
        label=_("Noticed during service"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(key, label) for key, (label, _field, _text) in OBSERVATIONS.items()],
    )

    class Meta:
        model = Visit
        fields = (
            "outlet", "room", "visited_at", "meal_period", "party_size", "dishes", "drinks", "spend",
            "payment_method", "satisfaction", "notes",
        )  # fmt: skip
        widgets = {
            "visited_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "dishes": forms.Textarea(attrs={"rows": 2}),
            "drinks": forms.Textarea(attrs={"rows": 1}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "spend": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
            "party_size": forms.NumberInput(attrs={"inputmode": "numeric", "min": "1"}),
            "satisfaction": forms.Select(choices=[("", "—")] + [(i, "★" * i) for i in range(1, 6)]),
        }

    def __init__(self, *args, user, guest=None, correcting=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.guest = guest
        self.fields["outlet"].queryset = Outlet.objects.filter(is_active=True)
        self.fields["room"].queryset = Room.objects.filter(is_active=True).select_related("outlet")
        self.fields["room"].label_from_instance = lambda room: f"{room.outlet} · {room.name}"
        self.fields["visited_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        if not self.instance.pk:
            now = timezone.localtime()
            own = user.outlets.filter(is_active=True).first()
            self.initial.setdefault("outlet", own.pk if own else None)
            self.initial.setdefault("visited_at", now.strftime("%Y-%m-%dT%H:%M"))
            self.initial.setdefault("meal_period", default_meal_period(now))
            self.initial.setdefault("party_size", 2)
            if guest is not None and guest.payment:
                self.initial.setdefault("payment_method", guest.payment)
        else:
            self.initial["companion_cards"] = ", ".join(c.card_no for c in self.instance.companions.all())
        if correcting:
            del self.fields["observations"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("outlet", css_class="col-12 col-md-4"), Column("room", css_class="col-12 col-md-4"),
                Column("meal_period", css_class="col-12 col-md-4")),
            Row(Column("visited_at", css_class="col-7 col-md-4"), Column("party_size", css_class="col-5 col-md-2"),
                Column("spend", css_class="col-6 col-md-3"), Column("payment_method", css_class="col-6 col-md-3")),
            Field("dishes", css_class="suggest-target", data_suggest="dishes"),
            Field("drinks", css_class="suggest-target", data_suggest="drinks"),
            *(["observations"] if not correcting else []),
            "companion_cards",
            Row(Column("satisfaction", css_class="col-12 col-md-3"), Column("notes", css_class="col-12 col-md-9")),
            *[name for name in (OPENED_FIELD, TOKEN_FIELD) if name in self.fields],
        )  # fmt: skip

    def clean_companion_cards(self):
        raw = (self.cleaned_data.get("companion_cards") or "").replace("，", ",")
        cards = [c.strip().upper() for c in raw.split(",") if c.strip()]
        guests = {g.card_no: g for g in Guest.objects.filter(card_no__in=cards, anonymised_at__isnull=True)}
        missing = [c for c in cards if c not in guests]
        if missing:
            raise forms.ValidationError(_("No guest has the card number %(card)s.") % {"card": ", ".join(missing)})
        return [guests[c] for c in dict.fromkeys(cards)]

    def _post_clean(self):
        # The service validates the whole visit (dates, room and outlet, party size)
        # with one set of messages; the form only parses the fields.
        pass

    def service_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self._meta.fields}

    def opened_values(self, visit) -> dict:
        return {**{name: getattr(visit, name) for name in self._meta.fields},
                "companion_cards": list(visit.companions.all())}  # fmt: skip

    def service_changes(self, changed: dict) -> tuple[dict, list | None]:
        """The fields and companions to hand to visit_correct: only those the person changed."""
        return {name: value for name, value in changed.items() if name in self._meta.fields}, changed.get(
            "companion_cards"
        )


class ComplaintForm(SubmissionTokenMixin, forms.ModelForm):
    class Meta:
        model = Complaint
        fields = ("category", "severity", "visit", "outlet", "received_at", "description")
        widgets = {
            "received_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, guest, **kwargs):
        super().__init__(*args, **kwargs)
        # The latest 20 visits are offered; the queryset must stay filterable, as the
        # field validates the choice with .get() on it (a sliced queryset cannot).
        recent = guest.visits.order_by("-visited_at", "-id").values("pk")[:20]
        self.fields["visit"].queryset = (
            guest.visits.filter(pk__in=recent).select_related("outlet").order_by("-visited_at", "-id")
        )
        self.fields["visit"].label_from_instance = lambda v: (
            f"{v.visited_at:%Y-%m-%d} {v.get_meal_period_display()} · {v.outlet}"
        )
        self.fields["outlet"].queryset = Outlet.objects.filter(is_active=True)
        self.fields["received_at"].required = False
        self.fields["received_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["received_at"].help_text = _("Leave empty for now.")
        self.helper = FormHelper()
        self.helper.form_tag = False

    def _post_clean(self):
        # complaint_record validates the whole complaint with one set of messages.
        pass

    def service_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self._meta.fields}


class ComplaintStepForm(OpenedStateMixin, forms.Form):
    """The fields a step may ask for; the service says which ones it needs.

    It carries the complaint as the page showed it: a step sent after the complaint moved on
    (another step taken, a cause or remedy written meanwhile) is refused, so that nobody's cause,
    remedy or reaction is overwritten by a page that never showed it."""

    action = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    department = forms.CharField(label=_("Responsible department"), required=False, max_length=60)
    assignee = forms.ModelChoiceField(label=_("Responsible person"), required=False, queryset=None)
    cause = forms.CharField(label=_("Cause"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    remedy = forms.CharField(
        label=_("Remedy"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    guest_reaction = forms.CharField(
        label=_("Guest's reaction"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    summary = forms.CharField(
        label=_("Summary"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, complaint, **kwargs):
        from django.contrib.auth import get_user_model

        self.instance = complaint
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")

    def opened_values(self, complaint) -> dict:
        return {"status": complaint.status, **{name: getattr(complaint, name) for name in FIELDS_SET_BY_STEP}}

    def changes_since(self, stored_complaint) -> dict | None:
        """The step's data, or None when the complaint moved on since the page was opened."""
        stored = self.opened_values(stored_complaint)
        opened = self._opened(stored)
        if opened is None:
            self.add_error(None, _("This form could not be read; open the page again."))
            return None
        moved = [name for name, value in stored.items() if fingerprint(value) != opened.get(name)]
        if not moved:
            return {name: value for name, value in self.cleaned_data.items() if name not in ("action", OPENED_FIELD)}
        step = STEPS.get(self.cleaned_data["action"])
        for name in moved:
            if name == "status":
                self.add_error(None, _("Since you opened the page the complaint moved on; it is now “%(status)s”.")
                               % {"status": stored_complaint.get_status_display()})  # fmt: skip
            elif step is not None and name in step.required:
                self.add_error(
                    None,
                    f"{self.fields[name].label}: "
                    + conflict_message(self.fields[name], stored[name], self.cleaned_data.get(name)),
                )
            else:
                self.add_error(None, _("Since you opened the page, “%(field)s” became “%(stored)s”.")
                               % {"field": self.fields[name].label,
                                  "stored": shown(self.fields[name], stored[name])})  # fmt: skip
        self.data = self.data.copy()
        self.data[OPENED_FIELD] = self._sign(stored)
        return None
