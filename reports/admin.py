from django.contrib import admin

from .models import ReviewSettings


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    """The one row of thresholds the archive review runs by (retention included), edited by admins."""

    list_display = ["__str__", "a_threshold", "b_threshold", "lost_days", "period_months", "retention_years"]

    def has_add_permission(self, request):
        return not ReviewSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
