"""Settings shared by every environment.

Environment variables decide where data lives: with no DATABASE_URL the app runs on
an embedded SQLite file, with no CELERY_BROKER_URL Celery tasks run eagerly in the
request, so a newcomer needs nothing but python3.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from crm.logs import logging_config
from crm.proxy import trusted_networks

from . import parse

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
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "staff",
    "webhooks",  # between staff and guests: the apps above emit their events into its outbox
    "guests",
    "visits",
    "bookings",
    "calls",
    "followups",
    "reports",
    "demo",  # the demo data command; above every app, imported by none
]

MIDDLEWARE = [
    # First: forwarded headers from anyone but a trusted proxy are dropped before anything reads them.
    "crm.proxy.TrustedProxyMiddleware",
    "crm.logs.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "staff.middleware.RelaxedPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # An unknown address under /api/ is refused as problem details, in the language just activated.
    "crm.api.ApiNotFoundMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "staff.middleware.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # Whoever just wrote reads the primary, not the replica, for a few seconds (crm/db.py).
    "crm.db.PrimaryAfterWriteMiddleware",
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
# Behind PgBouncer in transaction mode a transaction may run on another server connection than the last
# one: no cursor may outlive its transaction, so Django's server-side cursors (iterator()) are off.
KESHI_PGBOUNCER = env.bool("KESHI_PGBOUNCER", default=False)
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = KESHI_PGBOUNCER


def replica_database(env) -> dict | None:
    """A streaming replica of DATABASE_URL for the reads that may be a little behind (crm/db.py). Not
    atomic per request: most requests never touch it, and it takes no writes."""
    if not env.str("DATABASE_REPLICA_URL", default=""):
        return None
    replica = env.db("DATABASE_REPLICA_URL")
    replica["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    replica["CONN_HEALTH_CHECKS"] = True
    replica["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("KESHI_PGBOUNCER", default=False)
    return replica


if replica := replica_database(env):
    DATABASES["replica"] = replica
DATABASE_ROUTERS = ["crm.db.PrimaryReplicaRouter"]
KESHI_REPLICA_READS = "replica" in DATABASES
# Seconds someone who just wrote reads the primary; the lag past which the replica is not read; how
# often a process checks it (crm/db.py).
KESHI_REPLICA_STICKY_SECONDS = env.int("KESHI_REPLICA_STICKY_SECONDS", default=10)
KESHI_REPLICA_MAX_LAG = env.int("KESHI_REPLICA_MAX_LAG", default=30)
KESHI_REPLICA_CHECK_SECONDS = env.int("KESHI_REPLICA_CHECK_SECONDS", default=10)
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
# Addresses and networks (CIDR) of the proxies whose X-Forwarded-Proto/-For/-Host are believed; from
# any other address crm.proxy drops those headers (gunicorn's forwarded_allow_ips reads the same list).
KESHI_TRUSTED_PROXIES = env.list("KESHI_TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
trusted_networks(KESHI_TRUSTED_PROXIES)  # a bad entry stops the start, named
AXES_CLIENT_IP_CALLABLE = "staff.client_ip.client_ip_address"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The catalogues (.po) live with the code; compiletranslations writes the compiled .mo files to
# KESHI_LOCALE_ROOT (production keeps them outside the code folder), where Django reads them.
KESHI_LOCALE_SOURCE = BASE_DIR / "locale"
KESHI_LOCALE_ROOT = Path(env.str("KESHI_LOCALE_ROOT", default=str(KESHI_LOCALE_SOURCE)))
LOCALE_PATHS = [KESHI_LOCALE_ROOT]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# collectstatic's and uploads' folders: in the project folder (ignored by git) for local work,
# outside the code in production, where they are required.
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))
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
# The example HTTP gateway (followups.senders.HttpSmsSender): its URL, bearer token, the signature
# the carrier requires at the start of every message (e.g. 【某某酒店】) and its timeout in seconds.
KESHI_SMS_URL = env.str("KESHI_SMS_URL", default="")
KESHI_SMS_TOKEN = env.str("KESHI_SMS_TOKEN", default="")
KESHI_SMS_SIGNATURE = env.str("KESHI_SMS_SIGNATURE", default="")
KESHI_SMS_TIMEOUT = env.float("KESHI_SMS_TIMEOUT", default=10)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Two queues, each with workers of its own (deploy/systemd): "interactive" for what someone waits on or
# what is due now — card checks and imports, a guest's follow-ups after a page, greeting and SMS sends,
# webhook deliveries, the sweeps, the hold release — and "batch" for the long runs nobody waits on at a
# screen, so a review or a rules run over a million guests never delays an import's check.
CELERY_TASK_DEFAULT_QUEUE = "interactive"
# Webhook receivers are https; plain http to localhost only with DEBUG, or this on (the tests), for a
# receiver on the same machine (webhooks.models).
KESHI_WEBHOOKS_LOCAL_HTTP = False
# Days the webhook events and their delivery log are kept (webhooks.retention).
KESHI_WEBHOOK_LOG_DAYS = env.int("KESHI_WEBHOOK_LOG_DAYS", default=30)
BATCH_TASKS = (
    "followups.tasks.run_daily_rules",
    "reports.tasks.compute_review",
    "reports.tasks.run_archive_review",
    "guests.tasks.refresh_search_keys",
    "webhooks.tasks.sweep_webhook_log",
    "visits.tasks.rebuild_recent_spend",
)
CELERY_TASK_ROUTES = {name: {"queue": "batch"} for name in BATCH_TASKS}
# Worker and beat log through settings.LOGGING like the web (crm.celery, crm.logs).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# migrate and beat's start apply followups' setup_schedules, so the schedules follow TIME_ZONE.
KESHI_SCHEDULES_ON_MIGRATE = True

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
# A card check or import, or an archive review, still queued this many seconds after it was sent (the
# broker was down, or the message was lost) is sent again by its quarter-hourly sweep; it still runs once.
KESHI_JOB_RESEND_AFTER = env.int("KESHI_JOB_RESEND_AFTER", default=300)
KESHI_CARD_CHECKED_KEPT_FOR = 24 * 60 * 60

# Robustness (issue 12). The guests' change history is read-only in the admin: a revert would
# replay every field of an old version at once, past the services' one-change-at-a-time rules
# (guests.admin refuses a posted revert too).
SIMPLE_HISTORY_REVERT_DISABLED = True
# A greeting handed to the gateway with no outcome recorded after this many seconds (the worker
# died or hung) is marked 'unknown' for a manager, never sent again by itself. Well above a
# gateway call's own timeout, so a slow answer is not mistaken for a dead worker.
KESHI_GREETING_SENDING_TIMEOUT = env.int("KESHI_GREETING_SENDING_TIMEOUT", default=15 * 60)

# Mail: greetings and the admins' error mails. SMTP by default; port 25, or 587 with STARTTLS
# (EMAIL_USE_TLS), 465 with implicit TLS (EMAIL_USE_SSL), unless EMAIL_PORT says otherwise.
EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
parse.mail_security(use_tls=EMAIL_USE_TLS, use_ssl=EMAIL_USE_SSL)
EMAIL_PORT = env.int("EMAIL_PORT", default=465 if EMAIL_USE_SSL else 587 if EMAIL_USE_TLS else 25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
# Django waits forever on a silent SMTP server by default; a greeting task must not.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="keshi@localhost")
SERVER_EMAIL = env.str("DJANGO_SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = "[KeShi] "

# Error reporting (crm.errors, crm.sentry): a mail to ADMINS on every server error, Sentry when a DSN is set;
# neither carries what was typed or looked up.
ADMINS = parse.admins(env.str("DJANGO_ADMINS", default=""))
DEFAULT_EXCEPTION_REPORTER = "crm.errors.PrivateExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "crm.errors.PrivateExceptionReporterFilter"
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
if SENTRY_DSN:
    from crm.sentry import init_sentry

    init_sentry(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)

# One format for web, worker and beat on stderr (crm.logs), and keshi.access for the requests.
KESHI_LOG_LEVEL = env.str("KESHI_LOG_LEVEL", default="INFO")
LOGGING = logging_config(level=KESHI_LOG_LEVEL, time_zone=TIME_ZONE, mail_admins=bool(ADMINS))

ADMIN_SITE_HEADER = _("KeShi guest archive")

# GET /health/ (crm.health): how long one process keeps its answer, how long it waits for a
# Celery worker's pong, and after how long without a schedule started the beat counts as late
# (the card sweep is started every 15 minutes).
KESHI_HEALTH_CACHE_SECONDS = env.float("KESHI_HEALTH_CACHE_SECONDS", default=10)
KESHI_HEALTH_WORKER_TIMEOUT = env.float("KESHI_HEALTH_WORKER_TIMEOUT", default=0.5)
KESHI_HEALTH_BEAT_LATE_AFTER = env.int("KESHI_HEALTH_BEAT_LATE_AFTER", default=45 * 60)

# The API (/api/v1/): machines authenticate with their client's key (staff.api), each endpoint names the
# scope it needs, each client has its own rate; errors are problem details (crm.api).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["staff.api.ClientKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["staff.api.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["staff.api.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "crm.api.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KeShi API",
    "DESCRIPTION": "The guest archive for machines: the POS, the phone system, partner apps.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI's files come from drf-spectacular-sidecar through static/, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every refusal is declared as problem details where it can happen (crm/api.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "crm.api.declare_problems"],
    # Several models have a "status"; each enum is named after its model.
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "bookings.models.Booking.Status",
        "PosBillStatusEnum": "visits.models.PosBill.Status",
    },
}
