import dataclasses

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from .forms import GuestAdminForm
from .models import CardTransfer, Guest, RelatedPerson, Tag
from .services import CONFIDENTIAL_FIELDS, guest_create, guest_update


class _WithoutConfidential(HistoricalRecordContextHelper):
    """The history page's changes, less the confidential notes' texts (for a reader who is no manager)."""

    def context_for_delta_changes(self, delta):
        changes = [change for change in delta.changes if change.field not in CONFIDENTIAL_FIELDS]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=changes))


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


class RelatedPersonInline(admin.TabularInline):
    model = RelatedPerson
    extra = 0


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
