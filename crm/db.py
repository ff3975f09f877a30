"""The read replica: reads that may be a few seconds behind go to it, everything else to the primary.

With DATABASE_REPLICA_URL set (a PostgreSQL streaming replica of DATABASE_URL), the pages and endpoints
marked with `replica_reads` — the reports and their downloads, the review's pages, the card and register
exports, the API's list endpoints — read from the replica. Every write goes to the primary, and so does
every read elsewhere: the desk's pages, the forms, whatever a service reads before it writes.

Someone who has just written reads the primary for KESHI_REPLICA_STICKY_SECONDS afterwards (default 10,
well above a healthy replica's lag): a manager who corrects a visit and opens a report sees the
correction. Each write (a POST, PUT, PATCH or DELETE that did not fail, by a member of staff or an API
client) is noted in the cache under the user's id; a replica page asks the cache once.

A replica that does not answer, or lags more than KESHI_REPLICA_MAX_LAG seconds, is not read: the pages
read the primary until it is back (checked at most every KESHI_REPLICA_CHECK_SECONDS per process), and
the health endpoint says `replica: down` or `late`.
"""

import contextvars
import functools
import logging
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY, REPLICA = "default", "replica"
OK, DOWN, LATE, NOT_USED = "ok", "down", "late", "not used"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
_reading = contextvars.ContextVar("keshi_replica_reads", default=False)
_state: dict = {}
_lock = threading.Lock()


class PrimaryReplicaRouter:
    """Reads inside `reading_from_replica()` go to the replica; all else to the primary. The replica is a
    copy: nothing is migrated on it."""

    def db_for_read(self, model, **hints):
        return REPLICA if _reading.get() else PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


def replica_configured() -> bool:
    return settings.KESHI_REPLICA_READS and REPLICA in settings.DATABASES


def replica_lag_seconds() -> float | None:
    """How far the replica's last replayed change is behind now; None on a primary, a test mirror or a
    database that is not PostgreSQL (a newcomer's SQLite has no replication to lag)."""
    if connections[REPLICA].vendor != "postgresql":
        return None
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_is_in_recovery() THEN EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
        )
        lag = cursor.fetchone()[0]
    return None if lag is None else float(lag)


def replica_state() -> str:
    """ok, late, down or not used; kept per process for KESHI_REPLICA_CHECK_SECONDS."""
    if not replica_configured():
        return NOT_USED
    with _lock:
        at, state = _state.get("replica", (0.0, None))
        if state is not None and time.monotonic() - at <= settings.KESHI_REPLICA_CHECK_SECONDS:
            return state
        try:
            lag = replica_lag_seconds()
            state = LATE if lag is not None and lag > settings.KESHI_REPLICA_MAX_LAG else OK
        except DatabaseError:
            logger.warning("The read replica does not answer; reading the primary meanwhile.")
            connections[REPLICA].close()
            state = DOWN
        _state["replica"] = (time.monotonic(), state)
        return state


def _key(user_id) -> str:
    return f"keshi:wrote:{user_id}"


def note_write(user) -> None:
    """This person (or API client) just wrote: their next pages read the primary."""
    if replica_configured() and user is not None and user.is_authenticated:
        try:
            cache.set(_key(user.pk), 1, timeout=settings.KESHI_REPLICA_STICKY_SECONDS)
        except Exception:  # a cache outage must not fail the write that was just made
            logger.warning("Could not note a write in the cache; the next pages may read the replica.")


def wrote_lately(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    try:
        return bool(cache.get(_key(user.pk)))
    except Exception:
        return True  # not knowing, read the primary


@contextmanager
def reading_from_replica(use: bool = True):
    """The ORM's reads inside go to the replica (when one is configured, answers and is not late)."""
    token = _reading.set(bool(use) and replica_state() == OK)
    try:
        yield
    finally:
        _reading.reset(token)


def replica_reads(view):
    """A page or endpoint whose GET may read the replica, unless its user has just written. Works on a
    view function (request first) and on a DRF view's method (self, request)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        request = args[0] if hasattr(args[0], "method") else args[1]
        use = request.method in ("GET", "HEAD") and replica_configured() and not wrote_lately(request.user)
        with reading_from_replica(use):
            return view(*args, **kwargs)

    return wrapped


class PrimaryAfterWriteMiddleware:
    """Notes every successful write's author (see note_write). After the view, so the user an API key
    authenticated (DRF sets it on the request) is known too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in WRITES and response.status_code < 400:
            note_write(getattr(request, "user", None))
        return response
