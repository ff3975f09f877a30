"""The admins' setup page: what is still unset before the first day, each with the screen that fixes
it, what is done, and a "ready" state once everything is; the sender and the mail as configured,
secrets only as "set" or "not set"."""

import re
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from conftest import make_user
from followups.models import RuleSettings
from reports.models import ReviewSettings
from staff import roles
from staff.models import Outlet, Room

pytestmark = pytest.mark.django_db

URL = "/staff/setup/"
ITEMS = ("outlet", "room", "manager", "signature", "sms", "mail", "tiers")
EVERYTHING_CONFIGURED = {
    "KESHI_SMS_SENDER": "followups.senders.HttpSmsSender",
    "KESHI_SMS_URL": "https://sms.example.com/v1/messages?key=in-the-url-7781",
    "KESHI_SMS_TOKEN": "sms-token-secret-5512",
    "KESHI_SMS_SIGNATURE": "【北京饭店】",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "smtp.example.com",
    "EMAIL_PORT": 465,
    "EMAIL_HOST_USER": "keshi@example.com",
    "EMAIL_HOST_PASSWORD": "mail-password-secret-3390",
    "EMAIL_USE_SSL": True,
}


def states(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="setup-(\w+)" data-state="(\w+)"', page))


def item(page: str, key: str) -> str:
    """The HTML of one item of the list."""
    return re.search(rf'data-testid="setup-{key}".*?</li>', page, re.S).group()


def setup_page(client, **headers) -> str:
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en", **headers)
    assert response.status_code == 200
    return response.content.decode()


def set_everything_in_the_database():
    Room.objects.create(outlet=Outlet.objects.create(name="中餐厅"), name="牡丹厅")
    make_user("wang", roles.MANAGER)
    rules = RuleSettings.current()
    rules.hotel_name = "北京饭店中餐厅"
    rules.save()
    review = ReviewSettings.current()
    review.a_threshold = Decimal("120000")
    review.save()


def test_a_fresh_install_lists_everything_still_to_set_up_with_the_screen_that_fixes_it(client_for, admin_user):
    page = setup_page(client_for(admin_user))
    assert states(page) == dict.fromkeys(ITEMS, "todo")
    assert 'data-testid="setup-ready"' not in page
    assert reverse("admin:staff_outlet_add") in item(page, "outlet")
    assert reverse("admin:staff_user_changelist") in item(page, "manager")
    assert reverse("admin:followups_rulesettings_changelist") in item(page, "signature")
    assert reverse("admin:reports_reviewsettings_changelist") in item(page, "tiers")
    assert "followups.senders.LoggingSmsSender" in item(page, "sms")
    assert "locmem" in item(page, "mail")


def test_an_outlet_without_a_room_is_named_with_a_link_to_its_page(client_for, admin_user):
    Room.objects.create(outlet=Outlet.objects.create(name="中餐厅"), name="牡丹厅")
    bar = Outlet.objects.create(name="大堂吧")
    Room.objects.create(outlet=Outlet.objects.create(name="宴会厅"), name="旧厅", is_active=False)
    page = setup_page(client_for(admin_user))
    assert states(page)["outlet"] == "done" and states(page)["room"] == "todo"
    rooms = item(page, "room")
    assert "大堂吧" in rooms and "宴会厅" in rooms and "中餐厅" not in rooms
    assert reverse("admin:staff_outlet_change", args=[bar.pk]) in rooms


def test_a_manager_counts_only_while_their_account_is_active(client_for, admin_user):
    wang = make_user("wang", roles.MANAGER)
    client = client_for(admin_user)
    assert states(setup_page(client))["manager"] == "done"
    wang.is_active = False
    wang.save()
    assert states(setup_page(client))["manager"] == "todo"


def test_the_default_thresholds_count_as_set_once_an_admin_saved_them(client_for, admin_user):
    client = client_for(admin_user)
    assert states(setup_page(client))["tiers"] == "todo"
    review = ReviewSettings.current()
    url = reverse("admin:reports_reviewsettings_change", args=[review.pk])
    fields = {name: str(getattr(review, name)) for name in ("a_threshold", "b_threshold", "at_risk_days", "lost_days",
              "growth_percent", "decline_percent", "period_months", "retention_years")}  # fmt: skip
    assert client.post(url, fields).status_code == 302
    assert LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ReviewSettings), action_flag=CHANGE
    ).exists()
    assert states(setup_page(client))["tiers"] == "done"


def test_when_everything_is_set_the_page_says_ready_and_still_shows_what_was_done(client_for, admin_user, settings):
    set_everything_in_the_database()
    for name, value in EVERYTHING_CONFIGURED.items():
        setattr(settings, name, value)
    page = setup_page(client_for(admin_user))
    assert states(page) == dict.fromkeys(ITEMS, "done")
    assert 'data-testid="setup-ready"' in page
    assert "北京饭店中餐厅" in item(page, "signature")
    assert "smtp.example.com" in item(page, "mail") and "465" in item(page, "mail")
    assert "sms.example.com" in item(page, "sms")


def test_secrets_are_shown_as_set_never_their_value(client_for, admin_user, settings):
    for name, value in EVERYTHING_CONFIGURED.items():
        setattr(settings, name, value)
    page = setup_page(client_for(admin_user))
    for secret in ("sms-token-secret-5512", "mail-password-secret-3390", "in-the-url-7781"):
        assert secret not in page
    assert "Token: set" in item(page, "sms") and "Password: set" in item(page, "mail")


def test_the_http_sender_without_its_address_or_token_is_not_set_up(client_for, admin_user, settings):
    settings.KESHI_SMS_SENDER = "followups.senders.HttpSmsSender"
    settings.KESHI_SMS_URL = ""
    settings.KESHI_SMS_TOKEN = ""
    sms = item(setup_page(client_for(admin_user)), "sms")
    assert 'data-state="todo"' in sms and "Token: not set" in sms


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", ""])
def test_smtp_to_the_local_machine_is_not_a_mail_setup(client_for, admin_user, settings, host):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = host
    assert states(setup_page(client_for(admin_user)))["mail"] == "todo"


def test_the_page_is_in_chinese_for_a_chinese_browser(client_for, admin_user):
    response = client_for(admin_user).get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "还需设置" in response.content.decode()


@pytest.mark.parametrize("role", ["front_desk", "waiter", "manager"])
def test_other_roles_are_refused_and_see_nothing_of_the_setup(request, client_for, role, settings):
    settings.EMAIL_HOST = "smtp.internal-secret-host.example"
    user = request.getfixturevalue(role)
    user.is_staff = True
    user.save()
    response = client_for(user).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    page = response.content.decode()
    assert "internal-secret-host" not in page and "LoggingSmsSender" not in page and "setup-" not in page


def test_admins_find_the_setup_page_in_the_menu_and_others_do_not(client_for, admin_user, manager):
    lookup = reverse("guests:lookup")
    assert f'href="{URL}"' in client_for(admin_user).get(lookup).content.decode()
    assert f'href="{URL}"' not in client_for(manager).get(lookup).content.decode()


def test_the_setup_page_reads_a_handful_of_rows(client_for, admin_user, django_assert_max_num_queries):
    set_everything_in_the_database()
    client = client_for(admin_user)
    client.get(URL)
    with django_assert_max_num_queries(14):
        client.get(URL)
