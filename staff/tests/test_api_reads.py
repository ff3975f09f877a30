"""The audit log's count of what machines read: the caller lookup counts in Redis, a flush moves the counts
into ApiReadDay, and no read is lost or counted twice on the way."""

import datetime
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from staff import clients
from staff.clients import READS_MOVING, READS_PENDING, api_client_create, api_reads_add, api_reads_flush
from staff.models import ApiReadDay
from staff.tasks import flush_api_reads

pytestmark = pytest.mark.django_db


def machine(name="电话系统"):
    return api_client_create(actor=None, name=name, kind="other", scopes=["lookup"])[0]


def counted(client, endpoint="lookup") -> int:
    row = ApiReadDay.objects.filter(client=client, endpoint=endpoint, day=timezone.localdate()).first()
    return row.records if row else 0


def test_reads_counted_in_redis_reach_the_audit_log_when_flushed_and_a_second_flush_adds_nothing(
    django_capture_on_commit_callbacks, redis
):
    phone, pos = machine(), machine("POS 悦府")
    api_reads_add(client=phone, endpoint="lookup", records=3)
    api_reads_add(client=phone, endpoint="lookup", records=2)
    api_reads_add(client=phone, endpoint="guests", records=1)
    api_reads_add(client=pos, endpoint="lookup", records=4)
    api_reads_add(client=pos, endpoint="lookup", records=0)  # nothing read: nothing counted
    assert not ApiReadDay.objects.exists()
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            api_reads_flush()
    assert (counted(phone), counted(phone, "guests"), counted(pos)) == (5, 1, 4)


def test_a_flush_adds_to_the_day_s_row_that_the_database_counted_already(django_capture_on_commit_callbacks, redis):
    phone = machine()
    clients.api_reads_count(client=phone, endpoint="lookup", records=7)
    api_reads_add(client=phone, endpoint="lookup", records=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert api_reads_flush() == 2
    assert counted(phone) == 9


def test_reads_are_counted_on_the_day_they_were_read_whenever_the_flush_runs(
    django_capture_on_commit_callbacks, monkeypatch
):
    phone = machine()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    monkeypatch.setattr(clients.timezone, "localdate", lambda: yesterday)
    api_reads_add(client=phone, endpoint="lookup", records=2)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        api_reads_flush()
    assert ApiReadDay.objects.get(client=phone).day == yesterday


def test_when_redis_does_not_answer_the_read_is_counted_in_the_database_at_once(monkeypatch):
    phone = machine()

    class Down:
        def hincrby(self, *args):
            raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(clients, "cache_redis", lambda: Down())
    api_reads_add(client=phone, endpoint="lookup", records=3)
    assert counted(phone) == 3


@pytest.mark.django_db(transaction=True)
def test_a_batch_a_dead_flush_left_is_moved_by_the_next_flush_with_what_came_since(redis):
    phone = machine()
    api_reads_add(client=phone, endpoint="lookup", records=4)
    redis.rename(cache.make_key(READS_PENDING), cache.make_key(READS_MOVING))  # the dead flush's first step
    api_reads_add(client=phone, endpoint="lookup", records=1)
    assert api_reads_flush() == 5  # as beat's task runs it: outside any transaction, both batches
    assert counted(phone) == 5 and not redis.exists(cache.make_key(READS_MOVING))


def test_inside_a_caller_s_transaction_a_flush_moves_one_batch_and_the_next_flush_the_other(
    django_capture_on_commit_callbacks, redis
):
    phone = machine()
    api_reads_add(client=phone, endpoint="lookup", records=4)
    redis.rename(cache.make_key(READS_PENDING), cache.make_key(READS_MOVING))
    api_reads_add(client=phone, endpoint="lookup", records=1)
    for batch in (4, 1):
        with django_capture_on_commit_callbacks(execute=True):
            assert api_reads_flush() == batch
    assert counted(phone) == 5


def test_a_flush_rolled_back_with_its_caller_s_transaction_leaves_the_counts_for_the_next_one(
    django_capture_on_commit_callbacks, redis
):
    phone = machine()
    api_reads_add(client=phone, endpoint="lookup", records=3)
    with django_capture_on_commit_callbacks(execute=False):  # the caller's transaction never commits
        api_reads_flush()
    ApiReadDay.objects.all().delete()  # what its rollback undoes
    redis.delete(cache.make_key(clients.READS_LOCK))  # the lock's expiry, five minutes on
    with django_capture_on_commit_callbacks(execute=True):
        assert api_reads_flush() == 3
    assert counted(phone) == 3


def test_a_second_flush_while_one_runs_moves_nothing(django_capture_on_commit_callbacks, redis):
    phone = machine()
    api_reads_add(client=phone, endpoint="lookup", records=2)
    redis.set(cache.make_key(clients.READS_LOCK), "another flush")
    assert api_reads_flush() == 0 and not ApiReadDay.objects.exists()


def test_the_beat_task_flushes_and_is_safe_to_run_twice(django_capture_on_commit_callbacks):
    phone = machine()
    api_reads_add(client=phone, endpoint="lookup", records=2)
    with django_capture_on_commit_callbacks(execute=True):
        flush_api_reads.delay()
        flush_api_reads.delay()
    assert counted(phone) == 2


def test_the_audit_log_s_admin_page_shows_the_reads_counted_until_now(client_for, admin_user):
    phone = machine()
    api_reads_add(client=phone, endpoint="lookup", records=6)
    page = client_for(admin_user).get(reverse("admin:staff_apireadday_changelist"))
    assert page.status_code == 200 and counted(phone) == 6


def test_the_audit_log_s_admin_page_opens_while_redis_does_not_answer(client_for, admin_user, monkeypatch):
    class Down:
        def set(self, *args, **kwargs):
            raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(clients, "cache_redis", lambda: Down())
    assert client_for(admin_user).get(reverse("admin:staff_apireadday_changelist")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_no_read_is_lost_or_counted_twice_when_flushes_race_the_lookups(redis):
    phone = machine()
    threads, adds, done = 6, 150, threading.Event()

    def count():
        for _n in range(adds):
            api_reads_add(client=phone, endpoint="lookup", records=1)

    def flush():
        try:
            while not done.is_set():
                api_reads_flush()
        finally:
            connection.close()

    flusher = threading.Thread(target=flush)
    flusher.start()
    counters = [threading.Thread(target=count) for _n in range(threads)]
    for thread in counters:
        thread.start()
    for thread in counters:
        thread.join(30)
    done.set()
    flusher.join(30)
    api_reads_flush()
    assert counted(phone) == threads * adds


@pytest.mark.django_db(transaction=True)
def test_a_client_s_rate_counts_requests_made_at_the_same_moment_exactly(api_key, redis):
    from django.test import Client

    from crm.tests.concurrency import run_at_once

    headers = api_key("lookup", rate=5)
    statuses, errors = run_at_once(
        lambda: Client().get(reverse("api:lookup"), {"phone": "1234"}, **headers).status_code, times=8
    )
    assert not errors and sorted(statuses) == [200] * 5 + [429] * 3


def test_with_redis_down_the_rate_lets_the_request_through(client, api_key, monkeypatch):
    import staff.api

    class Down:
        def eval(self, *args):
            raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(staff.api, "cache_redis", lambda: Down())
    headers = api_key("lookup", rate=1)
    assert [client.get(reverse("api:lookup"), {"phone": "1234"}, **headers).status_code for _ in range(2)] == [200, 200]
