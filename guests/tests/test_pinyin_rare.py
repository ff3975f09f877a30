"""Names the common tables miss: surnames outside the Basic Multilingual Plane, compatibility
ideographs, and the transliterated names of China's minorities written with a middle dot."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from followups.greetings import language_for
from guests.models import Guest
from guests.pinyin import HAN, search_keys, split_name
from guests.services import guest_refresh_search_keys
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db

AYIGULI = "阿依古丽·买买提"


def lookup(client, query):
    """Card numbers the lookup page lists for a query, in its order."""
    response = client.get(reverse("guests:lookup"), {"q": query})
    assert response.status_code == 200
    return [guest.card_no for guest in response.context["results"]]


@pytest.mark.parametrize("char", ["𠀾", "𡈼", "𨭉", "𪚥", "\U00030000", "\U0002f800", "\uf900", "㐀", "张"])
def test_ideographs_of_every_plane_count_as_han(char):
    assert HAN.fullmatch(char)


@pytest.mark.parametrize(("name", "parts"), [("𠀾三", ("𠀾", "三")), ("𨭉伟", ("𨭉", "伟")), ("𡈼", ("𡈼", ""))])
def test_a_surname_outside_the_basic_plane_is_kept_as_the_surname(name, parts):
    assert split_name(name) == parts


def test_a_surname_pypinyin_cannot_read_stays_in_the_name_and_the_keys_skip_it():
    assert search_keys("𠀾三") == ("san", "s")
    assert search_keys("𠀾") == ("", "")
    assert search_keys("𠀾𠀾明", "𠀾𠀾") == ("ming", "m")


def test_a_readable_rare_surname_gets_its_reading():
    assert search_keys("𨭉伟") == ("banwei", "bw")


def test_a_compatibility_ideograph_is_read_as_its_unified_twin():
    assert search_keys("\uf900三") == ("qisan", "qs")  # U+F900 is 豈


def test_the_guest_record_keeps_a_surname_outside_the_basic_plane():
    guest = GuestFactory(name="𠀾三", honorific="三哥")
    guest.refresh_from_db()
    assert guest.surname == "𠀾"
    assert (guest.name_pinyin, guest.name_initials) == ("san", "s")


def test_the_lookup_finds_a_guest_by_a_surname_outside_the_basic_plane(client_for, front_desk):
    rare = GuestFactory(name="𠀾三", honorific="三哥")
    GuestFactory(name="𠀾", honorific="老𠀾")  # found as well: 𠀾 is their name
    other = GuestFactory(name="张三", honorific="张总")
    client = client_for(front_desk)
    found = lookup(client, "𠀾")
    assert rare.card_no in found and other.card_no not in found
    assert lookup(client, "𠀾三") == [rare.card_no]
    assert lookup(client, "san") == [rare.card_no]


def test_a_guest_named_only_by_a_rare_character_is_greeted_in_chinese():
    assert language_for(Guest(name="𠀾")) == "zh-hans"


@pytest.mark.parametrize(
    "name", [AYIGULI, "阿依古丽•买买提", "阿依古丽‧买买提", "阿依古丽・买买提", "阿依古丽･买买提", "阿依古丽 · 买买提"]
)
def test_a_name_with_a_middle_dot_has_no_han_surname(name):
    assert split_name(name) == ("", name)
    assert search_keys(name) == ("ayigulimaimaiti", "ayglmmt")


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("帕尔哈提·吐尔逊", ("paerhatituerxun", "pehttex")),
        ("扎西·次仁", ("zhaxiciren", "zxcr")),
        ("查干·巴特尔", ("chaganbateer", "cgbte")),  # 查 read as in ordinary words, not as the surname Zha
    ],
)
def test_a_transliterated_name_is_read_as_it_sounds(name, keys):
    assert search_keys(name) == keys
    assert search_keys(name, name[:1]) == keys  # a surname guessed by an older version is ignored


@pytest.fixture
def ayiguli():
    return GuestFactory(name=AYIGULI, honorific="", mobile="13999990001", company="喀什丝路商贸")


@pytest.mark.parametrize(
    "query",
    ["阿依古丽", AYIGULI, "阿依古丽买买提", "阿依古丽•买买提", "ayiguli", "ayigulimaimaiti", "aygl", "ayglmmt"],
)
def test_the_lookup_finds_a_minority_name_as_the_front_desk_types_it(client_for, front_desk, ayiguli, query):
    GuestFactory(name="阿明", honorific="阿总", mobile="13999990002")
    assert lookup(client_for(front_desk), query) == [ayiguli.card_no]


def test_the_lookup_finds_tashi_tsering_without_the_dot(client_for, front_desk):
    tashi = GuestFactory(name="扎西·次仁", honorific="扎西先生")
    GuestFactory(name="扎西", honorific="扎总")
    client = client_for(front_desk)
    assert lookup(client, "扎西次仁") == [tashi.card_no]
    assert lookup(client, "zxcr") == [tashi.card_no]


def test_a_minority_guest_is_greeted_by_the_honorific_else_by_the_full_name(ayiguli):
    assert ayiguli.surname == ""
    assert ayiguli.greeting == AYIGULI


def test_refreshing_the_keys_fixes_records_saved_by_an_older_version():
    rare = GuestFactory(name="𠀾三", honorific="三哥")
    dotted = GuestFactory(name="帕尔哈提·吐尔逊", honorific="")
    chosen = GuestFactory(name="王小明", surname="王", honorific="王总")
    # What the older version stored: 𠀾 dropped, the first character of a dotted name taken as a surname.
    Guest.objects.filter(pk=rare.pk).update(surname="", name_pinyin="san", name_initials="s")
    Guest.objects.filter(pk=dotted.pk).update(surname="帕", name_pinyin="x", name_initials="x")

    assert guest_refresh_search_keys(guest_ids=[rare.pk, dotted.pk, chosen.pk]) == 2

    rows = {g.pk: (g.surname, g.name_pinyin, g.name_initials) for g in Guest.objects.all()}
    assert rows[rare.pk] == ("𠀾", "san", "s")
    assert rows[dotted.pk] == ("", "paerhatituerxun", "pehttex")
    assert rows[chosen.pk] == ("王", "wangxiaoming", "wxm")


def test_the_refresh_command_rewrites_old_keys(capsys):
    dotted = GuestFactory(name="扎西·次仁", honorific="")
    Guest.objects.filter(pk=dotted.pk).update(surname="扎", name_pinyin="", name_initials="")
    call_command("refresh_search_keys")
    dotted.refresh_from_db()
    assert (dotted.surname, dotted.name_pinyin, dotted.name_initials) == ("", "zhaxiciren", "zxcr")
    assert "for 1 guest" in capsys.readouterr().out
