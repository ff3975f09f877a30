"""The profile's timeline rows and change history, rendered in Python (guests/profile_rendering.py):
what each row says, and every value escaped."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.services import followup_complete
from followups.tests.factories import followup
from guests.services import guest_update
from guests.tests.factories import GuestFactory
from staff.models import Outlet
from visits.complaints import complaint_record
from visits.models import Complaint
from visits.tests.factories import record_visit, room

pytestmark = pytest.mark.django_db


def page(client, guest, **params) -> str:
    return client.get(reverse("guests:profile", args=[guest.pk]), params, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def section(body: str, testid: str) -> str:
    start = body.index(f'data-testid="{testid}"')
    return body[start : body.index("</section>", start)]


def complaint(guest, actor, *, hours_ago, **fields):
    return complaint_record(actor=actor, guest=guest, fields={"category": "food", "severity": "low",
                            "description": "汤太咸", "received_at": timezone.now() - datetime.timedelta(hours=hours_ago)}
                            | fields)  # fmt: skip


def test_a_visit_row_shows_when_meal_outlet_room_party_spend_dishes_notes_and_who_served(client_for, manager, waiter):
    guest = GuestFactory()
    at = timezone.now() - datetime.timedelta(days=2)
    record_visit(guest, waiter, at=at, spend="1888.50", party=6, room=room("牡丹厅"), dishes="白切鸡\n烧鹅",
                 drinks="茅台", notes="靠窗")  # fmt: skip
    row = section(page(client_for(manager), guest), "timeline")
    assert (
        f'<strong class="date">{timezone.localtime(at):%Y-%m-%d %H:%M}</strong> · Dinner · 悦府中餐厅 · 牡丹厅' in row
    )
    assert '6 guests · <span class="money">¥1,888.50</span> · <a href="/visits/' in row
    assert '<span class="chip">白切鸡</span><span class="chip">烧鹅</span><span class="chip">茅台</span>' in row
    assert '<div class="small text-body-secondary">靠窗</div>' in row and "Served by 周" in row


def test_a_waiter_may_correct_only_what_they_logged_today(client_for, manager, waiter):
    guest = GuestFactory()
    record_visit(guest, manager, days_ago=1)
    assert "Correct</a>" not in section(page(client_for(waiter), guest), "timeline")
    record_visit(guest, waiter)
    assert section(page(client_for(waiter), guest), "timeline").count("Correct</a>") == 1


def test_a_complaint_row_says_overdue_or_by_when_it_is_due_and_links_for_whoever_may_open_it(
    client_for, manager, waiter
):
    guest = GuestFactory()
    late = complaint(guest, waiter, hours_ago=30)
    due = complaint(guest, waiter, hours_ago=1, category="service")
    managers = section(page(client_for(manager), guest), "timeline")
    assert managers.count('data-testid="timeline-complaint"') == 2
    assert managers.count('data-testid="overdue">Overdue</span>') == 1
    assert f"Answer by {timezone.localtime(due.due_at):%m-%d %H:%M}</span>" in managers
    assert reverse("visits:complaint", args=[late.pk]) in managers
    assert reverse("visits:complaint", args=[late.pk]) not in section(page(client_for(waiter), guest), "timeline")
    Complaint.objects.filter(pk=late.pk).update(assignee=waiter)
    assert reverse("visits:complaint", args=[late.pk]) in section(page(client_for(waiter), guest), "timeline")


def test_a_finished_followup_shows_its_kind_channel_status_who_and_outcome(client_for, manager):
    guest = GuestFactory()
    done = followup(guest, manager)
    followup_complete(followup=done, actor=manager, outcome="客人很满意")
    row = section(page(client_for(manager), guest), "timeline")
    assert "· Follow-up · Other · Call</div><div>Done · 王</div>" in row and "客人很满意" in row


def test_an_empty_timeline_says_so(client_for, manager):
    assert "No visit logged yet." in section(page(client_for(manager), GuestFactory()), "timeline")


def test_every_value_on_the_timeline_is_escaped(client_for, manager, waiter):
    guest = GuestFactory()
    Outlet.objects.create(name="<b>厅</b>")
    record_visit(guest, waiter, outlet=Outlet.objects.get(name="<b>厅</b>"), dishes="<i>鱼</i>", notes='"x" & <y>')
    complaint(guest, waiter, hours_ago=1, description="<script>alert(1)</script>")
    done = followup(guest, manager)
    followup_complete(followup=done, actor=manager, outcome="<em>ok</em>")
    row = section(page(client_for(manager), guest), "timeline")
    for raw in ("<b>厅", "<i>鱼", "<y>", "<script>", "<em>"):
        assert raw not in row
    for escaped in ("&lt;b&gt;厅&lt;/b&gt;", "&lt;i&gt;鱼&lt;/i&gt;", "&quot;x&quot; &amp; &lt;y&gt;",
                    "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;em&gt;ok&lt;/em&gt;"):  # fmt: skip
        assert escaped in row


def test_the_history_shows_who_changed_what_from_what_to_what_escaped(client_for, manager):
    guest = GuestFactory(company="旧公司")
    guest_update(guest=guest, actor=manager, fields={"company": "<b>新</b>", "title": ""}, reason="核对 & 更正")
    body = page(client_for(manager), guest)
    history = section(body, "history")
    assert "<td>王</td>" in history and "· 核对 &amp; 更正</div>" in history
    assert "Company / unit: <del>旧公司</del> → &lt;b&gt;新&lt;/b&gt;</div>" in history
    assert "<b>新</b>" not in history
    full = client_for(manager).get(reverse("guests:history", args=[guest.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Company / unit: <del>旧公司</del> → &lt;b&gt;新&lt;/b&gt;</div>" in full.content.decode()
