"""The Celery app of the workers and of beat.

It never chooses the settings: a worker or beat started without DJANGO_SETTINGS_MODULE
stops with a message instead of running on the local (DEBUG) settings. The check waits
until the configuration is first read, because crm/__init__ imports this module before
manage.py or crm.wsgi set their own defaults.

Worker and beat log like the web process (crm.logs): answering Celery's setup_logging signal
tells Celery to configure no logging of its own, and settings.LOGGING is applied instead.

The beat schedules follow TIME_ZONE without anyone remembering setup_schedules: beat applies
them when it starts, and migrate applies them after migrating, so changing TIME_ZONE and
restarting beat is enough.
"""

import io
import logging
import os
import sys

from celery import Celery, signals
from django.db.models.signals import post_migrate
from django.dispatch import receiver

MISSING_SETTINGS = (
    "DJANGO_SETTINGS_MODULE is not set: start the Celery worker and beat with "
    "DJANGO_SETTINGS_MODULE=crm.settings.production (or crm.settings.local for local work)."
)

logger = logging.getLogger(__name__)

app = Celery("crm")


@app.on_configure.connect
def require_settings_module(sender=None, **kwargs):
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        sys.exit(MISSING_SETTINGS)


@signals.setup_logging.connect
def log_like_the_web(**kwargs):
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


def apply_schedules() -> None:
    """followups' setup_schedules, its report written to the log."""
    from django.core.management import call_command

    report = io.StringIO()
    call_command("setup_schedules", stdout=report)
    for line in report.getvalue().splitlines():
        logger.info("Schedule %s", line)


@signals.beat_init.connect
def apply_schedules_when_beat_starts(sender=None, **kwargs):
    apply_schedules()


@receiver(post_migrate)
def apply_schedules_after_migrate(sender, **kwargs):
    from django.conf import settings

    # post_migrate comes once per app; flush sends it too, without a plan.
    if sender.label != "followups" or "plan" not in kwargs or not settings.KESHI_SCHEDULES_ON_MIGRATE:
        return
    apply_schedules()


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
