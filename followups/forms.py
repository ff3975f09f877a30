import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from staff.submissions import TOKEN_FIELD, SubmissionTokenMixin

from .models import FollowUp
from .selectors import followup_assignees

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FollowUpForm(SubmissionTokenMixin, forms.ModelForm):
    """A follow-up someone decides on at the profile; only managers choose another owner."""

    class Meta:
        model = FollowUp
        fields = ("kind", "due_on", "channel", "owner", "note")
        widgets = {"due_on": DATE_INPUT, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, guest, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("kind", FollowUp.Kind.OTHER)
        self.initial.setdefault("due_on", timezone.localdate() + datetime.timedelta(days=1))
        if user.has_perm("followups.view_all_followups"):
            self.fields["owner"].queryset = followup_assignees()
            self.fields["owner"].empty_label = _("The guest's owner, else me")
            self.initial.setdefault("owner", guest.owner_id)
        else:
            del self.fields["owner"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("kind", css_class="col-12 col-md-6"), Column("channel", css_class="col-12 col-md-6")),
            Row(Column("due_on", css_class="col-12 col-md-6"),
                *([Column("owner", css_class="col-12 col-md-6")] if "owner" in self.fields else [])),
            "note",
            TOKEN_FIELD,
        )  # fmt: skip

    def service_fields(self) -> dict:
        fields = dict(self.cleaned_data)
        fields.pop(TOKEN_FIELD, None)
        if fields.get("owner") is None:
            fields.pop("owner", None)  # the service's default: the guest's owner, else the actor
        return fields


# The row actions. They only parse the input: the rules (a reason to skip, no date in the
# past, an active owner) are the services', so they read the same from every caller.


class CompleteForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=1000)


class RescheduleForm(forms.Form):
    due_on = forms.DateField(label=_("New due date"), widget=DATE_INPUT)
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=1000)


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=followup_assignees())
