"""Permission checks without two queries per request.

Django's ModelBackend loads a user's permissions once per request (two queries: the
user's own and their groups'). Every page checks a permission, so that cost is paid
on every lookup. This backend keeps each user's permission set in the cache for a few
minutes, tagged with a generation that any change to users' groups, groups'
permissions or users' own permissions advances (staff.signals), so a change applies
on the very next request.
"""

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

GENERATION_KEY = "perms:generation"
TIMEOUT = 300


def _user_key(user) -> str:
    return f"perms:user:{user.pk}"


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
