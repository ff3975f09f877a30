import dataclasses

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from .forms import GuestAdminForm, people_after
from .models import CardTransfer, Guest, RelatedPerson, Tag
from .services import (
    CONFIDENTIAL_FIELDS,
    MAX_RELATED_PEOPLE,
    PeopleWritten,
    guest_create,
    guest_update,
    related_people_check,
    related_people_replace,
)


class _WithoutConfidential(HistoricalRecordContextHelper):
    """The history page's changes, less the confidential notes' texts (for a reader who is no manager)."""

    def context_for_delta_changes(self, delta):
        changes = [change for change in delta.changes if change.field not in CONFIDENTIAL_FIELDS]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=changes))


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


class RelatedPeopleFormSet(BaseInlineFormSet):
    """The inline's rows as related_people_replace's list: checked by its rules when the page is sent, so
    a refusal shows on the page with everything typed and nothing saved, and written by it (save_formset)."""

    actor = None  # the admin's user, set per request by RelatedPersonInline.get_formset

    def people(self, guest):
        stored = guest.related_people.all() if guest.pk else ()
        return people_after(stored, [form for form in self.forms if form.has_changed()])

    def clean(self):
        super().clean()
        if any(self.errors) or not self.has_changed():  # nothing to write (a read-only inline among them)
            return
        try:
            related_people_check(guest=self.instance, actor=self.actor, people=self.people(self.instance))
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class RelatedPersonInline(admin.TabularInline):
    """Edited here as on the guest's page, through the same service: an admin correcting a record expects
    the driver's number beside the guest's. Who may is the service's rule (guests.change_guest), not the
    model permissions of RelatedPerson that no role holds; an anonymised guest's are read only."""

    model = RelatedPerson
    formset = RelatedPeopleFormSet
    extra = 0
    max_num = MAX_RELATED_PEOPLE

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)  # a new class per request
        formset.actor = request.user
        return formset

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("guests.view_guest")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("guests.change_guest") and not (obj is not None and obj.is_anonymised)

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)


@admin.register(Guest)
class GuestAdmin(SimpleHistoryAdmin):
    """Admins edit through the same services as the pages; deletion is anonymisation, on the profile."""

    form = GuestAdminForm
    inlines = [RelatedPersonInline]
    list_display = ("card_no", "name", "honorific", "tier", "company", "owner", "last_visit_at")
    list_filter = ("tier", "org_type", "source")
    search_fields = ("card_no", "=mobile", "name", "company")
    raw_id_fields = ("referred_by", "owner")
    readonly_fields = ("consent_recorded_by", "consent_recorded_at", "last_visit_at", "created_at", "anonymised_at")
    filter_horizontal = ("tags",)

    def get_exclude(self, request, obj=None):
        return () if request.user.has_perm("guests.view_confidential") else tuple(CONFIDENTIAL_FIELDS)

    def get_historical_record_context_helper(self, request, historical_record):
        if request.user.has_perm("guests.view_confidential"):
            return super().get_historical_record_context_helper(request, historical_record)
        return _WithoutConfidential(self.model, historical_record)

    def has_delete_permission(self, request, obj=None):
        return False

    # The history is read-only (SIMPLE_HISTORY_REVERT_DISABLED hides the button; a POST is
    # refused here, since the library would still take one): a revert replays every field of an
    # old version at once — a withdrawn consent, the allergy a merge brought in — that nobody
    # chose one by one. The change form is the way to change a guest.
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        if not self.has_view_history_or_change_history_permission(request):
            raise PermissionDenied
        guest = Guest.objects.filter(pk=object_id).only("anonymised_at").first() if object_id.isdigit() else None
        if guest is None:
            text = _("This record was merged into another guest: its history can be read, not restored.")
        elif guest.is_anonymised:
            text = _("This guest is anonymised: an old version cannot be brought back.")
        else:
            text = _("The history is read-only: change the guest in its form, where each change is checked.")
        self.message_user(request, text, level=messages.ERROR)
        return redirect(reverse("admin:guests_guest_history", args=[object_id]))

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name != "tags"}
        if change:
            form.instance = guest_update(guest=obj, actor=request.user, fields=fields)
        else:
            fields = {name: form.cleaned_data[name] for name in form.cleaned_data if name != "tags"}
            form.instance = guest_create(actor=request.user, fields=fields)

    def save_related(self, request, form, formsets, change):
        form.instance.tags.set(form.cleaned_data.get("tags", []))
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not RelatedPerson:
            return super().save_formset(request, form, formset, change)
        written = PeopleWritten()
        if formset.has_changed():
            # form.instance is the guest the service saved (for a new guest, not the one the formset was built for).
            people = formset.people(form.instance)
            written = related_people_replace(guest=form.instance, actor=request.user, people=people)
        # What the change message in the admin's log lists, as formset.save() would have left it.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            written.created, written.changed, written.deleted)  # fmt: skip


@admin.register(CardTransfer)
class CardTransferAdmin(admin.ModelAdmin):
    """The log of card and register imports and exports: read only, written by guests.cards.services."""

    list_display = ("at", "kind", "status", "actor", "description", "file_name", "guest_count")
    list_filter = ("kind", "status")
    exclude = ("data",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
