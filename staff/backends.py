"""Permission checks and the request's user without three queries per request.

Django's ModelBackend loads a user's permissions once per request (two queries: the
user's own and their groups'), and the session's user with one more. Every page checks a
permission, so that cost is paid on every lookup, the busiest request. This backend keeps
each user's permission set in the cache for a few minutes, tagged with a generation that
any change to users' groups, groups' permissions or users' own permissions advances
(staff.signals), so a change applies on the very next request; and the user's row beside
it, read in the same round trip, forgotten whenever the row is saved or deleted (and once
more when that change commits, so a request that read the row meanwhile does not keep the
old one). Code that updates users in bulk calls forget_user. No library does this: the
maintained caching packages cache querysets wholesale (django-cachalot), which would put
every table's reads behind invalidation to spare one statement here.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import router, transaction

GENERATION_KEY = "perms:generation"
TIMEOUT = 300
# A row cached by a request that read it just before a change committed lives at most this long.
USER_TIMEOUT = 60


def _perms_key(user_id) -> str:
    return f"perms:user:{user_id}"


def _user_key(user) -> str:
    return _perms_key(user.pk)


def _row_key(user_id) -> str:
    return f"auth:user:{user_id}"


def forget_user(user_id) -> None:
    """The user's cached row is stale: now, and again when the current transaction commits."""
    cache.delete(_row_key(user_id))
    transaction.on_commit(lambda: cache.delete(_row_key(user_id)))


def forget_permissions():
    """Make every cached permission set stale (after a change to groups or permissions)."""
    if not cache.add(GENERATION_KEY, 1, timeout=None):
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # expired between add and incr
            cache.add(GENERATION_KEY, 1, timeout=None)


def forget_user_permissions(user):
    cache.delete(_user_key(user))


class CachedPermissionBackend(ModelBackend):
    def get_user(self, user_id):
        """The session's user from the cache when it holds the row, with their permission set when
        it is current (one round trip to Redis instead of a query); else from the database."""
        model = get_user_model()
        try:
            user_id = model._meta.pk.to_python(user_id)
        except Exception:  # noqa: BLE001 — a session naming no valid id has no user, as in ModelBackend
            return None
        keys = [GENERATION_KEY, _row_key(user_id), _perms_key(user_id)]
        found = cache.get_many(keys)
        row = found.get(keys[1])
        if row is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(keys[1], tuple(getattr(user, name) for name in _row_fields(model)), USER_TIMEOUT)
            return user
        user = model.from_db(router.db_for_read(model), _row_fields(model), row)  # as a query would mark it
        if not self.user_can_authenticate(user):
            return None
        cached = found.get(keys[2])
        if cached and cached[0] == found.get(GENERATION_KEY, 0) and cached[1] == user.is_superuser:
            user._perm_cache = set(cached[2])
        return user

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            found = cache.get_many([GENERATION_KEY, _user_key(user_obj)])
            generation = found.get(GENERATION_KEY, 0)
            cached = found.get(_user_key(user_obj))
            if cached and cached[0] == generation and cached[1] == user_obj.is_superuser:
                user_obj._perm_cache = set(cached[2])
            else:
                user_obj._perm_cache = super().get_all_permissions(user_obj)
                value = (generation, user_obj.is_superuser, sorted(user_obj._perm_cache))
                cache.set(_user_key(user_obj), value, TIMEOUT)
        return user_obj._perm_cache


def _row_fields(model) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)
