from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from . import roles
from .models import AuditEvent, Outlet, User

# What only a superuser grants. An admin who is not one manages the other roles' accounts:
# without this, one crafted form made them a superuser.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff", "user_permissions")
SUPERUSER_ONLY_ROLES = (roles.ADMIN,)


def _holds_superuser_privilege(user) -> bool:
    return user.is_superuser or user.groups.filter(name__in=SUPERUSER_ONLY_ROLES).exists()


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """A non-superuser sees neither superuser status, nor permissions of one's own, nor the admin
    role; cannot change their own roles; and cannot change the account (nor the password) of a
    superuser or of another admin, who hold what they may not grant."""

    fieldsets = BaseUserAdmin.fieldsets + ((_("Outlets"), {"fields": ("outlets",)}),)
    filter_horizontal = ("groups", "user_permissions", "outlets")
    list_display = ("username", "last_name", "first_name", "is_active", "is_staff")
    list_filter = ("groups", "outlets", "is_active")

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
            kwargs["queryset"] = Group.objects.exclude(name__in=SUPERUSER_ONLY_ROLES)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser or obj.pk == request.user.pk:
            return True
        return not _holds_superuser_privilege(obj)


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active")


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
