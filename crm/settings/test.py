"""Tests: the database comes from DATABASE_URL (PostgreSQL in CI), tasks run eagerly.

The one test that starts a real Celery worker reads CELERY_BROKER_URL from the
environment itself, so that eager mode here does not hide the broker wiring.
"""

from .base import *  # noqa: F403
from .base import DATABASES

SECRET_KEY = "test-only-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
DATABASES["default"]["CONN_MAX_AGE"] = 0
ALLOWED_HOSTS = ["*"]
AXES_VERBOSE = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"axes": {"level": "WARNING"}, "django.request": {"level": "ERROR"}},
}
