"""Work handed to Celery after commit: once per transaction, never from a bulk load, never fatal."""

import pytest
from django.db import transaction

from crm.tasks import enqueue, enqueue_suppressed

pytestmark = pytest.mark.django_db


class Task:
    name = "tests.fake"

    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def apply_async(self, args, retry):
        if self.fail:
            raise ConnectionError("Error 111 connecting to redis")
        self.sent.append(args)


def test_the_same_work_is_sent_once_per_transaction_after_commit(django_capture_on_commit_callbacks):
    task = Task()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(task, 7)
        enqueue(task, 7)
        enqueue(task, 8)
        assert task.sent == []
    assert task.sent == [(7,), (8,)]


def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    task = Task()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue(task, 7)
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == [] and task.sent == []


def test_a_bulk_load_sends_nothing(django_capture_on_commit_callbacks):
    task = Task()
    with django_capture_on_commit_callbacks(execute=True), enqueue_suppressed():
        enqueue(task, 7)
    assert task.sent == []


def test_a_broker_failure_is_logged_not_raised(django_capture_on_commit_callbacks, caplog):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(Task(fail=True), 7)
    assert "could not enqueue tests.fake(7,)" in caplog.text
