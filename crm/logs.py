"""One log format for the web, the Celery worker and beat, and the access log.

Every process writes to stderr (systemd's journal collects it) lines like

    2026-12-02 18:10:03 +0800 INFO web[1234] django.request: message

the time in settings.TIME_ZONE with its offset, the level, the process role and pid, the
logger's name. The role is, in this order:

1. KESHI_PROCESS_ROLE when it is set (the systemd units set it: web, worker, beat), so a
   process started some other way still says what it is;
2. otherwise read from the command line: gunicorn (and manage.py runserver) is `web`,
   `celery … worker` is `worker`, `celery … beat` is `beat`;
3. anything else (migrate, a shell, a cron job) is `manage`.

The Celery worker and beat keep this format because crm.celery answers Celery's
setup_logging signal with settings.LOGGING (Celery then configures no logging of its own,
and worker_hijack_root_logger is off besides); their level is KESHI_LOG_LEVEL, like the
web's, not the --loglevel option.

A log is read by more people and kept longer than the archive, so the formatter masks
phone-like numbers in every message and traceback to their last four digits, and the
access log writes the path without its query string (a lookup's query is a name or a phone).
"""

import datetime
import logging
import os
import re
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured

FORMAT = "%(asctime)s %(levelname)s %(role)s[%(process)d] %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
ROLE = re.compile(r"^[a-z][a-z0-9-]*$")
# Seven digits or more (an optional +), or a mobile written in groups (138 1234 5678, 138-1234-5678),
# standing alone or next to Chinese text (手机13812345678) but not inside a word, a hex string or a
# decimal's fraction; a UUID (Celery's task ids) is kept whole.
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_NUMBER = re.compile(
    rf"(?P<uuid>{_UUID})"
    r"|(?<![0-9A-Za-z.+*])\+?\d{7,}(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z.+*])\d{3}[ -]\d{4}[ -]\d{4}(?![0-9A-Za-z])"
)

access_logger = logging.getLogger("keshi.access")


def mask_numbers(text: str) -> str:
    def last_four(match: re.Match) -> str:
        if match.group("uuid"):
            return match.group()
        digits = "".join(ch for ch in match.group() if ch.isdigit())
        return "*" * (len(digits) - 4) + digits[-4:]

    return _NUMBER.sub(last_four, text)


def process_role(argv: list[str] | None = None, environ=None) -> str:
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    role = environ.get("KESHI_PROCESS_ROLE", "").strip()
    if role:
        if not ROLE.match(role):
            raise ImproperlyConfigured(f"KESHI_PROCESS_ROLE: {role!r} is not a role such as web, worker or beat.")
        return role
    program = Path(argv[0]).parts if argv else ()
    if any(part.startswith("gunicorn") for part in program):
        return "web"
    if any(part.startswith("celery") for part in program):
        for word in argv[1:]:
            if word in ("worker", "beat"):
                return word
        return "manage"
    if "runserver" in argv[1:]:
        return "web"
    return "manage"


class KeshiFormatter(logging.Formatter):
    def __init__(self, time_zone: str = "UTC", role: str | None = None):
        super().__init__(FORMAT)
        self.zone = ZoneInfo(time_zone)
        self.role = role or process_role()

    def formatTime(self, record, datefmt=None):
        return datetime.datetime.fromtimestamp(record.created, self.zone).strftime("%Y-%m-%d %H:%M:%S %z")

    def formatMessage(self, record):
        record.role = self.role
        record.message = mask_numbers(record.message)
        return super().formatMessage(record)

    def formatException(self, ei):
        return mask_numbers(super().formatException(ei))

    def formatStack(self, stack_info):
        return mask_numbers(super().formatStack(stack_info))


def logging_config(*, level: str, time_zone: str, mail_admins: bool) -> dict:
    """settings.LOGGING: one handler on stderr for everything, mail to ADMINS on server errors."""
    level = level.strip().upper()
    if level not in LEVELS:
        raise ImproperlyConfigured(f"KESHI_LOG_LEVEL: {level!r} is not one of {', '.join(LEVELS)}.")
    handlers = {"console": {"class": "logging.StreamHandler", "formatter": "keshi"}}
    if mail_admins:
        handlers["mail_admins"] = {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"keshi": {"()": "crm.logs.KeshiFormatter", "time_zone": time_zone}},
        "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
        "handlers": handlers,
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers print in another format (and mail every 'django' error): its
            # records go to the root's handler instead; only django.request mails the admins.
            "django": {"handlers": [], "propagate": True},
            "django.request": {"handlers": ["mail_admins"] if mail_admins else [], "propagate": True},
            # runserver's request lines carry the query string; keshi.access has one line per request.
            "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
            "django.db.backends": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


class AccessLogMiddleware:
    """One line per request on keshi.access: method, path without the query string, status,
    milliseconds and the user's id ('-' when nobody is logged in):

        GET /guests/ 200 12ms user=5

    Second in MIDDLEWARE, so redirects and refusals by the middleware after it are logged too;
    the user is read after the response, once the authentication middleware has set it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        elapsed = round((time.monotonic() - started) * 1000)
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else "-"
        access_logger.info(
            "%s %s %s %dms user=%s", request.method, request.path, response.status_code, elapsed, user_id
        )
        return response
