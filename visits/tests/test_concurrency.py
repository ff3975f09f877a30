"""Visits logged at the same moment, with real concurrent transactions on PostgreSQL."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from crm.tests.concurrency import run_at_once
from guests.tests.factories import GuestFactory
from visits.models import Visit
from visits.services import visit_record
from visits.tests.factories import outlet

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_tables_that_each_list_the_other_s_host_as_companion_both_save(postgresql, waiter):
    # 张总 dines at one table with 李总 as a companion while 李总 hosts another with 张总, both logged at once.
    # Each form's transaction holds its host's row locked until COMMIT, where PostgreSQL checks the
    # companion's foreign key by locking the companion's row: the host's lock must not refuse that check,
    # or the two wait for each other and one waiter gets an error page.
    # Of two tiers, so that the two visits add to two rows of the day's totals (one row would make the
    # second wait for the first anyway).
    zhang, li, where = GuestFactory(name="张伟", tier="A"), GuestFactory(name="李明", tier="B"), outlet()
    tables = [(zhang, li), (li, zhang)]
    both_locked = threading.Barrier(2)

    def table():
        host, companion = tables.pop()
        fields = {"outlet": where, "visited_at": timezone.now() - datetime.timedelta(hours=1),
                  "meal_period": "dinner", "party_size": 2, "spend": Decimal("600")}  # fmt: skip
        with transaction.atomic():  # the form's request: its foreign keys are checked at COMMIT
            visit = visit_record(actor=waiter, guest=host, fields=fields, companions=[companion])
            both_locked.wait(10)
        return visit.pk

    saved, errors = run_at_once(table)
    assert errors == []
    assert sorted(Visit.objects.values_list("guest__name", "companions__name")) == [("张伟", "李明"), ("李明", "张伟")]
    assert len(saved) == 2
