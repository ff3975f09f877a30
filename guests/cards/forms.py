import django_filters
from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from staff.models import Outlet

from ..models import Guest
from .safety import MB, limit


class CardImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            _(
                "Filled cards (one per sheet) or the register, up to %(size)s MB and %(rows)s guests a file. Nothing "
                "is saved before you confirm."
            )
            % {"size": limit("KESHI_IMPORT_MAX_BYTES") // MB, "rows": f"{limit('KESHI_IMPORT_MAX_ROWS'):,}"}
            + " "
            + _("A sheet may use at most %(columns)s columns.") % {"columns": limit("KESHI_IMPORT_MAX_COLUMNS")}
        )
        self.helper = FormHelper()
        self.helper.form_tag = False


class CardExportFilter(django_filters.FilterSet):
    """Which guests' cards go into one workbook, e.g. all A guests of an outlet."""

    tier = django_filters.ChoiceFilter(label=gettext_lazy("Tier"), choices=Guest.Tier.choices)
    outlet = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Visited outlet"), queryset=Outlet.objects.all(), method="filter_outlet"
    )
    owner = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Owner"), queryset=get_user_model().objects.filter(is_active=True).order_by("username")
    )

    class Meta:
        model = Guest
        fields = ("tier", "outlet", "owner")

    def filter_outlet(self, queryset, name, value):
        return queryset.filter(visits__outlet=value).distinct()

    def describe(self) -> str:
        data = self.form.cleaned_data
        parts = [f"{self.filters[name].label}: {data[name]}" for name in self.Meta.fields if data.get(name)]
        return "; ".join(str(p) for p in parts) or _("All guests")
