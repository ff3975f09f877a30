import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone

from guests.models import Guest
from guests.services import guest_anonymise
from guests.tests.factories import GuestFactory
from visits.models import Visit
from visits.selectors import guest_figures, visit_suggestions
from visits.services import visit_correct, visit_record
from visits.tests.factories import outlet, record_visit, room

pytestmark = pytest.mark.django_db


def test_a_visit_moves_the_guest_to_the_top_of_recent_guests(waiter):
    guest = GuestFactory()
    visit = record_visit(guest, waiter, dishes="烤鸭、佛跳墙", drinks="茅台")
    guest.refresh_from_db()
    assert guest.last_visit_at == visit.visited_at == guest.last_seen_at
    assert visit.served_by == waiter and visit.created_by == waiter
    assert visit.dish_list == ["烤鸭", "佛跳墙"]


def test_an_older_visit_does_not_move_the_last_visit_back(waiter):
    guest = GuestFactory()
    recent = record_visit(guest, waiter, days_ago=1)
    record_visit(guest, waiter, days_ago=30)
    guest.refresh_from_db()
    assert guest.last_visit_at == recent.visited_at


def test_ticked_observations_become_the_guests_preferences(waiter):
    guest = GuestFactory(taboos="不吃香菜")
    visit_record(
        actor=waiter,
        guest=guest,
        fields={"outlet": outlet(), "visited_at": timezone.now(), "meal_period": "lunch", "party_size": 2,
                "spend": Decimal("300")},
        observations=["less_salt", "no_coriander", "no_baijiu", "quiet_room"],
    )  # fmt: skip
    guest.refresh_from_db()
    assert guest.taboos == "不吃香菜、少盐、不喝白酒"
    assert guest.seating == "安静包间"
    assert guest.history.first().history_user == waiter


def test_archived_companions_are_linked(waiter):
    host, friend = GuestFactory(mobile="13800000001"), GuestFactory(mobile="13800000002")
    visit = visit_record(
        actor=waiter,
        guest=host,
        fields={"outlet": outlet(), "visited_at": timezone.now(), "meal_period": "dinner", "party_size": 6,
                "spend": Decimal("3000")},
        companions=[friend],
    )  # fmt: skip
    assert list(visit.companions.all()) == [friend]
    assert list(friend.visits_as_companion.all()) == [visit]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"spend": Decimal("-1")}, "spend"),
        ({"party_size": 0}, "party_size"),
        ({"visited_at": timezone.now() + datetime.timedelta(days=2)}, "visited_at"),
        ({"meal_period": "brunch"}, "meal_period"),
        ({"satisfaction": 6}, "satisfaction"),
    ],
)
def test_bad_visits_are_refused_and_nothing_is_saved(waiter, fields, field):
    guest = GuestFactory()
    base = {"outlet": outlet(), "visited_at": timezone.now(), "meal_period": "dinner", "party_size": 2,
            "spend": Decimal("100")}  # fmt: skip
    with pytest.raises(ValidationError) as error:
        visit_record(actor=waiter, guest=guest, fields=base | fields)
    assert field in error.value.message_dict
    assert Visit.objects.count() == 0
    guest.refresh_from_db()
    assert guest.last_visit_at is None


def test_every_check_constraint_of_a_visit_is_refused_by_its_field_first():
    # visit_record leaves the check constraints to the database and to the fields' own validators: a new
    # constraint the fields do not mirror would reach the database as an error page instead of a message.
    checks = [c for c in Visit._meta.constraints if isinstance(c, models.CheckConstraint)]
    assert checks
    for check in checks:
        ((lookup, limit),) = check.condition.children
        name, comparison = lookup.split("__")
        assert comparison == "gte", f"{check.name}: teach this test the lookup {comparison}"
        below = limit - (Decimal("0.01") if isinstance(Visit._meta.get_field(name), models.DecimalField) else 1)
        visit = Visit(**{name: below})
        with pytest.raises(ValidationError) as error:
            visit.clean_fields(exclude=[f.name for f in Visit._meta.fields if f.name != name])
        assert list(error.value.message_dict) == [name]


def test_logging_a_visit_reads_no_row_the_caller_gave_it_again(waiter, django_assert_num_queries):
    guest, where, table = GuestFactory(), outlet(), room("牡丹厅")
    fields = {"outlet": where, "room": table, "visited_at": timezone.now(), "meal_period": "dinner",
              "party_size": 2, "spend": Decimal("100")}  # fmt: skip
    visit_record(actor=waiter, guest=GuestFactory(), fields=dict(fields))  # the day's total row exists now
    # SAVEPOINT, the host locked, the visit and its history, the host's recency, the webhooks'
    # subscriptions, the day's total, RELEASE: no SELECT 1 of a related row, no statement for a check
    # constraint.
    with django_assert_num_queries(8) as captured:
        visit_record(actor=waiter, guest=guest, fields=dict(fields))
    assert not [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith(("SELECT 1 ", 'SELECT 1 AS "_check"'))
    ]


def test_a_room_of_another_outlet_is_refused(waiter):
    with pytest.raises(ValidationError) as error:
        record_visit(GuestFactory(), waiter, outlet=outlet("大堂吧"), room=room("牡丹厅", "悦府中餐厅"))
    assert "room" in error.value.message_dict


def test_no_visit_for_an_anonymised_host(waiter, manager):
    guest = guest_anonymise(guest=GuestFactory(), actor=manager, reason="guest_request")
    with pytest.raises(ValidationError) as error:
        record_visit(guest, waiter)
    assert "guest" in error.value.message_dict


def test_no_visit_for_a_host_anonymised_after_the_page_loaded_them(waiter, manager):
    guest = GuestFactory()
    guest_anonymise(guest=Guest.objects.get(pk=guest.pk), actor=manager, reason="guest_request")
    with pytest.raises(ValidationError) as error:
        record_visit(guest, waiter)  # the object the waiter's page loaded before
    assert "guest" in error.value.message_dict and not Visit.objects.exists()


def test_a_visit_counts_under_the_tier_its_host_has_when_it_is_logged(waiter):
    guest = GuestFactory(tier="C")
    Guest.objects.filter(pk=guest.pk).update(tier="A")  # a manager approved the review meanwhile
    assert record_visit(guest, waiter).host_tier == "A"


def test_a_party_cannot_be_smaller_than_the_guests_listed(waiter):
    host, friend = GuestFactory(mobile="13800000001"), GuestFactory(mobile="13800000002")
    with pytest.raises(ValidationError) as error:
        visit_record(
            actor=waiter, guest=host, companions=[friend],
            fields={"outlet": outlet(), "visited_at": timezone.now(), "meal_period": "dinner", "party_size": 1,
                    "spend": Decimal("1")},
        )  # fmt: skip
    assert "party_size" in error.value.message_dict


def test_a_waiter_corrects_their_own_visit_the_same_day(waiter):
    visit = record_visit(GuestFactory(), waiter, spend="100.00")
    visit_correct(actor=waiter, visit=visit, fields={"spend": Decimal("120.50")})
    visit.refresh_from_db()
    assert visit.spend == Decimal("120.50")
    assert visit.history.count() == 2


def test_a_waiter_cannot_correct_a_visit_logged_on_an_earlier_day(waiter):
    visit = record_visit(GuestFactory(), waiter)
    Visit.objects.filter(pk=visit.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        visit_correct(actor=waiter, visit=visit, fields={"spend": Decimal("1")})


def test_a_waiter_cannot_correct_a_colleagues_visit(waiter, front_desk):
    visit = record_visit(GuestFactory(), front_desk)
    with pytest.raises(PermissionDenied):
        visit_correct(actor=waiter, visit=visit, fields={"spend": Decimal("1")})


def test_a_manager_corrects_any_visit_and_the_last_visit_follows(waiter, manager):
    guest = GuestFactory()
    visit = record_visit(guest, waiter, days_ago=3)
    Visit.objects.filter(pk=visit.pk).update(created_at=timezone.now() - datetime.timedelta(days=3))
    corrected_at = timezone.now() - datetime.timedelta(days=5)
    visit_correct(actor=manager, visit=visit, fields={"visited_at": corrected_at})
    guest.refresh_from_db()
    assert guest.last_visit_at == corrected_at
    assert visit.history.first().history_user == manager


def test_figures_split_the_last_twelve_months_from_before(waiter):
    guest = GuestFactory()
    record_visit(guest, waiter, days_ago=10, spend="1000.00", party=4)
    record_visit(guest, waiter, days_ago=100, spend="500.00", party=1, meal_period="lunch")
    record_visit(guest, waiter, days_ago=400, spend="300.00", party=5, outlet=outlet("金色大宴会厅"))
    figures = guest_figures(guest=guest)
    assert (figures.visits_12m, figures.spend_12m) == (2, Decimal("1500.00"))
    assert (figures.visits_before, figures.spend_before) == (1, Decimal("300.00"))
    assert figures.spend_per_head == Decimal("180.00")
    assert figures.favourite_outlet == "悦府中餐厅"
    assert figures.first_visit < figures.last_visit


def test_a_guest_without_visits_has_empty_figures():
    figures = guest_figures(guest=GuestFactory())
    assert figures.visits_12m == 0 and figures.spend_per_head is None and figures.favourite_outlet is None


def test_suggestions_offer_the_guests_favourites_then_the_outlets_recent_orders(waiter):
    guest = GuestFactory(favourite_dishes="白切鸡", favourite_drinks="普洱茶")
    other = GuestFactory(mobile="13000000009")
    record_visit(other, waiter, dishes="烤鸭、白切鸡", drinks="茅台")
    record_visit(other, waiter, dishes="烤鸭", drinks="")
    suggestions = visit_suggestions(guest=guest, outlet_id=outlet().pk)
    assert suggestions == {"dishes": ["白切鸡", "烤鸭"], "drinks": ["普洱茶", "茅台"]}


def test_merging_guests_moves_their_visits(manager, waiter):
    from guests.services import guest_merge

    keep, other = GuestFactory(mobile="13800000001"), GuestFactory(mobile="13800000002")
    visit = record_visit(other, waiter)
    guest_merge(keep=keep, other=other, actor=manager)
    visit.refresh_from_db()
    assert visit.guest == keep
    assert Guest.objects.get(pk=keep.pk).last_visit_at == visit.visited_at
