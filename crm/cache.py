"""A Redis cache that degrades to a cache miss when Redis is unreachable.

Sessions (cached_db) and permission sets are cached in Redis. Neither may take a page down
with it: the database remains the source of truth, so a Redis outage costs speed, not
requests. Errors are logged once per call, never shown to the user.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _tolerant(method, fallback):
    def call(self, *args, **kwargs):
        try:
            return getattr(super(ResilientRedisCache, self), method)(*args, **kwargs)
        except RedisError as error:
            logger.warning("cache %s failed, carrying on without the cache: %s", method, error)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    call.__name__ = method
    return call


class ResilientRedisCache(RedisCache):
    get = _tolerant("get", lambda key, default=None, version=None: default)
    get_many = _tolerant("get_many", {})
    set = _tolerant("set", None)
    add = _tolerant("add", False)
    set_many = _tolerant("set_many", lambda data, *args, **kwargs: list(data))
    delete = _tolerant("delete", False)
    delete_many = _tolerant("delete_many", None)
    touch = _tolerant("touch", False)
    has_key = _tolerant("has_key", False)
    incr = _tolerant("incr", None)
    clear = _tolerant("clear", None)
