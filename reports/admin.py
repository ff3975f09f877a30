from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.translation import gettext

from guests.templatetags.money import format_money
from staff import setup
from staff.admin import SettingsRowAdmin

from .models import ReviewSettings


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(SettingsRowAdmin):
    """The one row of thresholds the archive review runs by (tiers and retention included), edited by admins."""


def setup_checks():
    """The setup page's item for this app: the tier thresholds, set once an admin changed them or saved
    the defaults on purpose (the admin's change log says so; the defaults are only an example)."""
    current = ReviewSettings.current()
    defaults = tuple(ReviewSettings._meta.get_field(name).default for name in ("a_threshold", "b_threshold"))
    saved = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ReviewSettings),
        object_id=str(current.pk),
        action_flag=CHANGE,
    ).exists()
    yield setup.SetupItem(
        key="tiers",
        title=gettext("Tier thresholds and review settings"),
        done=saved or (current.a_threshold, current.b_threshold) != defaults,
        facts=(
            gettext("A from %(a)s, B from %(b)s of spend over 12 months")
            % {"a": format_money(current.a_threshold), "b": format_money(current.b_threshold)},
        ),  # fmt: skip
        todo=gettext(
            "The thresholds are still the examples the product ships with: confirm or change them (and the "
            "review's other numbers) before the first archive review."
        ),
        links=((gettext("Review settings"), reverse("admin:reports_reviewsettings_changelist")),),
    )


setup.register(setup_checks, order=30)
