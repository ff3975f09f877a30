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
# The replica as a test mirror of the primary (the same database): crm/tests/test_replica.py turns the
# replica's reads on and checks which alias each page reads; everywhere else they stay on the primary.
DATABASES["replica"] = {**DATABASES["default"], "ATOMIC_REQUESTS": False, "TEST": {"MIRROR": "default"}}
KESHI_REPLICA_READS = False
ALLOWED_HOSTS = ["*"]
AXES_VERBOSE = False
# The tests' TLS proxy stands at 10.0.0.2 (staff/tests/test_axes_proxy.py); 203.0.113.x is a stranger.
KESHI_TRUSTED_PROXIES = ["127.0.0.1", "::1", "10.0.0.0/8"]
# The test database is made by migrate: without this its schedules would count, for the health
# tests, as a beat that never ran (crm/tests/test_time_zone_schedules.py turns it on).
KESHI_SCHEDULES_ON_MIGRATE = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"axes": {"level": "WARNING"}, "django.request": {"level": "ERROR"}},
}
