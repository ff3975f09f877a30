"""Webhooks in the admin: subscriptions (made and changed through webhooks.services; the secret shown
once when made and when rotated, masked elsewhere) and the delivery log, read-only, with Replay."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from staff.admin import ReadOnlyMixin
from staff.models import ApiClient

from .models import Delivery, DeliveryAttempt, EventType, Subscription
from .services import (
    REPLAY,
    client_may_subscribe,
    deliveries_replay,
    subscription_change,
    subscription_create,
    subscription_rotate_secret,
)


def webhook_clients():
    """Active clients holding the webhooks scope (filtered in Python: JSON containment is PostgreSQL's)."""
    ids = [
        client.pk for client in ApiClient.objects.filter(is_active=True) if ApiClient.Scope.WEBHOOKS in client.scopes
    ]
    return ApiClient.objects.filter(pk__in=ids)


def masked(secret: str) -> str:
    return f"whsec_…{secret[-4:]}" if secret else ""


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("receiver's address"), max_length=500, assume_scheme="https",
                         help_text=_("https://…, where the receiver takes the POSTs."))  # fmt: skip
    events = forms.MultipleChoiceField(
        label=_("events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Subscription
        fields = ("client", "url", "events", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "client" in self.fields:
            field = self.fields["client"]
            field.queryset = webhook_clients()
            field.error_messages["invalid_choice"] = _(
                "Choose an active API client that holds the scope “Receive webhooks”; give a client that scope "
                "under API clients first.")  # fmt: skip
            field.help_text = _("Only active API clients holding the scope “Receive webhooks” are listed.")

    def clean_client(self):
        client = self.cleaned_data["client"]
        client_may_subscribe(client)
        return client


def _secret_shown(request, subscription):
    messages.warning(request, gettext("The signing secret of %(subscription)s, shown this once — copy it into the "
                                      "receiver now: %(secret)s") % {"subscription": subscription,
                                                                      "secret": subscription.secret})  # fmt: skip


def _refused(error) -> PermissionDenied:
    return PermissionDenied("; ".join(getattr(error, "messages", [str(error)])))


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("client", "url", "event_list", "is_active", "secret_masked", "created_at")
    list_filter = ("is_active", "client")
    list_select_related = ("client",)
    readonly_fields = ("secret_masked", "secret_rotated_at", "created_at", "created_by")
    actions = ["rotate_secret"]

    @admin.display(description=_("events"))
    def event_list(self, obj):
        return ", ".join(obj.events)

    @admin.display(description=_("signing secret"))
    def secret_masked(self, obj):
        return masked(obj.secret)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["client", "url", "events"]
        return ["client", "url", "events", "is_active", "secret_masked", "secret_rotated_at", "created_at",
                "created_by"]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "client") if obj else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                subscription_change(actor=request.user, subscription=obj, url=data["url"], events=data["events"],
                                    is_active=data["is_active"])  # fmt: skip
            else:
                made = subscription_create(actor=request.user, client=data["client"], url=data["url"],
                                           events=data["events"])  # fmt: skip
                obj.pk = made.pk
                _secret_shown(request, made)
        except (ValidationError, PermissionDenied) as error:
            raise _refused(error) from error

    def has_delete_permission(self, request, obj=None):
        """Switched off, not deleted: its deliveries stay in the log."""
        return False

    @admin.action(description=_("Rotate the signing secret"))
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            _secret_shown(request, subscription_rotate_secret(actor=request.user, subscription=subscription))


class DeliveryAttemptInline(ReadOnlyMixin, admin.TabularInline):
    model = DeliveryAttempt
    fields = ("at", "status_code", "error", "duration_ms")
    readonly_fields = fields
    extra = 0


class SubscriptionFilter(admin.SimpleListFilter):
    """By subscription, named with its client in one query (the related filter would ask for each client)."""

    title = _("subscription")
    parameter_name = "subscription__id__exact"

    def lookups(self, request, model_admin):
        return [(sub.pk, str(sub)) for sub in Subscription.objects.select_related("client")]

    def queryset(self, request, queryset):
        return queryset.filter(subscription_id=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event_type", "subscription", "status", "attempts", "next_attempt_at",
                    "last_status_code", "delivered_at")  # fmt: skip
    list_filter = ("status", "event__type", SubscriptionFilter)
    list_select_related = ("event", "subscription__client")
    search_fields = ("event__id",)
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]
    actions = ["replay"]
    fields = ("event_id_shown", "event_type", "event_occurred_at", "event_data", "subscription", "status", "attempts",
              "next_attempt_at", "give_up_at", "lease_until", "last_status_code", "last_error", "delivered_at",
              "created_at", "replay_of", "replayed_by")  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("event"), ordering="event__type")
    def event_type(self, obj):
        return obj.event.type

    @admin.display(description=_("event id"))
    def event_id_shown(self, obj):
        return str(obj.event_id)

    @admin.display(description=_("occurred"))
    def event_occurred_at(self, obj):
        return obj.event.occurred_at

    @admin.display(description=_("data"))
    def event_data(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.event.data, ensure_ascii=False, indent=2))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_replay_permission(self, request):
        return request.user.has_perm(REPLAY)

    @admin.action(description=_("Replay: send these events again, with the same event ids"), permissions=["replay"])
    def replay(self, request, queryset):
        queued, refused = deliveries_replay(actor=request.user, deliveries=queryset)
        if queued:
            messages.success(request, ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.",
                                               len(queued)) % {"count": len(queued)})  # fmt: skip
        for delivery, why in refused:
            messages.error(request, gettext("Not replayed, %(why)s: %(delivery)s") % {"why": why, "delivery": delivery})
