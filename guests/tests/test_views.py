import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guests.models import Guest, RelatedPerson
from guests.services import MAX_RELATED_PEOPLE, guest_update, related_person_add
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db

SECRET = "董事长的私人事务，切勿外传"


def form_data(**overrides):
    data = {
        "name": "张伟",
        "honorific": "张总",
        "mobile": "13812345678",
        "source": "walk_in",
        "people-TOTAL_FORMS": "1",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "10",
        "people-0-relation": "other",
    }
    data.update(overrides)
    return data


def test_front_desk_creates_a_guest_with_a_related_person(client_for, front_desk):
    data = form_data(**{"people-0-name": "小李", "people-0-relation": "driver", "people-0-phone": "13700000000"})
    response = client_for(front_desk).post(reverse("guests:create"), data)
    guest = Guest.objects.get()
    assert response.status_code == 302 and response.url == reverse("guests:profile", args=[guest.pk])
    assert guest.created_by == front_desk and guest.surname == "张"
    assert RelatedPerson.objects.get().guest == guest


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mobile": "1381234"}, "11 digits"),
        ({"birth_month": "2", "birth_day": "30"}, "no day 30"),
        ({"birth_year": "2999", "birth_month": "1", "birth_day": "1"}, "between 1900 and this year"),
        ({"name": "张" * 41}, "at most 40 characters"),
        ({"landline": "abc"}, "telephone number"),
        ({"referred_by_card": "KS999999"}, "No guest has the card number KS999999"),
    ],
)
def test_bad_input_shows_what_is_wrong_and_saves_nothing(client_for, front_desk, overrides, message):
    client = client_for(front_desk)
    response = client.post(reverse("guests:create"), form_data(**overrides), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Guest.objects.count() == 0


def test_a_duplicate_card_number_is_refused(client_for, manager):
    existing = GuestFactory()
    response = client_for(manager).post(
        reverse("guests:create"),
        form_data(card_no=existing.card_no, mobile="13000000000"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "This card number is already used by another guest." in response.content.decode()
    assert Guest.objects.count() == 1


def test_errors_speak_chinese_to_a_chinese_browser(client_for, front_desk):
    response = client_for(front_desk).post(
        reverse("guests:create"), form_data(mobile="123"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"
    )
    assert "请输入以1开头的11位手机号" in response.content.decode()


def test_creating_a_guest_with_a_known_mobile_warns_and_links_to_them(client_for, front_desk):
    existing = GuestFactory(mobile="13812345678")
    client = client_for(front_desk)
    response = client.post(reverse("guests:create"), form_data(name="张薇"))
    assert response.status_code == 200
    assert reverse("guests:profile", args=[existing.pk]) in response.content.decode()
    assert Guest.objects.count() == 1
    response = client.post(reverse("guests:create"), form_data(name="张薇", confirm_duplicate="on"))
    assert response.status_code == 302 and Guest.objects.count() == 2


def test_creating_a_guest_with_a_known_name_and_company_warns(client_for, front_desk):
    GuestFactory(name="王芳", company="恒通实业", mobile="13900000000")
    response = client_for(front_desk).post(
        reverse("guests:create"), form_data(name="王芳", company="恒通实业", mobile="13911111111")
    )
    assert response.context["duplicates"] and Guest.objects.count() == 1


def test_quick_add_at_the_door(client_for, front_desk):
    response = client_for(front_desk).post(
        reverse("guests:quick_add"), {"surname": "单", "honorific": "单总", "mobile": "139 0000 1234"}
    )
    guest = Guest.objects.get()
    assert response.url == reverse("guests:profile", args=[guest.pk])
    assert (guest.greeting, guest.mobile, guest.name_pinyin) == ("单总", "13900001234", "shan")


def test_quick_add_warns_about_a_known_mobile(client_for, front_desk):
    GuestFactory(mobile="13900001234")
    response = client_for(front_desk).post(
        reverse("guests:quick_add"), {"surname": "单", "honorific": "单总", "mobile": "13900001234"}
    )
    assert response.status_code == 200 and response.context["duplicates"]


def test_live_lookup_returns_only_the_results_fragment(client_for, front_desk):
    GuestFactory(name="张伟", honorific="张总")
    response = client_for(front_desk).get(reverse("guests:lookup"), {"q": "zw"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "张总" in body and "<html" not in body


def test_waiter_edits_preferences_only(client_for, waiter):
    guest = GuestFactory(mobile="13812345678")
    client = client_for(waiter)
    page = client.get(reverse("guests:edit", args=[guest.pk])).content.decode()
    assert 'name="taboos"' in page and 'name="mobile"' not in page
    client.post(reverse("guests:edit", args=[guest.pk]), {"taboos": "不吃香菜", "mobile": "13000000000"})
    guest.refresh_from_db()
    assert guest.taboos == "不吃香菜" and guest.mobile == "13812345678"


def test_front_desk_edit_keeps_the_confidential_notes(client_for, front_desk, manager):
    guest = GuestFactory()
    guest_update(guest=guest, actor=manager, fields={"confidential_notes": SECRET})
    data = form_data(name="张伟", mobile=guest.mobile, company="新公司")
    response = client_for(front_desk).post(reverse("guests:edit", args=[guest.pk]), data)
    assert response.status_code == 302
    guest.refresh_from_db()
    assert guest.company == "新公司" and guest.confidential_notes == SECRET


@pytest.fixture
def secret_guest(manager):
    guest = GuestFactory(name="张伟", honorific="张总")
    guest_update(guest=guest, actor=manager, fields={"confidential_notes": SECRET})
    return guest


@pytest.mark.parametrize("role", ["front_desk", "waiter"])
def test_confidential_notes_never_reach_front_desk_or_waiter(request, client_for, secret_guest, role):
    client = client_for(request.getfixturevalue(role))
    urls = [
        reverse("guests:profile", args=[secret_guest.pk]),
        reverse("guests:edit", args=[secret_guest.pk]),
        reverse("guests:lookup") + "?q=zw",
        reverse("guests:history", args=[secret_guest.pk]),
    ]
    for url in urls:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            assert SECRET not in client.get(url, **headers).content.decode(), url
    bad_post = client.post(reverse("guests:edit", args=[secret_guest.pk]), {"mobile": "bad"})
    assert SECRET not in bad_post.content.decode()


def test_manager_sees_confidential_notes_and_history(client_for, manager, secret_guest):
    body = client_for(manager).get(reverse("guests:profile", args=[secret_guest.pk])).content.decode()
    assert SECRET in body and 'data-testid="history"' in body


def profile_queries(client, guest) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("guests:profile", args=[guest.pk])).status_code == 200
    return len(queries)


def test_profile_query_count_does_not_grow_with_history(client_for, manager):
    guest = GuestFactory()
    client = client_for(manager)
    profile_queries(client, guest)
    short = profile_queries(client, guest)
    for i in range(30):
        guest_update(guest=guest, actor=manager, fields={"notes": f"第{i}次"})
        if i < MAX_RELATED_PEOPLE:  # as many as a guest may have
            related_person_add(guest=guest, actor=manager, name=f"秘书{i}", relation="secretary")
    assert profile_queries(client, guest) == short <= 16


def test_manager_merges_a_duplicate_after_confirming(client_for, manager):
    keep, other = GuestFactory(mobile="13800000001"), GuestFactory(mobile="13800000002")
    client = client_for(manager)
    url = reverse("guests:merge", args=[keep.pk])
    response = client.post(url, {"other_card": other.card_no.lower()})
    assert response.context["other"] == other and Guest.objects.count() == 2
    response = client.post(url, {"other_card": other.card_no, "confirm": "on"})
    assert response.url == reverse("guests:profile", args=[keep.pk])
    assert list(Guest.objects.all()) == [keep]


def test_manager_anonymises_after_typing_the_card_number(client_for, manager):
    guest = GuestFactory()
    client = client_for(manager)
    url = reverse("guests:anonymise", args=[guest.pk])
    client.post(url, {"reason": "guest_request", "card_no": "KS000000"})
    guest.refresh_from_db()
    assert not guest.is_anonymised
    client.post(url, {"reason": "guest_request", "card_no": guest.card_no})
    guest.refresh_from_db()
    assert guest.is_anonymised and guest.name == ""
