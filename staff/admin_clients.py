"""The API clients in the admin: created, changed and revoked through staff.clients; a key is shown once,
when it is issued, and never again (only its prefix is kept in the clear)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .clients import (
    api_client_change,
    api_client_create,
    api_client_revoke,
    api_key_issue,
    api_key_revoke,
    api_reads_flush,
)
from .models import ApiClient, ApiReadDay, ClientKey


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label=_("scopes"), choices=ApiClient.Scope.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)  # fmt: skip
    expires_at = forms.DateTimeField(label=_("first key expires"), required=False,
                                     help_text=_("Leave empty for a key that does not expire."))  # fmt: skip

    class Meta:
        model = ApiClient
        fields = ("name", "kind", "scopes", "outlets", "rate_per_minute")


class ClientKeyInline(admin.TabularInline):
    model = ClientKey
    fields = ("prefix", "created", "expiry_date", "revoked")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _key_shown(request, client, raw):
    messages.warning(request, gettext("The key of %(client)s, shown this once — copy it now: %(key)s")
                     % {"client": client, "key": raw})  # fmt: skip


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ("name", "kind", "scope_list", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    filter_horizontal = ("outlets",)
    inlines = [ClientKeyInline]
    actions = ["issue_key", "revoke_clients"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    def get_fields(self, request, obj=None):
        fields = ["name", "kind", "scopes", "outlets", "rate_per_minute"]
        return fields + ["expires_at"] if obj is None else fields

    def get_readonly_fields(self, request, obj=None):
        return ("name",) if obj else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                api_client_change(actor=request.user, client=obj, scopes=data["scopes"], outlets=data["outlets"],
                                  rate_per_minute=data["rate_per_minute"])  # fmt: skip
            else:
                client, raw = api_client_create(
                    actor=request.user, name=data["name"], kind=data["kind"], scopes=data["scopes"],
                    outlets=data["outlets"], rate_per_minute=data["rate_per_minute"], expires_at=data["expires_at"],
                )  # fmt: skip
                obj.pk = client.pk
                _key_shown(request, client, raw)
        except (ValidationError, PermissionDenied) as error:
            raise PermissionDenied("; ".join(getattr(error, "messages", [str(error)]))) from error

    def save_related(self, request, form, formsets, change):
        """The service set the outlets and the permissions already; the keys' inline is read-only."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("Issue another key (to rotate the old one)"))
    def issue_key(self, request, queryset):
        for client in queryset:
            try:
                _key, raw = api_key_issue(actor=request.user, client=client)
            except ValidationError as error:
                messages.error(request, f"{client}: {' '.join(error.messages)}")
            else:
                _key_shown(request, client, raw)

    @admin.action(description=_("Revoke the client and all its keys"))
    def revoke_clients(self, request, queryset):
        for client in queryset:
            api_client_revoke(actor=request.user, client=client)
        messages.success(request, gettext("Revoked."))


@admin.register(ClientKey)
class ClientKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "client", "created", "expiry_date", "revoked")
    list_filter = ("revoked", "client")
    readonly_fields = ("prefix", "client", "created", "expiry_date", "revoked", "name")
    fields = readonly_fields
    actions = ["revoke_keys"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke these keys"), permissions=["view"])
    def revoke_keys(self, request, queryset):
        for key in queryset:
            api_key_revoke(actor=request.user, key=key)
        messages.success(request, gettext("Revoked."))


@admin.register(ApiReadDay)
class ApiReadDayAdmin(admin.ModelAdmin):
    list_display = ("day", "client", "endpoint", "records")
    list_filter = ("client", "endpoint")
    date_hierarchy = "day"

    def changelist_view(self, request, extra_context=None):
        api_reads_flush()  # the reads counted in Redis since beat's last flush, a minute ago at most
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
