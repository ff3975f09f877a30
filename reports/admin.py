from django.contrib import admin

from staff.admin import SettingsRowAdmin

from .models import ReviewSettings


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(SettingsRowAdmin):
    """The one row of thresholds the archive review runs by (tiers and retention included), edited by admins."""
