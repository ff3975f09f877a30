from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from staff.submissions import OPENED_FIELD, TOKEN_FIELD, OpenedStateMixin, SubmissionTokenMixin, conflict_message

from .fieldsets import BIRTHDAY, CONFIDENTIAL, CONSENT, DATES, IDENTITY, NOTES, PREFERENCES, SOURCE, TIER, WORK
from .models import Guest, RelatedPerson
from .services import MAX_RELATED_PEOPLE, AnonymiseReason, Person
from .validators import normalise_mobile, validate_mobile

_TEXTAREA = {"rows": 2}


def _cols(*names, size="col-md-6"):
    return Row(*(Column(name, css_class=f"col-12 {size}") for name in names))


class MobileFieldMixin:
    """Staff type mobiles as they are printed (138 0013 8000, +86-…); store them one way."""

    def clean_mobile(self):
        mobile = normalise_mobile(self.cleaned_data.get("mobile", ""))
        validate_mobile(mobile)
        return mobile


def _person_text(name, relation, phone) -> str:
    return " · ".join(part for part in (name, str(RelatedPerson.Relation(relation).label), phone) if part)


class GuestForm(OpenedStateMixin, SubmissionTokenMixin, MobileFieldMixin, forms.ModelForm):
    """The full record; which sections a user gets depends on their permissions.

    Editing, it compares what the person changed with what they saw (the guest's fields, tags
    and, given `people`, the related people formset beside it) and with what is stored now."""

    referred_by_card = forms.CharField(
        label=_("Referred by (card no.)"),
        required=False,
        max_length=20,
        help_text=_("The archive card number of the guest who introduced them."),
    )
    tag_names = forms.CharField(
        label=_("Tags"), required=False, max_length=300, help_text=_("Separate tags with commas.")
    )
    confirm_duplicate = forms.BooleanField(
        label=_("This is a different guest: save anyway"), required=False, widget=forms.HiddenInput
    )

    class Meta:
        model = Guest
        fields = (
            ("card_no",) + IDENTITY + BIRTHDAY + WORK + PREFERENCES + DATES + SOURCE + CONSENT + NOTES + TIER
            + CONFIDENTIAL
        )  # fmt: skip
        widgets = {
            **{name: forms.Textarea(attrs=_TEXTAREA) for name in PREFERENCES if name not in ("taste", "seating",
                                                                                             "smoking")},
            "notes": forms.Textarea(attrs={"rows": 3}),
            "confidential_notes": forms.Textarea(attrs={"rows": 3}),
            "anniversary": forms.DateInput(attrs={"type": "date"}),
            "company_anniversary": forms.DateInput(attrs={"type": "date"}),
            "mobile": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "landline": forms.TextInput(attrs={"inputmode": "tel"}),
            "birth_year": forms.NumberInput(attrs={"placeholder": _("optional")}),
        }  # fmt: skip

    def __init__(self, *args, user, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.people = people
        self.fields["card_no"].required = False
        self.fields["card_no"].help_text = _("Leave empty to give the guest the next number.")
        if self.instance.pk:
            self.initial.setdefault("referred_by_card", self.instance.referred_by.card_no
                                    if self.instance.referred_by_id else "")  # fmt: skip
            self.initial.setdefault("tag_names", ", ".join(t.name for t in self.instance.tags.all()))
            if not user.has_perm("guests.change_guest_tier"):
                del self.fields["card_no"]
        if user.has_perm("guests.change_guest_tier"):
            self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        else:
            for name in TIER:
                del self.fields[name]
        if not user.has_perm("guests.view_confidential"):
            del self.fields["confidential_notes"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = self._layout()

    def _layout(self):
        present = lambda names: [n for n in names if n in self.fields]  # noqa: E731
        sections = [
            Fieldset(_("Identity"), _cols(*present(("card_no",)) + ["name", "surname", "honorific", "gender"],
                                          size="col-md-3"),
                     _cols("mobile", "landline", "wechat", "email", size="col-md-3"),
                     _cols("region", "address")),
            Fieldset(_("Birthday"), _cols(*BIRTHDAY, size="col-md")),
            Fieldset(_("Work"), _cols(*WORK, size="col-md-3")),
            Fieldset(_("Preferences"), _cols("favourite_dishes", "favourite_drinks"),
                     _cols("taboos", "allergies"), _cols("taste", "seating", "smoking", size="col-md-4"),
                     _cols("special_needs", "topics_to_avoid")),
            Fieldset(_("Important dates"), _cols(*DATES)),
            Fieldset(_("Source and ownership"), _cols(*present(("source", "referred_by_card") + TIER),
                                                      size="col-md-3"), "tag_names"),
            Fieldset(_("Consent and notes"), "greeting_consent", "notes", *present(CONFIDENTIAL)),
        ]  # fmt: skip
        return Layout(*sections, "confirm_duplicate", *present((OPENED_FIELD, TOKEN_FIELD)))

    def clean_card_no(self):
        return (self.cleaned_data.get("card_no") or "").strip().upper()

    def clean_referred_by_card(self):
        card = (self.cleaned_data.get("referred_by_card") or "").strip().upper()
        if not card:
            return None
        guest = Guest.objects.filter(card_no=card, anonymised_at__isnull=True).first()
        if guest is None:
            raise forms.ValidationError(_("No guest has the card number %(card)s.") % {"card": card})
        if self.instance.pk and guest.pk == self.instance.pk:
            raise forms.ValidationError(_("A guest cannot refer themselves."))
        return guest

    def clean_tag_names(self):
        raw = self.cleaned_data.get("tag_names") or ""
        names = [t.strip() for t in raw.replace("，", ",").split(",") if t.strip()]
        if any(len(t) > 30 for t in names):
            raise forms.ValidationError(_("A tag has at most 30 characters."))
        return names

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}
        if not data.get("card_no"):
            data.pop("card_no", None)
        data["referred_by"] = self.cleaned_data.get("referred_by_card")
        return data

    def opened_values(self, guest) -> dict:
        values = {name: getattr(guest, name) for name in self._meta.fields if name in self.fields}
        if "referred_by_card" in self.fields:
            values["referred_by_card"] = guest.referred_by
        values["tag_names"] = [tag.name for tag in guest.tags.all()]
        if self.people is not None:
            for person in guest.related_people.all():
                values[f"people-{person.pk}"] = _person_text(person.name, person.relation, person.phone)
        return values

    def submitted_values(self) -> dict:
        values = super().submitted_values()
        for form in self.people.forms if self.people is not None else ():
            if form.instance.pk:
                data = form.cleaned_data
                values[f"people-{form.instance.pk}"] = None if data.get("DELETE") else _person_text(
                    data.get("name") or "", data.get("relation") or "other", data.get("phone") or "")  # fmt: skip
        return values

    def report_conflict(self, name, stored, yours) -> None:
        if not name.startswith("people-"):
            return super().report_conflict(name, stored, yours)
        removed = _("removed")
        self.add_error(None, _("Related person: %(message)s") % {
            "message": conflict_message(None, stored or removed, yours or removed)})  # fmt: skip

    def service_changes(self, changed: dict) -> tuple[dict, list | None]:
        """The fields and tags to hand to guest_update: only those the person changed."""
        fields = self.service_fields()
        fields = {name: value for name, value in fields.items()
                  if (name if name != "referred_by" else "referred_by_card") in changed}  # fmt: skip
        return fields, changed.get("tag_names")

    def people_after(self, changed: dict, stored: Guest) -> list[Person]:
        """The related people once saved: the stored ones, with the rows the person changed or removed
        applied, then the rows they added. A person changed or added by someone else meanwhile stays."""
        forms_ = [form for form in self.people.forms if not form.instance.pk or f"people-{form.instance.pk}" in changed]
        return people_after(stored.related_people.all(), forms_)


class GuestPreferencesForm(OpenedStateMixin, forms.ModelForm):
    """What a waiter may change: what the guest likes, avoids and needs."""

    class Meta:
        model = Guest
        fields = PREFERENCES
        widgets = GuestForm.Meta.widgets

    def __init__(self, *args, user=None, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("Preferences"), _cols("favourite_dishes", "favourite_drinks"), _cols("taboos", "allergies"),
                     _cols("taste", "seating", "smoking", size="col-md-4"),
                     _cols("special_needs", "topics_to_avoid")),
            *[name for name in (OPENED_FIELD,) if name in self.fields],
        )  # fmt: skip

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in PREFERENCES if name in self.cleaned_data}

    def opened_values(self, guest) -> dict:
        return {name: getattr(guest, name) for name in PREFERENCES}

    def service_changes(self, changed: dict) -> tuple[dict, None]:
        return changed, None


class QuickAddForm(SubmissionTokenMixin, MobileFieldMixin, forms.Form):
    """At the door: enough to greet the guest next time."""

    surname = forms.CharField(label=_("Surname"), max_length=10)
    honorific = forms.CharField(label=_("Honorific"), max_length=20, help_text=_("e.g. 张总, 李局, 王女士"))
    mobile = forms.CharField(
        label=_("Mobile"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
    )
    confirm_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class GuestAdminForm(MobileFieldMixin, forms.ModelForm):
    class Meta:
        model = Guest
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin decides which fields show


class RelatedPersonForm(forms.ModelForm):
    class Meta:
        model = RelatedPerson
        fields = ("name", "relation", "phone")


# Past the limit the service refuses the list, so that its message (and its leniency for a guest kept with
# more from before) is the one rule: no validate_max here.
RelatedPeopleFormSet = forms.inlineformset_factory(
    Guest, RelatedPerson, form=RelatedPersonForm, extra=1, can_delete=True, max_num=MAX_RELATED_PEOPLE
)


def people_after(stored, forms_) -> list[Person]:
    """The list for related_people_replace from validated related-people forms (of the guest form or the
    admin's inline): each stored person as stored, unless one of `forms_` changes or removes them, then the
    people the new forms add. A stored person no form shows stays, so nobody's addition meanwhile is lost."""
    edits = {form.instance.pk: form.cleaned_data for form in forms_ if form.instance.pk}
    people = []
    for person in stored:
        data = edits.get(person.pk)
        if data is None:
            people.append(Person(person.name, person.relation, person.phone, person.pk))
        elif not data.get("DELETE"):
            people.append(Person(data["name"], data["relation"], data.get("phone") or "", person.pk))
    for form in forms_:
        data = form.cleaned_data if not form.instance.pk and form.has_changed() else {}
        if data.get("name") and not data.get("DELETE"):
            people.append(Person(data["name"], data["relation"], data.get("phone") or ""))
    return people


class MergeForm(forms.Form):
    other_card = forms.CharField(
        label=_("Card no. of the duplicate record"),
        max_length=20,
        help_text=_("Its visits, complaints and follow-ups move to this guest; then it is removed."),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, keep, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep = keep

    def clean_other_card(self):
        card = self.cleaned_data["other_card"].strip().upper()
        other = Guest.objects.filter(card_no=card, anonymised_at__isnull=True).first()
        if other is None:
            raise forms.ValidationError(_("No guest has the card number %(card)s.") % {"card": card})
        if other.pk == self.keep.pk:
            raise forms.ValidationError(_("A guest cannot be merged with itself."))
        return other


class AnonymiseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=())
    card_no = forms.CharField(
        label=_("Type the card number to confirm"), max_length=20, help_text=_("This cannot be undone.")
    )

    def __init__(self, *args, guest, **kwargs):
        super().__init__(*args, **kwargs)
        self.guest = guest
        self.fields["reason"].choices = AnonymiseReason.choices

    def clean_card_no(self):
        card = self.cleaned_data["card_no"].strip().upper()
        if card != self.guest.card_no:
            raise forms.ValidationError(_("The card number does not match this guest."))
        return card
