"""Everything an admin sets up on the first day has an admin screen that the admin role (not a
superuser) opens and saves: outlets with rooms and tables, staff with their role and outlets, tier
thresholds and review settings, follow-up and greeting settings with the signature, message templates."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from conftest import make_user
from followups.models import Holiday, MessageTemplate, RuleSettings
from reports.models import ReviewSettings
from staff import roles
from staff.models import Outlet, Room, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return make_user("root", None, is_staff=True, is_superuser=True)


def user_form(user, **extra) -> dict:
    """What the staff member's change page posts, with `extra` on top."""
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
        "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "outlets": [str(pk) for pk in user.outlets.values_list("pk", flat=True)],
    }  # fmt: skip
    data.update(extra)
    return data


def role(name) -> str:
    return str(Group.objects.get(name=name).pk)


def test_an_admin_adds_an_outlet_with_its_rooms_in_one_save(client_for, admin_user):
    client = client_for(admin_user)
    assert client.get(reverse("admin:staff_outlet_add")).status_code == 200
    response = client.post(
        reverse("admin:staff_outlet_add"),
        {
            "name": "中餐厅", "kind": "restaurant", "is_active": "on",
            "rooms-TOTAL_FORMS": "2", "rooms-INITIAL_FORMS": "0", "rooms-MIN_NUM_FORMS": "0",
            "rooms-MAX_NUM_FORMS": "1000",
            "rooms-0-name": "牡丹厅", "rooms-0-is_private": "on", "rooms-0-seats": "12", "rooms-0-is_active": "on",
            "rooms-1-name": "大厅 8 号桌", "rooms-1-seats": "4", "rooms-1-is_active": "on",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content[:800]
    outlet = Outlet.objects.get(name="中餐厅")
    assert sorted(outlet.rooms.values_list("name", "is_private")) == [("大厅 8 号桌", False), ("牡丹厅", True)]


def test_an_admin_renames_an_outlet(client_for, admin_user):
    outlet = Outlet.objects.create(name="中餐厅")
    client = client_for(admin_user)
    url = reverse("admin:staff_outlet_change", args=[outlet.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"name": "粤菜厅", "kind": "restaurant", "is_active": "on", "rooms-TOTAL_FORMS": "0",
         "rooms-INITIAL_FORMS": "0", "rooms-MIN_NUM_FORMS": "0", "rooms-MAX_NUM_FORMS": "1000"},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:800]
    outlet.refresh_from_db()
    assert outlet.name == "粤菜厅"


def test_an_admin_changes_a_table(client_for, admin_user):
    room = Room.objects.create(outlet=Outlet.objects.create(name="中餐厅"), name="8 号桌", is_private=False)
    client = client_for(admin_user)
    url = reverse("admin:staff_room_change", args=[room.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"outlet": room.outlet_id, "name": "8 号桌", "seats": "6", "is_active": "on"})
    assert response.status_code == 302, response.content[:800]
    room.refresh_from_db()
    assert room.seats == 6


def test_an_admin_adds_a_staff_member_then_gives_them_a_role_and_outlets(client_for, admin_user):
    outlet = Outlet.objects.create(name="中餐厅")
    client = client_for(admin_user)
    response = client.post(
        reverse("admin:staff_user_add"),
        {"username": "xiaoli", "usable_password": "true", "password1": "Xiaoli-pw-2026", "password2": "Xiaoli-pw-2026"},
    )
    assert response.status_code == 302, response.content[:800]
    new = User.objects.get(username="xiaoli")
    response = client.post(
        reverse("admin:staff_user_change", args=[new.pk]),
        user_form(new, last_name="李", groups=[role(roles.WAITER)], outlets=[str(outlet.pk)]),
    )
    assert response.status_code == 302, response.content[:800]
    new.refresh_from_db()
    assert list(new.groups.values_list("name", flat=True)) == [roles.WAITER]
    assert list(new.outlets.all()) == [outlet]
    assert new.check_password("Xiaoli-pw-2026") and not new.is_staff


def test_giving_someone_the_admin_role_gives_them_staff_status(client_for, superuser, waiter):
    response = client_for(superuser).post(
        reverse("admin:staff_user_change", args=[waiter.pk]), user_form(waiter, groups=[role(roles.ADMIN)])
    )
    assert response.status_code == 302, response.content[:800]
    waiter.refresh_from_db()
    assert waiter.is_staff
    waiter.refresh_from_db()
    assert client_for(waiter).get(reverse("admin:index")).status_code == 200


def test_taking_the_admin_role_away_takes_staff_status_away(client_for, superuser):
    other = make_user("admin2", roles.ADMIN, is_staff=True)
    response = client_for(superuser).post(
        reverse("admin:staff_user_change", args=[other.pk]),
        user_form(other, is_staff="on", groups=[role(roles.MANAGER)]),
    )
    assert response.status_code == 302, response.content[:800]
    other.refresh_from_db()
    assert not other.is_staff
    assert list(other.groups.values_list("name", flat=True)) == [roles.MANAGER]


def test_a_superuser_keeps_staff_status_without_the_admin_role(client_for, superuser):
    other = make_user("root2", None, is_staff=True, is_superuser=True)
    response = client_for(superuser).post(
        reverse("admin:staff_user_change", args=[other.pk]),
        user_form(other, is_staff="on", is_superuser="on", groups=[role(roles.MANAGER)]),
    )
    assert response.status_code == 302, response.content[:800]
    other.refresh_from_db()
    assert other.is_staff and other.is_superuser


def test_an_admin_giving_the_waiter_role_gives_no_staff_status(client_for, admin_user, front_desk):
    response = client_for(admin_user).post(
        reverse("admin:staff_user_change", args=[front_desk.pk]), user_form(front_desk, groups=[role(roles.WAITER)])
    )
    assert response.status_code == 302, response.content[:800]
    front_desk.refresh_from_db()
    assert not front_desk.is_staff


def review_settings_form(**extra) -> dict:
    data = {"a_threshold": "100000", "b_threshold": "20000", "at_risk_days": "60", "lost_days": "180",
            "growth_percent": "30", "decline_percent": "30", "period_months": "2", "retention_years": "3"}  # fmt: skip
    data.update(extra)
    return data


def test_the_tier_thresholds_open_on_a_fresh_database_and_an_admin_changes_them(client_for, admin_user):
    ReviewSettings.objects.all().delete()
    client = client_for(admin_user)
    listing = client.get(reverse("admin:reports_reviewsettings_changelist"))
    assert listing.status_code == 302
    assert client.get(listing.url).status_code == 200
    response = client.post(listing.url, review_settings_form(a_threshold="150000", b_threshold="30000"))
    assert response.status_code == 302, response.content[:800]
    current = ReviewSettings.current()
    assert (current.a_threshold, current.b_threshold) == (Decimal("150000"), Decimal("30000"))
    assert ReviewSettings.objects.count() == 1


def test_the_review_settings_refuse_a_b_threshold_read_as_a_wrong_number(client_for, admin_user):
    url = reverse("admin:reports_reviewsettings_change", args=[ReviewSettings.current().pk])
    response = client_for(admin_user).post(url, review_settings_form(b_threshold="二万"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert ReviewSettings.current().b_threshold == Decimal("20000")


def rule_settings_form(**extra) -> dict:
    data = {"greeting_lead_days": "3", "courtesy_call_days": "10", "win_back_days": "60", "holiday_lead_days": "3",
            "satisfaction_check_days": "2", "banquet_party_size": "20", "hotel_name": ""}  # fmt: skip
    data.update(extra)
    return data


def test_the_greeting_signature_opens_on_a_fresh_database_and_an_admin_sets_it(client_for, admin_user):
    RuleSettings.objects.all().delete()
    client = client_for(admin_user)
    listing = client.get(reverse("admin:followups_rulesettings_changelist"))
    assert listing.status_code == 302
    page = client.get(listing.url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Signature in greetings" in page.content.decode()
    response = client.post(listing.url, rule_settings_form(hotel_name="北京饭店中餐厅", courtesy_call_days="7"))
    assert response.status_code == 302, response.content[:800]
    current = RuleSettings.current()
    assert (current.hotel_name, current.courtesy_call_days) == ("北京饭店中餐厅", 7)


@pytest.mark.parametrize("name", ["admin:followups_rulesettings_changelist", "admin:reports_reviewsettings_changelist"])
def test_a_manager_given_staff_status_cannot_create_nor_change_the_settings(client_for, manager, name):
    RuleSettings.objects.all().delete()
    ReviewSettings.objects.all().delete()
    manager.is_staff = True
    manager.save()
    assert client_for(manager).get(reverse(name)).status_code == 403
    assert not RuleSettings.objects.exists() and not ReviewSettings.objects.exists()


def test_an_admin_changes_a_message_template(client_for, admin_user):
    template, _created = MessageTemplate.objects.get_or_create(
        occasion="birthday", language="en", defaults={"subject": "Hi", "body": "{honorific}"}
    )
    client = client_for(admin_user)
    url = reverse("admin:followups_messagetemplate_change", args=[template.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"occasion": "birthday", "language": "en", "subject": "Happy birthday", "body": "Dear {honorific}"}
    )
    assert response.status_code == 302, response.content[:800]
    template.refresh_from_db()
    assert template.body == "Dear {honorific}"


def test_an_admin_adds_a_holiday(client_for, admin_user):
    response = client_for(admin_user).post(
        reverse("admin:followups_holiday_add"),
        {"name": "酒店周年庆", "calendar": "solar", "month": "9", "day": "18", "is_active": "on"},
    )
    assert response.status_code == 302, response.content[:800]
    assert Holiday.objects.filter(name="酒店周年庆", month=9, day=18).exists()
