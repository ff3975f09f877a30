"""The read replica (crm/db.py): reports, the review, exports and the API's lists read it; the desk's pages
and whoever has just written read the primary; a replica down or late is not read. The replica here is a
test mirror of the primary (the same database), so each test asks which alias ran the queries."""

import datetime

import pytest
from django.db import OperationalError, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import db, health
from guests.tests.factories import GuestFactory
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def replica_on(settings):
    settings.KESHI_REPLICA_READS = True
    db._state.clear()
    health._kept.clear()
    yield
    db._state.clear()
    health._kept.clear()


def reads(client_or_call, url=None, **kwargs):
    """(queries on the primary, queries on the replica) while the page answers."""
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(
        connections["replica"]
    ) as replica:  # fmt: skip
        response = client_or_call.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return len(primary), len(replica), response


def test_a_report_reads_the_replica_and_the_desk_s_guest_page_the_primary(client_for, manager):
    guest = GuestFactory(honorific="张总")
    record_visit(guest, manager)
    client = client_for(manager)
    week = {"date_from": (timezone.localdate() - datetime.timedelta(days=7)).isoformat()}
    _p, on_replica, response = reads(client, reverse("reports:top_spenders"), data=week)
    assert on_replica > 0 and guest.name in response.content.decode()
    _p, on_replica, _r = reads(client, reverse("guests:profile", args=[guest.pk]))
    assert on_replica == 0


def test_whoever_has_just_written_reads_the_primary_for_a_few_seconds(client_for, manager, settings):
    client = client_for(manager)
    url = reverse("reports:top_spenders")
    wrote = client.post(reverse("guests:quick_add"), {"surname": "李", "honorific": "李总", "mobile": "13912340000"})
    assert wrote.status_code in (200, 302)
    _p, on_replica, _r = reads(client, url)
    assert on_replica == 0
    db.cache.delete(db._key(manager.pk))  # the sticky seconds are over
    _p, on_replica, _r = reads(client, url)
    assert on_replica > 0


def test_a_refused_write_does_not_hold_its_author_on_the_primary(client, api_key):
    from bookings.tests.factories import tomorrow
    from bookings.tests.test_api_bookings import new_booking, post

    headers = api_key("bookings:read", "bookings:write")
    assert post(client, headers, new_booking(outlet="NOPE")).status_code == 400
    _p, on_replica, _r = reads(client, reverse("api:bookings"), data={"date": tomorrow().isoformat()}, **headers)
    assert on_replica > 0


def test_the_exports_and_the_review_read_the_replica(client_for, manager, admin_user):
    GuestFactory()
    for user, url in ((admin_user, reverse("guests:register_export")), (manager, reverse("review:list"))):
        _p, on_replica, _r = reads(client_for(user), url)
        assert on_replica > 0, url


def test_the_api_s_list_reads_the_replica_until_the_client_books(client, api_key):
    from bookings.tests.factories import tomorrow
    from bookings.tests.test_api_bookings import new_booking, post
    from staff.models import Outlet, Room

    outlet = Outlet.objects.create(name="悦府中餐厅", code="YF")
    Room.objects.create(outlet=outlet, name="牡丹厅", code="P01", seats=12)
    headers = api_key("bookings:read", "bookings:write")
    day = {"date": tomorrow().isoformat()}
    _p, on_replica, _r = reads(client, reverse("api:bookings"), data=day, **headers)
    assert on_replica > 0
    assert post(client, headers, new_booking()).status_code == 201
    _p, on_replica, response = reads(client, reverse("api:bookings"), data=day, **headers)
    assert on_replica == 0 and len(response.json()["bookings"]) == 1


def test_a_replica_that_does_not_answer_is_not_read_and_the_health_check_says_so(client, client_for, manager,
                                                                                 monkeypatch):  # fmt: skip
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(db, "replica_lag_seconds", down)
    _p, on_replica, _r = reads(client_for(manager), reverse("reports:top_spenders"))
    assert on_replica == 0
    body = client.get("/health/").json()
    assert body["replica"] == "down" and body["status"] == "degraded"


def test_a_replica_far_behind_is_not_read(client_for, manager, monkeypatch, settings):
    monkeypatch.setattr(db, "replica_lag_seconds", lambda: settings.KESHI_REPLICA_MAX_LAG + 5.0)
    _p, on_replica, _r = reads(client_for(manager), reverse("reports:top_spenders"))
    assert on_replica == 0 and db.replica_state() == "late"


def test_nothing_is_written_or_migrated_on_the_replica():
    router = db.PrimaryReplicaRouter()
    with db.reading_from_replica():
        assert router.db_for_read(None) == "replica" and router.db_for_write(None) == "default"
    assert router.db_for_read(None) == "default"
    assert router.allow_migrate("replica", "guests") is False and router.allow_migrate("default", "guests")
