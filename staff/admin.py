from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import lockouts, roles, setup
from .models import AuditEvent, Outlet, Room, User
from .services import user_staff_status_sync

# What only a superuser grants. An admin who is not one manages the other roles' accounts:
# without this, one crafted form made them a superuser.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff", "user_permissions")
SUPERUSER_ONLY_ROLES = (roles.ADMIN,)


def grantable_groups(user):
    """The roles `user` may give: every one to a superuser; to anyone else, the roles whose every
    permission they hold themselves, never the admin role (an admin who gave the manager role
    could open a second account and read the confidential notes the admin role does not)."""
    if user.is_superuser:
        return Group.objects.all()
    held = user.get_all_permissions()
    groups = Group.objects.exclude(name__in=SUPERUSER_ONLY_ROLES).prefetch_related("permissions__content_type")
    ids = [g.pk for g in groups if {f"{p.content_type.app_label}.{p.codename}" for p in g.permissions.all()} <= held]
    return Group.objects.filter(pk__in=ids)


def may_change_account(user, account) -> bool:
    """Taking over an account (its password, its roles) is holding what it holds: a non-superuser
    changes only their own and those that hold nothing beyond their own permissions."""
    if user.is_superuser or account.pk == user.pk:
        return True
    if account.is_superuser or account.groups.filter(name__in=SUPERUSER_ONLY_ROLES).exists():
        return False
    return _permissions_held(account) <= user.get_all_permissions()


def _permissions_held(account) -> set[str]:
    """The account's permissions, whether it is active or not (reactivating it is a change too)."""
    rows = Permission.objects.filter(Q(group__user=account) | Q(user=account)).values_list(
        "content_type__app_label", "codename"
    )
    return {f"{app_label}.{codename}" for app_label, codename in rows}


class LockedFilter(admin.SimpleListFilter):
    title = _("login locked")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("Locked now"))]

    def queryset(self, request, queryset):
        return queryset.filter(locked_at__isnull=False) if self.value() == "yes" else queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """A non-superuser sees neither superuser status, nor permissions of one's own, nor a role they
    may not give; cannot change their own roles; and cannot change the account (nor the password)
    of anyone holding more than they do (see may_change_account). An account locked by too many
    wrong passwords says so on the list and on its page, which unlock it (staff.lockouts)."""

    fieldsets = BaseUserAdmin.fieldsets + ((_("Outlets"), {"fields": ("outlets",)}),)
    filter_horizontal = ("groups", "user_permissions", "outlets")
    list_display = ("username", "last_name", "first_name", "is_active", "is_staff", "login_lock")
    list_filter = ("groups", "outlets", "is_active", LockedFilter)
    actions = ["unlock"]
    change_form_template = "admin/staff/user/change_form.html"

    def get_queryset(self, request):
        # An API client's own user is managed with its client (staff.admin_clients), never as staff.
        queryset = super().get_queryset(request).filter(api_client__isnull=True)
        return queryset.annotate(locked_at=lockouts.locked_at())

    @admin.display(description=_("login locked"), ordering="locked_at")
    def login_lock(self, obj):
        until = lockouts.locked_until(getattr(obj, "locked_at", None))
        if obj.locked_at is None:
            return ""
        shown = date_format(timezone.localtime(until), "SHORT_DATETIME_FORMAT") if until else _("until unlocked")
        return format_html(
            '<span data-testid="locked-{}">{}</span>', obj.username, _("until %(time)s") % {"time": shown}
        )

    def get_urls(self):
        unlock = path(
            "<path:object_id>/unlock/", self.admin_site.admin_view(self.unlock_view), name="staff_user_unlock"
        )
        return [unlock, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        account = self.get_object(request, object_id)
        if account is not None and account.locked_at is not None:
            extra_context = {**(extra_context or {}), "locked_until": lockouts.locked_until(account.locked_at)}
            extra_context["unlock_url"] = reverse("admin:staff_user_unlock", args=[account.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(
        description=_("Unlock the selected accounts (after too many wrong passwords)"), permissions=["change"]
    )
    def unlock(self, request, queryset):
        unlocked = 0
        for account in queryset:
            if may_change_account(request.user, account):
                unlocked += lockouts.account_unlock(
                    username=account.username, actor=request.user, via="admin"
                ).was_locked
        self.message_user(
            request,
            ngettext("%(count)s account unlocked.", "%(count)s accounts unlocked.", unlocked) % {"count": unlocked},
        )

    def unlock_view(self, request, object_id):
        return require_POST(self._unlock)(request, object_id)

    def _unlock(self, request, object_id):
        account = self.get_object(request, object_id)
        if account is None or not self.has_change_permission(request, account):
            raise PermissionDenied
        result = lockouts.account_unlock(username=account.username, actor=request.user, via="admin")
        if result.was_locked:
            self.message_user(
                request, gettext("The account %(username)s can log in again.") % {"username": account.username}
            )
        else:
            self.message_user(
                request,
                gettext("The account %(username)s was not locked.") % {"username": account.username},
                messages.WARNING,
            )
        return redirect(reverse("admin:staff_user_change", args=[account.pk]))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in SUPERUSER_ONLY_FIELDS]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk and not request.user.is_superuser:
            readonly += ("groups",)  # nobody raises their own privileges
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            # A crafted choice outside this queryset fails the form's validation.
            kwargs["queryset"] = grantable_groups(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or may_change_account(request.user, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user_staff_status_sync(user=form.instance)  # the roles are saved only now


class ReadOnlyMixin:
    """An admin or inline whose rows are written by the services only: none added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SettingsRowAdmin(admin.ModelAdmin):
    """The one row of a SettingsRow model: its list opens the row itself, created with its defaults
    on first use, so an admin edits it on a fresh database without a permission to add rows (and
    nobody adds a second one or deletes it)."""

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.model.current().pk]))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RoomInline(admin.TabularInline):
    model = Room
    extra = 1
    fields = ("name", "code", "is_private", "seats", "is_active")


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "code", "is_active")
    inlines = [RoomInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """Private rooms and tables, where visits are seated (and, with bookings, booked)."""

    list_display = ("name", "outlet", "code", "is_private", "seats", "is_active")
    list_filter = ("outlet", "is_private", "is_active")
    search_fields = ("name",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "target", "actor")
    list_filter = ("action",)
    readonly_fields = ("at", "action", "target", "actor", "details")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def setup_checks():
    """The setup page's items for this app: an outlet, a room or table in each, a manager."""
    outlets = list(Outlet.objects.filter(is_active=True).annotate(
        has_room=Exists(Room.objects.filter(outlet=OuterRef("pk"), is_active=True))
    ))  # fmt: skip
    yield setup.SetupItem(
        key="outlet",
        title=gettext("Outlets"),
        done=bool(outlets),
        facts=tuple(outlet.name for outlet in outlets),
        todo=gettext("No outlet yet: visits are logged at an outlet (a restaurant, bar or banquet hall)."),
        links=((gettext("Add an outlet"), reverse("admin:staff_outlet_add")),),
    )
    bare = [outlet for outlet in outlets if not outlet.has_room]
    if not outlets:
        todo, links = gettext("Add an outlet first, then its private rooms and tables."), ()
    else:
        todo = gettext("These outlets have no room or table yet: %(names)s.") % {
            "names": ", ".join(outlet.name for outlet in bare)
        }
        links = tuple(
            (gettext("Rooms of %(outlet)s") % {"outlet": outlet.name},
             reverse("admin:staff_outlet_change", args=[outlet.pk]))
            for outlet in bare
        )  # fmt: skip
    rooms = Room.objects.filter(is_active=True, outlet__is_active=True).count()
    yield setup.SetupItem(
        key="room",
        title=gettext("Rooms and tables"),
        done=bool(outlets) and not bare,
        facts=(ngettext("%(count)s room or table", "%(count)s rooms and tables", rooms) % {"count": rooms},),
        todo=todo,
        links=links,
    )
    managers = list(User.objects.filter(is_active=True, groups__name=roles.MANAGER).distinct())
    yield setup.SetupItem(
        key="manager",
        title=gettext("Managers"),
        done=bool(managers),
        facts=tuple(str(manager) for manager in managers),
        todo=gettext(
            "Nobody active holds the manager role: managers approve complaints and the archive review, and "
            "only they read confidential notes. Only a superuser, or an admin who is also a manager, gives this role."
        ),
        links=((gettext("Staff members"), reverse("admin:staff_user_changelist")),),
    )


setup.register(setup_checks, order=10)

from . import admin_clients  # noqa: E402, F401  (the API clients' admin registers itself)
