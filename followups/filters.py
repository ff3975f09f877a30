import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import FollowUp
from .selectors import followup_assignees

UNASSIGNED = "none"


class TeamFollowUpFilter(django_filters.FilterSet):
    """The managers' list. Without a status it shows what is still to do (open or rescheduled)."""

    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=followup_assignees(), null_label=_("Unassigned"), null_value=UNASSIGNED
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=FollowUp.Kind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=FollowUp.Status.choices, method="filter_status")
    due_from = django_filters.DateFilter(
        label=_("Due from"), field_name="due_on", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    due_to = django_filters.DateFilter(
        label=_("Due to"), field_name="due_on", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = django_filters.BooleanFilter(label=_("Overdue only"), method="filter_overdue",
                                           widget=forms.CheckboxInput)  # fmt: skip

    class Meta:
        model = FollowUp
        fields = []

    @property
    def qs(self):
        queryset = super().qs
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=FollowUp.PENDING)
        return queryset

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status__in=FollowUp.PENDING, due_on__lt=timezone.localdate())
