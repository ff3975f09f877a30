import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guests.models import Guest
from staff.models import Outlet

from .models import Complaint, MealPeriod, Visit

# The days a person may mean. A later or earlier one would overflow Python's dates once the
# filter adds a day or turns the hotel's midnight into UTC: a server error, not a message.
DAY_BOUNDS = [MinValueValidator(datetime.date(1900, 1, 1)), MaxValueValidator(datetime.date(2999, 12, 31))]


class VisitFilter(django_filters.FilterSet):
    outlet = django_filters.ModelChoiceFilter(label=_("Outlet"), queryset=Outlet.objects.all())
    date_from = django_filters.DateFilter(
        label=_("From"), method="filter_date_from", widget=forms.DateInput(attrs={"type": "date"}),
        validators=DAY_BOUNDS,
    )  # fmt: skip
    date_to = django_filters.DateFilter(
        label=_("To"), method="filter_date_to", widget=forms.DateInput(attrs={"type": "date"}), validators=DAY_BOUNDS
    )
    meal_period = django_filters.ChoiceFilter(label=_("Meal period"), choices=MealPeriod.choices)
    served_by = django_filters.ModelChoiceFilter(
        label=_("Served by"), queryset=get_user_model().objects.filter(is_active=True).order_by("username")
    )
    spend_min = django_filters.NumberFilter(label=_("Spend from"), field_name="spend", lookup_expr="gte")
    spend_max = django_filters.NumberFilter(label=_("Spend to"), field_name="spend", lookup_expr="lte")
    tier = django_filters.ChoiceFilter(label=_("Tier"), field_name="guest__tier", choices=Guest.Tier.choices)

    class Meta:
        model = Visit
        fields = []

    # Bounds on visited_at itself (not on its date) so the recent-visits index serves them.
    def filter_date_from(self, queryset, name, value):
        return queryset.filter(visited_at__gte=start_of_day(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(visited_at__lt=start_of_day(value + datetime.timedelta(days=1)))


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight of a calendar day in the hotel's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Complaint.Status.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Complaint.Category.choices)
    outlet = django_filters.ModelChoiceFilter(label=_("Outlet"), queryset=Outlet.objects.all())
    overdue = django_filters.BooleanFilter(label=_("First answer overdue"), method="filter_overdue",
                                           widget=forms.CheckboxInput)  # fmt: skip

    class Meta:
        model = Complaint
        fields = []

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status=Complaint.Status.RECEIVED, due_at__lt=timezone.now())
