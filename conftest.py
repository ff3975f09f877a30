import os

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

from staff import roles
from staff.models import User
from staff.roles import sync_role_groups


def make_user(username: str, role: str | None, **extra) -> User:
    user = User.objects.create_user(username=username, password="pw-for-tests-1", **extra)
    if role and not Group.objects.filter(name=role).exists():
        # A transactional test before this one flushed the groups the migration made.
        sync_role_groups(apps)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def front_desk(db):
    return make_user("frontdesk", roles.FRONT_DESK, last_name="林")


@pytest.fixture
def waiter(db):
    return make_user("waiter", roles.WAITER, last_name="周")


@pytest.fixture
def manager(db):
    return make_user("manager", roles.MANAGER, last_name="王")


@pytest.fixture
def admin_user(db):
    return make_user("admin", roles.ADMIN, last_name="陈", is_staff=True)


@pytest.fixture
def client_for(client):
    """client_for(user) logs the test client in as that user."""

    def login(user):
        client.force_login(user, backend="staff.backends.CachedPermissionBackend")
        return client

    return login


def _live_server(address, handler, *, connections_override=None, **kwargs):
    if connections_override:  # SQLite's in-memory test database: one connection for every thread
        return WSGIServer(address, handler, **kwargs)
    return ThreadedWSGIServer(address, handler, connections_override=connections_override, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def live_server_one_request_at_a_time_on_sqlite():
    """On SQLite the live server's threads and the test share the in-memory database's one connection, so
    two requests at once (htmx replacing one in flight) interleaved their transactions on it: "cannot
    commit - no transaction is active". There Django's server without threads answers one request at a
    time (and closes each HTTP connection, so a browser's keep-alive cannot hold it); PostgreSQL keeps
    the threaded one, a connection per request."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LiveServerThread, "server_class", staticmethod(_live_server))
        yield


@pytest.fixture(autouse=True)
def fresh_cache():
    """Cached permission sets and sessions must not outlive the test that made them
    (SQLite reuses primary keys after a rollback)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


class ApiKeyHeaders(dict):
    """The test client's headers for a key, with the client and the raw key beside them."""

    def __init__(self, client, raw):
        super().__init__(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        self.client, self.raw = client, raw


@pytest.fixture
def api_key(db):
    """api_key(*scopes, outlets=(), rate=600) creates an API client with those scopes and returns the
    headers that carry its key (Authorization: Api-Key …) for the test client."""
    from staff.clients import api_client_create

    made = []

    def key(*scopes, outlets=(), rate=600, name=None):
        client, raw = api_client_create(actor=None, name=name or f"test client {len(made) + 1}", kind="other",
                                        scopes=list(scopes), outlets=outlets, rate_per_minute=rate)  # fmt: skip
        made.append(client)
        return ApiKeyHeaders(client, raw)

    return key


@pytest.fixture
def postgresql():
    """For a test of real concurrent transactions or of PostgreSQL's own guards: skipped on SQLite, a
    failure in CI (KESHI_REQUIRE_SERVICES=1)."""
    if connection.vendor != "postgresql":
        if os.environ.get("KESHI_REQUIRE_SERVICES") == "1":
            pytest.fail("DATABASE_URL does not point at PostgreSQL")
        pytest.skip("this test needs PostgreSQL")


@pytest.fixture
def redis():
    """The cache's Redis connection, for a test of what Redis does itself (counters, locks, a hash renamed
    away): skipped when the cache is local memory (no CACHE_URL), a failure in CI (KESHI_REQUIRE_SERVICES=1)."""
    from staff.clients import cache_redis

    client = cache_redis()
    if client is None:
        if os.environ.get("KESHI_REQUIRE_SERVICES") == "1":
            pytest.fail("CACHE_URL does not point at Redis")
        pytest.skip("this test needs Redis (CACHE_URL)")
    return client
