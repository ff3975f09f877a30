import datetime

import pytest
from django.utils import timezone, translation

from guests.models import Guest
from guests.selectors import guest_duplicates, guest_search
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db


def found(query):
    return [g.card_no for g in guest_search(query=query)]


@pytest.fixture
def archive():
    return {
        "zhangwei": GuestFactory(name="张伟", honorific="张总", mobile="13812345678", company="华信科技有限公司"),
        "zhangli": GuestFactory(name="张丽", honorific="张经理", mobile="13900001111", company="恒通实业"),
        "ouyang": GuestFactory(name="欧阳修", honorific="欧阳局", mobile="13700002222", company="市财政局"),
        "shan": GuestFactory(name="单田芳", honorific="单老师", mobile="13600003333", company="评书艺术团"),
        "zeng": GuestFactory(name="曾国藩", honorific="曾总", mobile="13500004444", company="湘军集团"),
        "qiu": GuestFactory(name="仇英", honorific="仇先生", mobile="13400005555", company="画院"),
        "wang": GuestFactory(name="王芳", honorific="王女士", mobile="13300005678", company="华信科技有限公司"),
    }


def test_it_finds_guest_by_surname(archive):
    assert set(found("张")) == {archive["zhangwei"].card_no, archive["zhangli"].card_no}


def test_it_finds_guest_by_full_name(archive):
    assert found("张伟") == [archive["zhangwei"].card_no]


def test_it_finds_guest_by_honorific(archive):
    assert found("张总") == [archive["zhangwei"].card_no]


def test_it_finds_guest_by_compound_surname(archive):
    assert found("欧阳") == [archive["ouyang"].card_no]


def test_it_finds_guest_by_full_pinyin(archive):
    assert found("zhangwei") == [archive["zhangwei"].card_no]
    assert set(found("zhang")) == {archive["zhangwei"].card_no, archive["zhangli"].card_no}


def test_it_finds_guest_by_pinyin_initials(archive):
    assert found("zw") == [archive["zhangwei"].card_no]
    assert found("oyx") == [archive["ouyang"].card_no]


def test_pinyin_is_case_and_space_insensitive(archive):
    assert found("Zhang Wei") == [archive["zhangwei"].card_no]


@pytest.mark.parametrize(("query", "key"), [("shan", "shan"), ("stf", "shan"), ("zeng", "zeng"), ("qiu", "qiu")])
def test_polyphonic_surnames_follow_the_surname_reading(archive, query, key):
    assert found(query) == [archive[key].card_no]


@pytest.mark.parametrize("query", ["dan", "ceng", "chou"])
def test_everyday_readings_of_polyphonic_surnames_do_not_match(archive, query):
    assert found(query) == []


def test_it_finds_guest_by_full_mobile(archive):
    assert found("13812345678") == [archive["zhangwei"].card_no]
    assert found("138 1234 5678") == [archive["zhangwei"].card_no]
    assert found("+86 138-1234-5678") == [archive["zhangwei"].card_no]


def test_it_finds_guest_by_last_four_digits_of_mobile(archive):
    assert set(found("5678")) == {archive["zhangwei"].card_no, archive["wang"].card_no}


def test_it_finds_guest_by_company(archive):
    assert set(found("华信")) == {archive["zhangwei"].card_no, archive["wang"].card_no}


def test_it_finds_guest_by_card_number(archive):
    card = archive["qiu"].card_no
    assert found(card.lower()) == [card]


def test_a_quick_added_guest_without_a_full_name_is_found_by_surname_and_honorific():
    guest = GuestFactory(name="", surname="司马", honorific="司马总", mobile="13100001234", company="")
    assert found("司马") == [guest.card_no]
    assert found("司马总") == [guest.card_no]
    assert found("sima") == [guest.card_no]


def test_results_are_ordered_by_tier_then_most_recent(archive):
    now = timezone.now()
    Guest.objects.filter(pk=archive["zhangli"].pk).update(tier="A", last_seen_at=now - datetime.timedelta(days=30))
    Guest.objects.filter(pk=archive["zhangwei"].pk).update(tier="B", last_seen_at=now)
    extra = GuestFactory(name="张强", mobile="13000000001", tier="B")
    Guest.objects.filter(pk=extra.pk).update(last_seen_at=now - datetime.timedelta(days=1))
    assert found("zhang") == [archive["zhangli"].card_no, archive["zhangwei"].card_no, extra.card_no]


def test_lookup_returns_at_most_one_page(settings):
    settings.GUEST_LOOKUP_LIMIT = 5
    for i in range(8):
        GuestFactory(name=f"李{'一二三四五六七八'[i]}", mobile=f"1390000{i:04d}")
    assert len(found("李")) == 5


@pytest.mark.parametrize("query", ["", "   ", "12", "%", "_"])
def test_empty_or_meaningless_queries_find_nothing(archive, query):
    assert found(query) == []


def test_like_wildcards_are_taken_literally(archive):
    assert found("张%") == []


def test_anonymised_guests_are_not_found(archive, manager):
    from guests.services import guest_anonymise

    guest_anonymise(guest=archive["qiu"], actor=manager, reason="guest_request")
    assert found("仇") == []
    assert found("5555") == []


def test_duplicates_match_on_mobile_or_on_name_and_company(archive):
    assert list(guest_duplicates(mobile="138 1234 5678", name="", company="")) == [archive["zhangwei"]]
    assert list(guest_duplicates(mobile="", name="王芳", company="华信科技有限公司")) == [archive["wang"]]
    assert list(guest_duplicates(mobile="", name="王芳", company="别的公司")) == []


def test_history_reads_like_a_person_wrote_it(manager):
    from guests.selectors import guest_history
    from guests.services import guest_update

    guest = GuestFactory(name="张伟", org_type="company")
    guest_update(guest=guest, actor=manager, fields={"org_type": "government", "owner": manager, "smoking": "no"})
    with translation.override("en"):
        change = guest_history(guest=guest)[0]
        fields = {str(label): (str(old), str(new)) for label, old, new in change.fields}
    assert change.user == manager
    assert fields["organisation type"] == ("Company / institution", "Government body")
    assert fields["owner"] == ("", str(manager))
    assert fields["smoking"] == ("", "Does not smoke")
