"""The filters of the review page."""

import datetime

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from staff.models import Outlet
from visits.models import Visit

from ..models import ReviewLine


class ReviewLineFilter(django_filters.FilterSet):
    """The review page's filters over one review's lines; the outlet filter reads the review's as-of day."""

    FLAGS = [
        ("growing", _("Growing")),
        ("declining", _("Declining")),
        ("at_risk", _("At risk")),
        ("lost", _("Lost")),
        ("newly_lost", _("Newly lost")),
        ("recovered", _("Recovered")),
        ("repeated_no_shows", _("Repeated no-shows")),
        ("retention_end", _("Retention ended: to anonymise")),
    ]

    flag = django_filters.ChoiceFilter(label=_("Flag"), choices=FLAGS, method="filter_flag")
    move = django_filters.ChoiceFilter(
        label=_("Tier change"),
        choices=[("up", _("Moved up")), ("down", _("Moved down")), ("any", _("Any change"))],
        method="filter_move",
    )
    decision = django_filters.ChoiceFilter(label=_("Decision"), choices=ReviewLine.Decision.choices)
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"),
        field_name="guest__owner",
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
    )
    outlet = django_filters.ModelChoiceFilter(
        label=_("Outlet (visited in 12 months)"), queryset=Outlet.objects.all(), method="filter_outlet"
    )

    class Meta:
        model = ReviewLine
        fields = []

    def __init__(self, data=None, *args, review, **kwargs):
        self.review = review
        super().__init__(data, *args, **kwargs)

    def filter_flag(self, queryset, name, value):
        return queryset.filter(**{value: True})

    def filter_move(self, queryset, name, value):
        return queryset.exclude(move="") if value == "any" else queryset.filter(move=value)

    def filter_outlet(self, queryset, name, value):
        since = self.review.as_of - datetime.timedelta(days=365)
        visited = Visit.objects.filter(guest_id=OuterRef("guest_id"), outlet=value, visited_at__date__gte=since)
        return queryset.filter(Exists(visited))
