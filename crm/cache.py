"""A Redis cache that degrades to a cache miss when Redis is unreachable.

Sessions (cached_db) and permission sets are cached in Redis. Neither may take a page down
with it: the database remains the source of truth, so a Redis outage costs speed, not
requests. Errors are logged once per call, never shown to the user.
"""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
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


class ReusedClients(RedisCacheClient):
    """Django's client makes a redis.Redis object for every cache call (two or three a page: the session,
    the permission set, the throttle), each setting up its table of a hundred and more reply callbacks; one
    object per connection pool does the same work, since redis.Redis is safe to share between threads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClients

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
