"""The filters of the managers' reports; each report page binds one of these to the query string."""

import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bookings.models import Booking
from guests.models import Guest
from staff.models import Outlet
from visits.filters import DAY_BOUNDS, start_of_day
from visits.models import Complaint

from .selectors import birthday_window


def _staff():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class ReportFilter(django_filters.FilterSet):
    """A report's filters, with the values a page starts from when the query string names none."""

    def __init__(self, data=None, *args, review=None, **kwargs):
        self.review = review
        super().__init__(self.with_defaults(data), *args, **kwargs)

    @classmethod
    def defaults(cls) -> dict:
        return {}

    @classmethod
    def with_defaults(cls, data):
        """Defaults apply only to a query string without any of their keys: a field the
        manager emptied on purpose (present but blank) stays empty."""
        defaults = cls.defaults()
        data = data.copy() if data is not None else {}
        if not any(key in data for key in defaults):
            for key, value in defaults.items():
                data[key] = value
        return data

    def filter_nothing(self, queryset, name, value):
        """Bounds read by the selector itself (they shape an aggregate, not a WHERE)."""
        return queryset


class DateRangeMixin:
    """Bounds on a datetime column itself, so its index serves them (see visits.filters)."""

    date_field = "visited_at"

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__gte": start_of_day(value)})

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__lt": start_of_day(value + datetime.timedelta(days=1))})


class DayRangeMixin:
    """Bounds on the calendar day of the visits' day totals (visits.VisitDayTotal)."""

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(day__gte=value)

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(day__lte=value)


def _date_filter(label, method):
    return django_filters.DateFilter(
        label=label, method=method, widget=forms.DateInput(attrs={"type": "date"}), validators=DAY_BOUNDS
    )


class VipFilter(ReportFilter):
    NOT_SEEN = [(30, _("30 days")), (60, _("60 days")), (90, _("90 days")), (180, _("180 days"))]
    ORDER = [
        ("recent", _("Seen most recently first")),
        ("spend", _("12-month spend, highest first")),
        ("silent", _("Not seen for longest first")),
    ]

    owner = django_filters.ModelChoiceFilter(label=_("Owner"), field_name="guest__owner", queryset=_staff())
    # An empty first choice: without it the browser shows and submits "30 days" with any other filter.
    not_seen = django_filters.ChoiceFilter(
        label=_("No visit for"), choices=NOT_SEEN, method="filter_not_seen", empty_label=_("Any time")
    )
    spend_min = django_filters.NumberFilter(label=_("12-month spend from"), field_name="spend_12m", lookup_expr="gte")
    order = django_filters.ChoiceFilter(label=_("Order"), choices=ORDER, method="filter_order", empty_label=None)

    @classmethod
    def defaults(cls):
        # Most recently seen first walks the guests' rank index; by spend sorts every A guest's
        # review line, which needs an index on (review, spend) to be as quick at a million guests.
        return {"order": "recent"}

    def filter_not_seen(self, queryset, name, value):
        since = timezone.now() - datetime.timedelta(days=int(value))
        return queryset.filter(Q(guest__last_visit_at__lt=since) | Q(guest__last_visit_at__isnull=True))

    def filter_order(self, queryset, name, value):
        orders = {
            "spend": ["-spend_12m", "guest_id"],
            # The guests' rank index (tier, last seen, id) serves these two: no sort of every A guest.
            "recent": ["-guest__last_seen_at", "-guest_id"],
            "silent": ["guest__last_seen_at", "guest_id"],
        }
        return queryset.order_by(*orders[value])


class AtRiskFilter(ReportFilter):
    REASONS = [
        ("lost", _("Lost")),
        ("declining", _("Spend falling")),
        ("silent", _("No recent visit")),
        ("complaints", _("Open complaints")),
    ]
    ORDER = [
        ("stake", _("Spend the 12 months before, highest first")),
        ("spend", _("12-month spend, highest first")),
        ("silent", _("Last visit, longest ago first")),
    ]

    tier = django_filters.ChoiceFilter(label=_("Tier"), field_name="guest__tier", choices=Guest.Tier.choices)
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=REASONS, method="filter_reason")
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), field_name="guest__owner", queryset=_staff())
    order = django_filters.ChoiceFilter(label=_("Order"), choices=ORDER, method="filter_order", empty_label=None)

    @classmethod
    def defaults(cls):
        return {"order": "stake"}

    def filter_reason(self, queryset, name, value):
        if value == "lost":
            return queryset.filter(lost=True)
        if value == "declining":
            return queryset.filter(declining=True)
        if value == "complaints":
            return queryset.filter(open_complaints__gt=0)
        return queryset.filter(Q(last_visit_at__lt=silent_before(self.review)) | Q(last_visit_at__isnull=True))

    def filter_order(self, queryset, name, value):
        orders = {
            "stake": ["-spend_prev", "guest_id"],
            "spend": ["-spend_12m", "guest_id"],
            "silent": [F("last_visit_at").asc(nulls_first=True), "guest_id"],
        }
        return queryset.order_by(*orders[value])


def silent_before(review) -> datetime.datetime:
    """When a guest's last visit counted as 'not seen' for the review's at-risk rule."""
    days = review.thresholds.get("at_risk_days", 60)
    end = start_of_day(review.as_of + datetime.timedelta(days=1))
    return end - datetime.timedelta(days=days)


class BirthdayFilter(ReportFilter):
    WINDOWS = [("week", _("This week")), ("month", _("This month"))]

    window = django_filters.ChoiceFilter(label=_("When"), choices=WINDOWS, method="filter_nothing", empty_label=None)
    tier = django_filters.ChoiceFilter(label=_("Tier"), choices=Guest.Tier.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_staff())
    greeting_consent = django_filters.BooleanFilter(
        label=_("Consents to greetings"),
        widget=forms.Select(choices=[("", "---------"), (True, _("Yes")), (False, _("No"))]),
    )

    @classmethod
    def defaults(cls):
        return {"window": "week"}

    def window_days(self, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
        return birthday_window(self.form.cleaned_data.get("window") or "week", today=today)


class TopSpenderFilter(DateRangeMixin, ReportFilter):
    """Without dates or outlet, the figures of the latest review; with them, live over visits."""

    date_from = _date_filter(_("From"), "filter_date_from")
    date_to = _date_filter(_("To"), "filter_date_to")
    outlet = django_filters.ModelChoiceFilter(label=_("Outlet"), queryset=Outlet.objects.all())
    tier = django_filters.ChoiceFilter(label=_("Tier"), field_name="guest__tier", choices=Guest.Tier.choices)

    def is_live(self) -> bool:
        data = self.form.cleaned_data
        return bool(data.get("date_from") or data.get("date_to") or data.get("outlet"))


class DevelopedFilter(DateRangeMixin, ReportFilter):
    date_field = "created_at"

    date_from = _date_filter(_("Created from"), "filter_date_from")
    date_to = _date_filter(_("Created to"), "filter_date_to")
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_staff())

    @classmethod
    def defaults(cls):
        today = timezone.localdate()
        return {"date_from": (today - datetime.timedelta(days=364)).isoformat(), "date_to": today.isoformat()}


class ComplaintSummaryFilter(DateRangeMixin, ReportFilter):
    date_field = "received_at"

    date_from = _date_filter(_("Received from"), "filter_date_from")
    date_to = _date_filter(_("Received to"), "filter_date_to")
    outlet = django_filters.ModelChoiceFilter(label=_("Outlet"), queryset=Outlet.objects.all())
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Complaint.Category.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Complaint.Status.choices)

    @classmethod
    def defaults(cls):
        today = timezone.localdate()
        return {"date_from": (today - datetime.timedelta(days=364)).isoformat(), "date_to": today.isoformat()}


class MealWeekdayFilter(DayRangeMixin, ReportFilter):
    date_from = _date_filter(_("From"), "filter_date_from")
    date_to = _date_filter(_("To"), "filter_date_to")
    outlet = django_filters.ModelChoiceFilter(label=_("Outlet"), queryset=Outlet.objects.all())

    @classmethod
    def defaults(cls):
        # Thirteen whole weeks: every weekday counted the same number of times.
        today = timezone.localdate()
        return {"date_from": (today - datetime.timedelta(days=90)).isoformat(), "date_to": today.isoformat()}


class SpendByTierFilter(MealWeekdayFilter):
    @classmethod
    def defaults(cls):
        # Twelve calendar months, this one included, so every bar is a whole month but the last.
        today = timezone.localdate()
        month = today.year * 12 + today.month - 1 - 11
        start = datetime.date(month // 12, month % 12 + 1, 1)
        return {"date_from": start.isoformat(), "date_to": today.isoformat()}


class PeriodForm(forms.Form):
    """A period whose start comes before its end."""

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data


def _booking_day(label, lookup, required=False):
    return django_filters.DateFilter(
        label=label, field_name="date", lookup_expr=lookup, widget=forms.DateInput(attrs={"type": "date"}),
        validators=DAY_BOUNDS, required=required,
    )  # fmt: skip


class BookingPeriodFilter(ReportFilter):
    """Bookings of an outlet by the day they are for (not the day they were made)."""

    date_from = _booking_day(_("From"), "gte")
    date_to = _booking_day(_("To"), "lte")
    outlet = django_filters.ModelChoiceFilter(label=_("Outlet"), queryset=Outlet.objects.all())

    class Meta:
        form = PeriodForm

    @classmethod
    def defaults(cls):
        # Thirteen whole weeks, as the meal period report: every weekday counted the same number of times.
        today = timezone.localdate()
        return {"date_from": (today - datetime.timedelta(days=90)).isoformat(), "date_to": today.isoformat()}


class BookingMixFilter(BookingPeriodFilter):
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Booking.Source.choices)
    tier = django_filters.ChoiceFilter(label=_("Tier"), field_name="guest__tier", choices=Guest.Tier.choices)


class RoomUtilisationFilter(BookingPeriodFilter):
    """The available meal periods are counted over the period, so it needs both its ends."""

    date_from = _booking_day(_("From"), "gte", required=True)
    date_to = _booking_day(_("To"), "lte", required=True)


class CoversFilter(BookingPeriodFilter):
    STEPS = [("week", _("By week")), ("day", _("By day"))]

    step = django_filters.ChoiceFilter(label=_("Show"), choices=STEPS, method="filter_nothing", empty_label=None)

    @classmethod
    def defaults(cls):
        return super().defaults() | {"step": "week"}
