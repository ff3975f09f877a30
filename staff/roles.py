"""The four roles of DOMAIN.md as Django groups, and the permissions each one holds.

Migrations call `sync_role_groups` so a fresh database, and every later release that
adds permissions, ends with the groups exactly as described here.
"""

from django.utils.translation import gettext_lazy as _

FRONT_DESK = "front_desk"
WAITER = "waiter"
MANAGER = "manager"
ADMIN = "admin"

ROLE_LABELS = {
    FRONT_DESK: _("Front desk"),
    WAITER: _("Waiter"),
    MANAGER: _("Manager"),
    ADMIN: _("Admin"),
}

_FRONT_DESK = {
    "guests.view_guest",
    "guests.add_guest",
    "guests.change_guest",
    "guests.change_guest_preferences",
    "visits.add_visit",
    "visits.add_complaint",
    "followups.view_followup",
    "followups.add_followup",
    "followups.change_followup",
    "bookings.view_booking",
    "bookings.add_booking",
    "bookings.change_booking",
    "bookings.serve_booking",
    "bookings.view_deposit",
    "bookings.view_waitingentry",
    "bookings.add_waitingentry",
    "bookings.change_waitingentry",
    "visits.view_posbill",
    "visits.resolve_posbill",
}
_WAITER = {
    "guests.view_guest",
    "guests.change_guest_preferences",
    "visits.add_visit",
    "visits.add_complaint",
    "followups.view_followup",
    "followups.add_followup",
    "followups.change_followup",
    "bookings.view_booking",
    "bookings.serve_booking",
}
_MANAGER = (
    _FRONT_DESK
    | _WAITER
    | {
        "guests.view_confidential",
        "guests.change_guest_tier",
        "guests.view_guest_history",
        "guests.merge_guests",
        "guests.anonymise_guest",
        "guests.export_card",
        "staff.view_outlet",
        "staff.view_auditevent",
        "visits.view_visit",
        "visits.change_visit",
        "visits.correct_visit",
        "visits.view_complaint",
        "visits.handle_complaint",
        "visits.approve_complaint",
        "followups.view_all_followups",
        "followups.view_greeting",
        "followups.resolve_greeting",
        "reports.view_review",
        "reports.view_reviewline",
        "reports.run_review",
    }
)
# Confidential notes are for managers alone (DOMAIN.md): an admin keeps the archive, and reads
# them only when they also hold the manager role.
MANAGER_ONLY = {"guests.view_confidential"}
_ADMIN = (_MANAGER - MANAGER_ONLY) | {
    "staff.view_user",
    "staff.add_user",
    "staff.change_user",
    "staff.add_outlet",
    "staff.change_outlet",
    "staff.view_room",
    "staff.add_room",
    "staff.change_room",
    "guests.view_tag",
    "guests.add_tag",
    "guests.change_tag",
    "guests.delete_tag",
    "guests.export_archive",
    "guests.import_archive",
    "guests.view_cardtransfer",
    "followups.view_rulesettings",
    "followups.change_rulesettings",
    "followups.view_holiday",
    "followups.add_holiday",
    "followups.change_holiday",
    "followups.delete_holiday",
    "followups.view_messagetemplate",
    "followups.add_messagetemplate",
    "followups.change_messagetemplate",
    "followups.view_greetingattempt",
    "django_celery_beat.view_periodictask",
    "django_celery_beat.change_periodictask",
    "django_celery_beat.view_crontabschedule",
    "reports.view_reviewsettings",
    "reports.change_reviewsettings",
    "bookings.view_bookingsettings",
    "bookings.change_bookingsettings",
    "staff.view_apiclient",
    "staff.add_apiclient",
    "staff.change_apiclient",
    "staff.view_clientkey",
    "staff.view_apireadday",
    # Webhooks out: an API client's subscriptions, the delivery log and its replay.
    "webhooks.view_subscription",
    "webhooks.add_subscription",
    "webhooks.change_subscription",
    "webhooks.view_event",
    "webhooks.view_delivery",
    "webhooks.view_deliveryattempt",
    "webhooks.replay_delivery",
}

ROLE_PERMISSIONS = {
    FRONT_DESK: _FRONT_DESK,
    WAITER: _WAITER,
    MANAGER: _MANAGER,
    ADMIN: _ADMIN,
}


def sync_role_groups(apps, schema_editor=None):
    """Create the role groups and set their permissions; safe to run again."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # Migration states have no models module; create_permissions skips those.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
