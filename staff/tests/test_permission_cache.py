"""Each user's permissions are cached between requests, and any change to access applies at once."""

import os

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "crm.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def queries_of(client, url, table):
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return [q["sql"] for q in captured if table in q["sql"]]


def permission_queries(client, url):
    return queries_of(client, url, "auth_permission")


def test_a_second_request_reads_the_permissions_from_the_cache(client_for, front_desk):
    client = client_for(front_desk)
    assert permission_queries(client, reverse("guests:lookup"))
    assert permission_queries(client, reverse("guests:lookup")) == []


def test_joining_a_group_grants_its_permissions_on_the_next_request(client_for, waiter):
    client = client_for(waiter)
    assert client.get(reverse("visits:list")).status_code == 403
    waiter.groups.add(Group.objects.get(name="manager"))
    assert client.get(reverse("visits:list")).status_code == 200


def test_a_permission_taken_from_a_group_is_refused_on_the_next_request(client_for, manager):
    client = client_for(manager)
    assert client.get(reverse("visits:list")).status_code == 200
    group = Group.objects.get(name="manager")
    group.permissions.remove(Permission.objects.get(codename="view_visit"))
    assert client.get(reverse("visits:list")).status_code == 403


def test_a_permission_given_to_the_user_directly_applies_on_the_next_request(client_for, waiter):
    client = client_for(waiter)
    assert client.get(reverse("visits:list")).status_code == 403
    waiter.user_permissions.add(Permission.objects.get(codename="view_visit"))
    assert client.get(reverse("visits:list")).status_code == 200


def test_a_deactivated_user_loses_access_although_permissions_are_cached(client_for, manager):
    client = client_for(manager)
    assert client.get(reverse("visits:list")).status_code == 200
    manager.is_active = False
    manager.save()
    assert client.get(reverse("visits:list")).status_code == 302  # logged out, sent to the login page


@override_settings(CACHES=DEAD_REDIS, SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_with_redis_unreachable_staff_still_log_in_and_search(client, front_desk, caplog):
    response = client.post(reverse("login"), {"username": front_desk.username, "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert client.get(reverse("guests:lookup"), {"q": "张"}).status_code == 200
    assert "carrying on without the cache" in caplog.text


@pytest.mark.services
def test_the_cache_talks_to_redis_through_one_client_per_connection_pool():
    from crm.cache import ResilientRedisCache
    from crm.tests.workers import require_services

    cache = ResilientRedisCache(os.environ.get("CACHE_URL") or require_services(), {"KEY_PREFIX": "client-test"})
    cache.set("reused", "one")
    backend = cache._cache
    assert backend.get_client() is backend.get_client(write=True)
    assert cache.get("reused") == "one" and cache.get_many(["reused"]) == {"reused": "one"}
    cache.delete("reused")


# The user of each request comes from the same cache entry's neighbour: no query for it on a page
# the user already opened, and any change to the user applies on the next request.


def test_a_second_request_reads_the_user_from_the_cache(client_for, front_desk):
    client = client_for(front_desk)
    client.get(reverse("guests:lookup"))
    assert queries_of(client, reverse("guests:lookup"), 'FROM "staff_user"') == []


def test_a_user_deactivated_by_an_update_of_the_table_loses_access_on_the_next_request(client_for, manager):
    from staff.backends import forget_user
    from staff.models import User

    client = client_for(manager)
    assert client.get(reverse("visits:list")).status_code == 200
    User.objects.filter(pk=manager.pk).update(is_active=False)
    forget_user(manager.pk)  # what the code that updates the table in bulk does (staff.clients)
    assert client.get(reverse("visits:list")).status_code == 302


def test_a_password_changed_elsewhere_logs_the_user_out_on_the_next_request(client_for, waiter):
    client = client_for(waiter)
    assert client.get(reverse("guests:lookup")).status_code == 200
    waiter.set_password("another-pw-for-tests-2")
    waiter.save()
    assert client.get(reverse("guests:lookup")).status_code == 302


def test_a_renamed_user_is_shown_by_the_new_name_on_the_next_request(client_for, waiter):
    client = client_for(waiter)
    client.get(reverse("guests:lookup"))
    waiter.first_name, waiter.last_name = "周新", ""
    waiter.save()
    assert "周新" in client.get(reverse("guests:lookup")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_user_changed_by_a_transaction_that_commits_later_is_not_served_from_before(postgresql, client_for, waiter):
    # Another request, on its own connection, reads the row while the change is not yet committed
    # and caches it: the row is forgotten again when the change commits.
    import threading

    from django.db import connections, transaction

    from staff.backends import CachedPermissionBackend

    def another_request():
        try:
            seen.append(CachedPermissionBackend().get_user(waiter.pk))
        finally:
            connections.close_all()

    client, seen = client_for(waiter), []
    client.get(reverse("guests:lookup"))
    with transaction.atomic():
        waiter.is_active = False
        waiter.save()
        reader = threading.Thread(target=another_request)
        reader.start()
        reader.join()
    assert seen[0].is_active  # it read the row from before the change, and cached it
    assert client.get(reverse("guests:lookup")).status_code == 302


def test_logging_in_on_another_tablet_keeps_the_user_cached(client_for, front_desk):
    # Only the last login changes: nothing a request decides by.
    client = client_for(front_desk)
    client.get(reverse("guests:lookup"))
    client_for(front_desk)  # the same person signs in elsewhere
    assert queries_of(client, reverse("guests:lookup"), 'FROM "staff_user"') == []
