"""The Celery app of the workers and of beat.

It never chooses the settings: a worker or beat started without DJANGO_SETTINGS_MODULE
stops with a message instead of running on the local (DEBUG) settings. The check waits
until the configuration is first read, because crm/__init__ imports this module before
manage.py or crm.wsgi set their own defaults.
"""

import os
import sys

from celery import Celery

MISSING_SETTINGS = (
    "DJANGO_SETTINGS_MODULE is not set: start the Celery worker and beat with "
    "DJANGO_SETTINGS_MODULE=crm.settings.production (or crm.settings.local for local work)."
)

app = Celery("crm")


@app.on_configure.connect
def require_settings_module(sender=None, **kwargs):
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        sys.exit(MISSING_SETTINGS)


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
