from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from staff.admin import SettingsRowAdmin

from .greetings import greeting_confirm_sent, greeting_requeue
from .models import FollowUp, Greeting, GreetingAttempt, Holiday, MessageTemplate, RuleSettings
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
            {"fields": ["greeting_lead_days", "courtesy_call_days", "win_back_days", "holiday_lead_days"]},
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
