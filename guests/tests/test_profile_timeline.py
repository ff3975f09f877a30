"""The profile's timeline: every kind of entry, newest first, one page at a time (guests/profile.py)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from followups.services import followup_complete
from followups.tests.factories import followup
from guests.profile import profile_timeline
from guests.tests.factories import GuestFactory
from visits.complaints import complaint_record
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(waiter, manager):
    """A guest with 23 visits a day apart, one complaint and one finished follow-up between them."""
    guest = GuestFactory(name="常来")
    now = timezone.now()
    for day in range(23):
        record_visit(guest, waiter, at=now - datetime.timedelta(days=day, hours=1), spend=f"{100 + day}.00",
                     notes=f"第{day}次")  # fmt: skip
    complaint_record(actor=waiter, guest=guest, fields={"category": "food", "severity": "low",
                     "description": "汤太咸", "received_at": now - datetime.timedelta(days=11, hours=2)})  # fmt: skip
    done = followup(guest, manager)
    followup_complete(followup=done, actor=manager, outcome="客人很满意")
    return guest


def kinds_and_notes(page):
    return [(item.entry, getattr(item, "notes", "")) for item in page.object_list]


def test_the_timeline_pages_every_kind_of_entry_newest_first(history, manager):
    first = profile_timeline(guest=history, page=1, actor=manager)
    assert first.paginator.count == 25 and first.paginator.num_pages == 3
    assert first.object_list[0].entry == "followup"  # completed just now
    assert [note for _kind, note in kinds_and_notes(first)[1:]] == [f"第{day}次" for day in range(9)]
    second = profile_timeline(guest=history, page=2, actor=manager)
    assert kinds_and_notes(second) == [("visit", "第9次"), ("visit", "第10次"), ("visit", "第11次"),
                                       ("complaint", ""), *[("visit", f"第{day}次") for day in range(12, 18)]]  # fmt: skip
    assert second.object_list[3].description == "汤太咸"
    last = profile_timeline(guest=history, page=3, actor=manager)
    assert kinds_and_notes(last) == [("visit", f"第{day}次") for day in range(18, 23)]
    assert (second.number, second.has_previous(), second.has_next(), last.has_next()) == (2, True, True, False)
    assert (second.start_index(), second.end_index(), last.start_index(), last.end_index()) == (11, 20, 21, 25)


@pytest.mark.parametrize("asked, shown", [("9", 3), ("0", 3), ("-1", 3), ("two", 1), (None, 1), ("", 1), ("2.5", 1)])
def test_a_page_out_of_range_shows_the_last_and_a_page_that_is_no_number_the_first(history, manager, asked, shown):
    page = profile_timeline(guest=history, page=asked, actor=manager)
    assert page.number == shown
    assert page.object_list == profile_timeline(guest=history, page=shown, actor=manager).object_list


def test_a_guest_without_entries_has_one_empty_page(manager):
    guest = GuestFactory()
    for asked in (1, 4):
        page = profile_timeline(guest=guest, page=asked, actor=manager)
        assert (page.number, list(page.object_list), page.paginator.count, page.has_other_pages()) == (1, [], 0, False)
    with CaptureQueriesContext(connection) as queries:
        profile_timeline(guest=guest, page=1, actor=manager)
    assert len(queries) == 1  # the count: no page to read


def test_only_the_kinds_asked_for_are_read(history, manager):
    page = profile_timeline(guest=history, page=1, actor=manager, only=["complaint"])
    assert [item.entry for item in page.object_list] == ["complaint"] and page.paginator.count == 1
    assert list(profile_timeline(guest=history, page=1, actor=manager, only=[]).object_list) == []


def test_a_page_of_the_timeline_is_its_count_its_page_and_one_query_per_kind_on_it(history, manager):
    profile_timeline(guest=history, page=2, actor=manager)  # the manager's permissions, read once
    with CaptureQueriesContext(connection) as queries:
        page = profile_timeline(guest=history, page=2, actor=manager)
    assert {item.entry for item in page.object_list} == {"visit", "complaint"}
    assert len(queries) == 4


def test_the_profile_shows_the_second_page_of_the_timeline(client_for, manager, history):
    body = client_for(manager).get(reverse("guests:profile", args=[history.pk]), {"page": 2}).content.decode()
    timeline = body[body.index('data-testid="timeline"') :]
    assert re.findall(r"第\d+次", timeline) == [f"第{day}次" for day in range(9, 18)]
    assert timeline.count('data-testid="timeline-complaint"') == 1 and "汤太咸" in timeline
    position = re.search(r'<li class="page-item disabled"><span class="page-link">([^<]*)</span>', timeline)[1]
    assert re.findall(r"\d+", position) == ["2", "3"]
    assert 'href="?page=1"' in timeline and 'href="?page=3"' in timeline
