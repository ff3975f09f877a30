"""Production: fails closed. No default secret, no default database, HTTPS only, and the folders
the processes write to (static files, uploads, compiled translations) outside the code."""

from .base import *  # noqa: F403
from .base import KESHI_PGBOUNCER, env, replica_database
from .parse import absolute_path

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
# Rotating the key: put the old one here for as long as sessions and password-reset links signed
# with it should stay valid (SESSION_COOKIE_AGE at most), then remove it.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = KESHI_PGBOUNCER
if replica := replica_database(env):
    DATABASES["replica"] = replica
KESHI_REPLICA_READS = "replica" in DATABASES

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False

STATIC_ROOT = absolute_path("DJANGO_STATIC_ROOT", env.str("DJANGO_STATIC_ROOT"))
MEDIA_ROOT = absolute_path("DJANGO_MEDIA_ROOT", env.str("DJANGO_MEDIA_ROOT"))
KESHI_LOCALE_ROOT = absolute_path("KESHI_LOCALE_ROOT", env.str("KESHI_LOCALE_ROOT"))
LOCALE_PATHS = [KESHI_LOCALE_ROOT]

# Believed only from KESHI_TRUSTED_PROXIES (crm.proxy drops it from anyone else).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
