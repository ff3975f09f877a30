"""Settings shared by every environment.

Environment variables decide where data lives: with no DATABASE_URL the app runs on
an embedded SQLite file, with no CELERY_BROKER_URL Celery tasks run eagerly in the
request, so a newcomer needs nothing but python3.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    "staff",
    "guests",
    "visits",
    "followups",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "staff.middleware.RelaxedPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "staff.middleware.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "staff.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "staff.backends.CachedPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "guests:lookup"
LOGOUT_REDIRECT_URL = "login"

# Failed logins are throttled per username and address; every attempt, good or
# bad, is kept (AccessLog for successes, AccessFailureLog for failures).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address comes from X-Forwarded-For only when this says how many proxies
# stand in front of the app (0: REMOTE_ADDR only); see staff/client_ip.py.
KESHI_TRUSTED_PROXY_COUNT = env.int("KESHI_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "staff.client_ip.client_ip_address"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SESSION_COOKIE_HTTPONLY = True
# Shared tablets: a session ends after this many seconds without a request
# (staff.middleware), and at the latest SESSION_COOKIE_AGE after it began, however active.
KESHI_SESSION_IDLE_TIMEOUT = env.int("KESHI_SESSION_IDLE_TIMEOUT", default=8 * 60 * 60)
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=14 * 24 * 60 * 60)

# With CACHE_URL (Redis) sessions are read from the cache and written to both, and each
# user's permission set is cached (staff.backends); Redis being down is only a cache miss.
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "crm.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "keshi",
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every response: only the vendored scripts and
# styles from our own origin; no inline script, style or event handler anywhere (they live
# in static/js and static/css/app.css). data: images are Bootstrap's inline SVG icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
# Third-party admin pages with inline code, relaxed there only (staff.middleware):
# django-celery-beat's periodic task form shows the crontab in words with an inline script
# (it embeds a translated text, so no hash can pin it); django-simple-history's change
# history has one style="border-top: 0", allowed by its hash.
KESHI_CSP_RELAXED_PATHS = [
    (r"/admin/django_celery_beat/periodictask/(add|\d+/change)/$", {"script-src": ["'unsafe-inline'"]}),
    (
        r"/admin/[a-z_]+/[a-z_]+/\d+/history/",
        {"style-src": ["'unsafe-hashes'", "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"]},
    ),
]

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Tasks never wait on the broker for long: a page that enqueues work must not hang when
# Redis does (crm.tasks.enqueue logs the failure; the hourly rules run catches up).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2

# Automatic greetings: e-mail through Django's backend; SMS through this class
# (followups.senders explains how to plug in a real gateway).
KESHI_SMS_SENDER = env.str("KESHI_SMS_SENDER", default="followups.senders.LoggingSmsSender")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# How many guests one lookup shows; the front desk wants one screen, not a list.
GUEST_LOOKUP_LIMIT = 20

# Card and register files (guests/cards/). An upload is refused before any parser reads it when
# it is larger than these; a sheet may reach at most MAX_ROWS guests below its header row and
# MAX_COLUMNS columns (the register has 41, the card 8), over every cell present and its
# <dimension>, so no parser lays out a grid larger than 50,001 x 64 cells.
KESHI_IMPORT_MAX_BYTES = 20 * 1024 * 1024
KESHI_IMPORT_MAX_UNCOMPRESSED = 300 * 1024 * 1024
KESHI_IMPORT_MAX_ENTRIES = 3000
KESHI_IMPORT_MAX_RATIO = 200
KESHI_IMPORT_MAX_ROWS = 50_000
KESHI_IMPORT_MAX_COLUMNS = 64
# An import still waiting, checking or importing this many seconds after its last step began is
# failed by the sweep (guests.tasks.sweep_card_transfers, every 15 minutes): longer than the check's
# and the import's hard time limits (30 and 60 minutes). A checked file nobody confirmed is deleted
# after KESHI_CARD_CHECKED_KEPT_FOR seconds.
KESHI_CARD_TRANSFER_STUCK_AFTER = 2 * 60 * 60
KESHI_CARD_CHECKED_KEPT_FOR = 24 * 60 * 60

# Robustness (issue 12). The guests' change history is read-only in the admin: a revert would
# replay every field of an old version at once, past the services' one-change-at-a-time rules
# (guests.admin refuses a posted revert too).
SIMPLE_HISTORY_REVERT_DISABLED = True
# A greeting handed to the gateway with no outcome recorded after this many seconds (the worker
# died or hung) is marked 'unknown' for a manager, never sent again by itself. Well above a
# gateway call's own timeout, so a slow answer is not mistaken for a dead worker.
KESHI_GREETING_SENDING_TIMEOUT = env.int("KESHI_GREETING_SENDING_TIMEOUT", default=15 * 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

ADMIN_SITE_HEADER = _("KeShi guest archive")

# GET /health/ (crm.health): how long one process keeps its answer, how long it waits for a
# Celery worker's pong, and after how long without a schedule started the beat counts as late
# (the card sweep is started every 15 minutes).
KESHI_HEALTH_CACHE_SECONDS = env.float("KESHI_HEALTH_CACHE_SECONDS", default=10)
KESHI_HEALTH_WORKER_TIMEOUT = env.float("KESHI_HEALTH_WORKER_TIMEOUT", default=0.5)
KESHI_HEALTH_BEAT_LATE_AFTER = env.int("KESHI_HEALTH_BEAT_LATE_AFTER", default=45 * 60)
