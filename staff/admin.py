from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, Outlet, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("Outlets"), {"fields": ("outlets",)}),)
    filter_horizontal = ("groups", "user_permissions", "outlets")
    list_display = ("username", "last_name", "first_name", "is_active", "is_staff")
    list_filter = ("groups", "outlets", "is_active")


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
