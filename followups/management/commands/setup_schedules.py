"""Create or update the Celery beat schedules (django-celery-beat); safe to run on every release.

The schedules are in TIME_ZONE as it is when this runs, and beat's start and migrate run it
(crm.celery): after TIME_ZONE changes, restarting beat moves every schedule to the new zone
and removes the rows left in the old one.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from crm.celery import app

# name: (task, crontab, description)
SCHEDULES = {
    "Follow-up rules": (
        "followups.tasks.run_daily_rules",
        {"minute": "5", "hour": "7-21"},
        "The daily follow-up rules. They are idempotent, so the hourly repeats only catch up on a "
        "run missed while Redis or the workers were down.",
    ),
    "Birthday greetings": (
        "followups.tasks.send_birthday_greetings",
        {"minute": "0", "hour": "9-20"},
        "Claims and sends today's birthday greetings (solar and lunar); later runs send only what "
        "is still due, never twice. Each run first marks greetings left 'sending' by a dead worker "
        "past KESHI_GREETING_SENDING_TIMEOUT as 'unknown', for a manager to settle.",
    ),
    "Bi-monthly archive review": (
        "reports.tasks.run_archive_review",
        {"minute": "0", "hour": "3", "day_of_month": "1"},
        "Checked on the first of every month at 03:00; a review runs when a new review period "
        "(an admin setting, two months by default) has begun, once per period.",
    ),
    "Card import sweep": (
        "guests.tasks.sweep_card_transfers",
        {"minute": "*/15"},
        "Fails card imports stuck past KESHI_CARD_TRANSFER_STUCK_AFTER (a worker died), expires checked "
        "files not imported within KESHI_CARD_CHECKED_KEPT_FOR, and deletes their file bytes.",
    ),
    "Archive review sweep": (
        "reports.tasks.sweep_reviews",
        {"minute": "*/15"},
        "Sends again a review no worker took within KESHI_JOB_RESEND_AFTER (it was queued while Redis was "
        "down), and fails a review a dead worker left running, for a manager to retry from its page.",
    ),
    "Tentative bookings release": (
        "bookings.tasks.release_expired_holds",
        {"minute": "*/5"},
        "Releases the tentative bookings whose hold has passed (cancelled, reason: hold expired), so their rooms "
        "show free on the board within five minutes; a booking being confirmed at that moment is left to the desk.",
    ),
    "Webhook deliveries": (
        "webhooks.tasks.deliver_due",
        {"minute": "*"},
        "Posts the webhook deliveries that are due: those the run sent after each change missed (Redis or the "
        "workers were down), the retries after their backoff, and those a dead worker held past their lease.",
    ),
    "API reads count": (
        "staff.tasks.flush_api_reads",
        {"minute": "*"},
        "Moves the API's reads of personal data that the caller lookup counts in Redis into the audit log's "
        "per-day counts; the admin page of the API reads of personal data moves them too before it lists them.",
    ),
    "Recent spend": (
        "visits.tasks.rebuild_recent_spend",
        {"minute": "20", "hour": "*"},
        "Sums each guest's visits and spend over the 30 days before today, which the top spenders report over "
        "the last 30 days adds today's visits to. It rebuilds once a day; the other hourly runs find it built and "
        "stop, and catch up on a night the workers were down (the report sums the visits live meanwhile).",
    ),
    "Webhook log sweep": (
        "webhooks.tasks.sweep_webhook_log",
        {"minute": "40", "hour": "4"},
        "Deletes the webhook events and their delivery log older than KESHI_WEBHOOK_LOG_DAYS (30 by default), "
        "except those still to be delivered.",
    ),
}


CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")


class Command(BaseCommand):
    help = "Create or update the periodic tasks Celery beat runs."

    @transaction.atomic
    def handle(self, *args, **options):
        app.loader.import_default_modules()
        for name, (task, cron, description) in SCHEDULES.items():
            crontab, _created = CrontabSchedule.objects.get_or_create(timezone=settings.TIME_ZONE, **cron)
            enabled = task in app.tasks
            PeriodicTask.objects.update_or_create(
                name=name,
                defaults={"task": task, "crontab": crontab, "interval": None, "description": description,
                          "enabled": enabled},
            )  # fmt: skip
            state = "enabled" if enabled else "disabled (task not installed yet)"
            self.stdout.write(f"{name}: {task} at {crontab} — {state}")
        # Ours, in a former time zone, now that no task uses them.
        ours = Q()
        for _task, cron, _description in SCHEDULES.values():
            ours |= Q(**(dict.fromkeys(CRONTAB_FIELDS, "*") | cron))
        CrontabSchedule.objects.filter(ours, periodictask=None).delete()
