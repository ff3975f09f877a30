from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from staff import setup
from staff.admin import SettingsRowAdmin

from .greetings import greeting_confirm_sent, greeting_requeue
from .models import FollowUp, Greeting, GreetingAttempt, Holiday, MessageTemplate, RuleSettings
from .senders import HTTP_SMS_SENDER, LOGGING_SMS_SENDER
from .services import followup_complete


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["guest", "kind", "due_on", "channel", "owner", "status", "rule"]
    list_filter = ["status", "kind", "channel", "rule"]
    search_fields = ["guest__name", "guest__card_no", "occasion"]
    autocomplete_fields = ["guest"]
    raw_id_fields = ["owner"]
    readonly_fields = ["rule", "occasion", "created_by", "created_at", "completed_at", "completed_by"]
    date_hierarchy = "due_on"
    actions = ["mark_done"]

    # Follow-ups are made, rescheduled, reassigned and finished on their pages, through the services
    # (followups/services.py) that check who may; here an admin reads them and marks them done.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Mark the selected follow-ups done"))
    def mark_done(self, request, queryset):
        done = 0
        for followup in queryset.filter(status__in=FollowUp.PENDING):
            followup_complete(actor=request.user, followup=followup)
            done += 1
        self.message_user(request, _("%(count)s follow-ups marked done.") % {"count": done})


@admin.register(RuleSettings)
class RuleSettingsAdmin(SettingsRowAdmin):
    """The follow-up rules' numbers and the signature every greeting ends with."""

    fieldsets = [
        (_("Greetings"), {"fields": ["hotel_name"]}),
        (
            _("Follow-up rules"),
            {
                "fields": [
                    "greeting_lead_days",
                    "courtesy_call_days",
                    "win_back_days",
                    "holiday_lead_days",
                    "satisfaction_check_days",
                    "banquet_party_size",
                ]
            },
        ),
    ]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["name", "calendar", "month", "day", "is_active"]
    list_filter = ["calendar", "is_active"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["occasion", "language", "subject"]


class GreetingAttemptInline(admin.TabularInline):
    model = GreetingAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "channel", "recipient", "outcome", "detail", "actor"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Greeting)
class GreetingAdmin(admin.ModelAdmin):
    """Read-only rows; an unknown outcome is settled by the two actions, the same services the
    managers' page calls (followups.greeting_views)."""

    list_display = ["guest", "occasion", "status", "attempts", "sending_since", "sent_at", "next_attempt_at"]
    list_filter = ["status"]
    search_fields = ["guest__name", "occasion"]
    readonly_fields = ["guest", "occasion", "status", "attempts", "next_attempt_at", "created_at", "sending_since",
                       "sent_at"]  # fmt: skip
    inlines = [GreetingAttemptInline]
    actions = ["confirm_sent", "requeue"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("It went out (checked with the gateway): mark sent"), permissions=["resolve"])
    def confirm_sent(self, request, queryset):
        self._settle(request, queryset, greeting_confirm_sent)

    @admin.action(description=_("It did not go out (checked with the gateway): send again"), permissions=["resolve"])
    def requeue(self, request, queryset):
        self._settle(request, queryset, greeting_requeue)

    def has_resolve_permission(self, request):
        return request.user.has_perm("followups.resolve_greeting")

    def _settle(self, request, queryset, service):
        done = 0
        for greeting in queryset.filter(status=Greeting.Status.UNKNOWN):
            service(greeting=greeting, actor=request.user)
            done += 1
        skipped = queryset.count() - done
        self.message_user(request, _("%(count)s greetings settled.") % {"count": done})
        if skipped:
            self.message_user(
                request,
                _("%(count)s greetings were skipped: only a greeting whose outcome is unknown can be settled.")
                % {"count": skipped},
                level=messages.WARNING,
            )


@admin.register(GreetingAttempt)
class GreetingAttemptAdmin(admin.ModelAdmin):
    list_display = ["at", "greeting", "channel", "recipient", "outcome"]
    list_filter = ["outcome", "channel"]
    readonly_fields = ["greeting", "at", "channel", "recipient", "outcome", "detail"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Backends that never reach a mailbox, and an SMTP "server" that is this machine (nothing listens
# there on a server installed from the README).
NOWHERE_MAIL_BACKENDS = {"console", "locmem", "dummy", "filebased"}
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
# What a fresh database signs with: the model's blank, or the "本店" (this restaurant) migration 0002 seeds.
DEFAULT_SIGNATURES = {"", "本店"}


def setup_checks():
    """The setup page's items for this app: the greetings' signature, the SMS sender and the mail, the
    last two as IT configured them in the environment (read-only here; secrets only as set or not)."""
    signature = RuleSettings.current().hotel_name
    yield setup.SetupItem(
        key="signature",
        title=gettext("Signature in greetings"),
        done=signature.strip() not in DEFAULT_SIGNATURES,
        facts=(signature,) if signature else (),
        todo=gettext("Greetings are still signed with the default: give the hotel's or the restaurant's name."),
        links=((gettext("Follow-up and greeting settings"), reverse("admin:followups_rulesettings_changelist")),),
    )
    yield _sms_item()
    yield _mail_item()


def _sms_item() -> setup.SetupItem:
    sender = settings.KESHI_SMS_SENDER
    facts = [gettext("Sender: %(sender)s") % {"sender": sender}]
    done = sender != LOGGING_SMS_SENDER
    todo = gettext(
        "Greetings by SMS are only written to the log. IT names a real sender in KESHI_SMS_SENDER in the "
        "server's environment file (the example gateway: %(example)s with KESHI_SMS_URL and KESHI_SMS_TOKEN), "
        "then restarts the worker."
    ) % {"example": HTTP_SMS_SENDER}
    if sender == HTTP_SMS_SENDER:
        address = urlsplit(settings.KESHI_SMS_URL)
        # Only where it goes: a gateway's URL may carry a key in its path or query.
        shown = f"{address.scheme}://{address.hostname}" if address.hostname else gettext("not set")
        facts += [
            gettext("Address: %(address)s") % {"address": shown},
            gettext("Token: %(state)s") % {"state": setup.set_or_not(settings.KESHI_SMS_TOKEN)},
            gettext("Signature: %(signature)s") % {"signature": settings.KESHI_SMS_SIGNATURE or gettext("not set")},
        ]
        done = bool(address.hostname and settings.KESHI_SMS_TOKEN)
        todo = gettext("The example gateway needs KESHI_SMS_URL and KESHI_SMS_TOKEN in the environment file.")
    return setup.SetupItem(key="sms", title=gettext("SMS sender"), done=done, facts=tuple(facts), todo=todo)


def _mail_item() -> setup.SetupItem:
    backend = settings.EMAIL_BACKEND
    kind = backend.rsplit(".", 2)[-2] if backend.count(".") >= 2 else backend
    facts = [gettext("Backend: %(backend)s") % {"backend": backend}]
    if kind == "smtp":
        security = "SSL" if settings.EMAIL_USE_SSL else "STARTTLS" if settings.EMAIL_USE_TLS else gettext("none")
        facts += [
            gettext("Server: %(host)s, port %(port)s")
            % {"host": settings.EMAIL_HOST or "-", "port": settings.EMAIL_PORT},
            gettext("Encryption: %(security)s") % {"security": security},
            gettext("User: %(state)s") % {"state": setup.set_or_not(settings.EMAIL_HOST_USER)},
            gettext("Password: %(state)s") % {"state": setup.set_or_not(settings.EMAIL_HOST_PASSWORD)},
        ]
    facts.append(gettext("From: %(address)s") % {"address": settings.DEFAULT_FROM_EMAIL})
    done = kind not in NOWHERE_MAIL_BACKENDS and not (kind == "smtp" and settings.EMAIL_HOST in LOCAL_HOSTS)
    return setup.SetupItem(
        key="mail",
        title=gettext("E-mail"),
        done=done,
        facts=tuple(facts),
        todo=gettext(
            "E-mail goes nowhere yet (greetings to guests without a mobile, password and error mail). IT sets "
            "EMAIL_HOST, EMAIL_PORT, the user, the password and EMAIL_USE_TLS or EMAIL_USE_SSL in the environment file."
        ),
    )


setup.register(setup_checks, order=20)
