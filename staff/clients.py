"""API clients and their keys: created, changed, rotated and revoked by admins (the admin and the
`api_client` command call these), and the per-day count of what a client read.

A client acts through a user of its own that cannot log in; its scopes give that user the permissions
the services check (SCOPE_PERMISSIONS), never more than the admin who grants them holds, and never the
confidential notes.
"""

import datetime
import logging
import uuid

from django.contrib.auth.models import Permission
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from redis.exceptions import RedisError, ResponseError

from .backends import forget_user
from .models import ApiClient, ApiReadDay, ClientKey, User

logger = logging.getLogger(__name__)

S = ApiClient.Scope
SCOPE_PERMISSIONS = {
    S.LOOKUP: {"guests.view_guest", "bookings.view_booking"},
    S.GUESTS_READ: {"guests.view_guest"},
    S.GUESTS_WRITE: {"guests.view_guest", "guests.add_guest", "guests.change_guest"},
    # A void or a refund days later corrects the bill's visit (visits.services.visit_correct).
    S.VISITS_WRITE: {
        "guests.view_guest",
        "visits.view_visit",
        "visits.add_visit",
        "visits.change_visit",
        "visits.correct_visit",
    },  # fmt: skip
    S.BOOKINGS_READ: {"bookings.view_booking"},
    # A host new to the archive is created by the quick-add rules (guests.services: add and change).
    S.BOOKINGS_WRITE: {
        "guests.view_guest",
        "guests.add_guest",
        "guests.change_guest",
        "bookings.view_booking",
        "bookings.add_booking",
        "bookings.change_booking",
    },  # fmt: skip
    S.CALLS_WRITE: {"guests.view_guest"},
    S.WEBHOOKS: set(),
}
# Two live keys at once: the new one is issued, the machine switched over, then the old one revoked.
LIVE_KEYS = 2
MANAGE = "staff.change_apiclient"


def _require(actor) -> None:
    if actor is not None and not actor.has_perm(MANAGE):
        raise PermissionDenied(_("Only admins may manage API clients and their keys."))


def _permissions_for(scopes) -> set[str]:
    return set().union(*(SCOPE_PERMISSIONS[scope] for scope in scopes)) if scopes else set()


def _check_scopes(actor, scopes) -> list[str]:
    unknown = [scope for scope in scopes if scope not in S.values]
    if unknown:
        raise ValidationError({"scopes": _("Unknown scope: %(scope)s.") % {"scope": ", ".join(unknown)}})
    if actor is not None and not actor.is_superuser:
        missing = sorted(perm for perm in _permissions_for(scopes) if not actor.has_perm(perm))
        if missing:
            raise PermissionDenied(_("You may not give a client more than you may do yourself."))
    return sorted(set(scopes))


def _grant(client: ApiClient) -> None:
    wanted = []
    for perm in _permissions_for(client.scopes):
        app_label, codename = perm.split(".")
        wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    client.user.user_permissions.set(wanted)


@transaction.atomic
def api_client_create(
    *, actor, name: str, kind: str, scopes, outlets=(), rate_per_minute: int = 600, expires_at=None
) -> tuple[ApiClient, str]:
    """A new client with its first key; the key is returned once and stored only hashed."""
    _require(actor)
    name = name.strip()
    scopes = _check_scopes(actor, scopes)
    if ApiClient.objects.filter(name=name).exists():
        raise ValidationError({"name": _("An API client with this name exists already.")})
    username = f"api-{slugify(name) or 'client'}"[:140]
    base, n = username, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = User(username=username, first_name=name[:150], is_active=True)
    user.set_unusable_password()
    user.save()
    client = ApiClient(name=name, kind=kind, scopes=scopes, user=user, rate_per_minute=rate_per_minute,
                       created_by=actor)  # fmt: skip
    client.full_clean(exclude=["user"])
    client.save()
    client.outlets.set(outlets)
    _grant(client)
    _key, raw = api_key_issue(actor=actor, client=client, expires_at=expires_at)
    return client, raw


@transaction.atomic
def api_client_change(*, actor, client: ApiClient, scopes=None, outlets=None, rate_per_minute=None) -> ApiClient:
    _require(actor)
    client = ApiClient.objects.select_for_update().select_related("user").get(pk=client.pk)
    if scopes is not None:
        client.scopes = _check_scopes(actor, scopes)
    if rate_per_minute is not None:
        client.rate_per_minute = rate_per_minute
    client.full_clean(exclude=["user"])
    client.save()
    if outlets is not None:
        client.outlets.set(outlets)
    _grant(client)
    return client


@transaction.atomic
def api_key_issue(*, actor, client: ApiClient, expires_at: datetime.datetime | None = None) -> tuple[ClientKey, str]:
    """Another key for a client (to rotate one): refused while two are live."""
    _require(actor)
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if not client.is_active:
        raise ValidationError(_("This API client is revoked; it gets no new key."))
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expiry_date": _("A key must expire in the future.")})
    live = [key for key in client.keys.filter(revoked=False) if not key.has_expired]
    if len(live) >= LIVE_KEYS:
        raise ValidationError(_("This client has two live keys already: revoke the old one first."))
    return ClientKey.objects.create_key(client=client, name=f"{client.name} {now:%Y-%m-%d %H:%M}",
                                        expiry_date=expires_at)  # fmt: skip


@transaction.atomic
def api_key_revoke(*, actor, key: ClientKey) -> ClientKey:
    _require(actor)
    key = ClientKey.objects.select_for_update().get(pk=key.pk)
    key.revoked = True
    key.save(update_fields=["revoked"])
    return key


@transaction.atomic
def api_client_revoke(*, actor, client: ApiClient) -> ApiClient:
    """The machine is gone: its keys stop working at once and its user is deactivated; what it wrote stays
    attributed to it."""
    _require(actor)
    client = ApiClient.objects.select_for_update().select_related("user").get(pk=client.pk)
    client.is_active = False
    client.save(update_fields=["is_active"])
    client.keys.update(revoked=True)
    User.objects.filter(pk=client.user_id).update(is_active=False)
    forget_user(client.user_id)  # the update sends no signal: the cached row goes too
    return client


def api_reads_count(*, client: ApiClient, endpoint: str, records: int) -> None:
    """Add a read of `records` guests' personal data to the client's count of the day, in the database now."""
    if records > 0:
        _reads_add(client_id=client.pk, day=timezone.localdate(), endpoint=endpoint, records=records)


def _reads_add(*, client_id: int, day: datetime.date, endpoint: str, records: int) -> None:
    """In its own transaction step: a concurrent first read of the day makes the row, the other adds to it."""
    rows = ApiReadDay.objects.filter(client_id=client_id, day=day, endpoint=endpoint)
    if rows.update(records=F("records") + records):
        return
    try:
        with transaction.atomic():
            ApiReadDay.objects.create(client_id=client_id, day=day, endpoint=endpoint, records=records)
    except IntegrityError:
        rows.update(records=F("records") + records)


# The reads api_reads_add counted and api_reads_flush has not yet moved into ApiReadDay: one Redis hash,
# field "<day>:<client id>:<endpoint>", value the records read. A flush renames it to READS_MOVING first.
READS_PENDING = "api-reads"
READS_MOVING = "api-reads:moving"
READS_LOCK = "api-reads:flush-lock"
READS_LOCK_SECONDS = 300
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def cache_redis():
    """The cache's Redis connection, or None when the cache is not Redis (a newcomer's local memory)."""
    backend = caches["default"]
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None


def api_reads_add(*, client: ApiClient, endpoint: str, records: int) -> None:
    """Count a read as api_reads_count does, for the endpoints a machine calls most (the caller lookup): one
    HINCRBY in Redis instead of an UPDATE of the day's row, so the request writes nothing to the database
    and two lookups of one client do not queue on that row's lock; api_reads_flush moves the counts into
    ApiReadDay (beat, every minute; and the audit log's admin page before it lists them). When Redis does
    not answer, the read is counted in the database at once: never lost, at worst (Redis applied the
    increment but its answer timed out) counted twice."""
    if records <= 0:
        return
    day, redis = timezone.localdate(), cache_redis()
    if redis is not None:
        try:
            redis.hincrby(cache.make_key(READS_PENDING), f"{day.isoformat()}:{client.pk}:{endpoint}", records)
            return
        except RedisError as error:
            logger.warning("API reads not counted in Redis, counting them in the database: %s", error)
    api_reads_count(client=client, endpoint=endpoint, records=records)


def api_reads_flush() -> int:
    """Move the reads counted in Redis into ApiReadDay; returns how many records were moved.

    Exact while lookups keep counting: the pending hash is renamed away in one step, so an increment lands
    either in the hash this flush moves or in a new one that the next flush moves. The moved hash is
    deleted only once its rows are committed (inside a caller's transaction, when that one commits), so a
    flush that dies or is rolled back leaves it for the next one; a flush that dies between its commit and
    that delete would add it twice, the one way a count can go wrong, and then too high, never lost. One
    flush at a time: another one finding the lock returns 0, as does a flush while Redis does not answer
    (the admin page still opens; beat's next run moves them)."""
    redis = cache_redis()
    if redis is None:
        return 0
    try:
        return _reads_flush(redis)
    except RedisError as error:
        logger.warning("API reads counted in Redis not moved to the audit log this time: %s", error)
        return 0


def _reads_flush(redis) -> int:
    pending, moving, lock = (cache.make_key(name) for name in (READS_PENDING, READS_MOVING, READS_LOCK))
    token = uuid.uuid4().hex
    if not redis.set(lock, token, nx=True, ex=READS_LOCK_SECONDS):
        return 0
    in_transaction, moved, held = transaction.get_connection().in_atomic_block, 0, True
    try:
        for _batch in range(1 if in_transaction else 2):  # one a dead flush may have left, then what is pending
            if not redis.exists(moving):
                try:
                    redis.rename(pending, moving)
                except ResponseError:  # no such key: nothing is pending
                    break
            moved += _reads_store(redis.hgetall(moving))
            if in_transaction:
                transaction.on_commit(lambda: _reads_moved(redis, moving, lock, token), robust=True)
                held = False
                break
            redis.delete(moving)
    finally:
        if held:
            redis.eval(_RELEASE, 1, lock, token)
    return moved


def _reads_moved(redis, moving: str, lock: str, token: str) -> None:
    redis.delete(moving)
    redis.eval(_RELEASE, 1, lock, token)


@transaction.atomic
def _reads_store(counts: dict) -> int:
    parsed = []
    for name, value in counts.items():
        day, client_id, endpoint = name.decode().split(":", 2)
        parsed.append((datetime.date.fromisoformat(day), int(client_id), endpoint, int(value)))
    # A client deleted since (not revoked: revoking keeps it) took its rows of the audit log with it.
    clients = set(ApiClient.objects.filter(pk__in={row[1] for row in parsed}).values_list("pk", flat=True))
    for day, client_id, endpoint, records in sorted(parsed):
        if client_id in clients and records > 0:
            _reads_add(client_id=client_id, day=day, endpoint=endpoint, records=records)
    return sum(records for _day, client_id, _endpoint, records in parsed if client_id in clients)
