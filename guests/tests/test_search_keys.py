"""The lookup's search keys on PostgreSQL: kept by the database, and answering exactly as the plain indexes do."""

import datetime
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guests import searchkeys, selectors
from guests.demo import GuestFaker
from guests.models import Guest, GuestSearchKey
from guests.pinyin import COMPOUND_SURNAMES
from guests.selectors import guest_search
from guests.services import guest_quick_add, guest_update
from guests.tests.factories import GuestFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("postgresql"),  # the search keys exist on PostgreSQL only
]


def keys_of(guest) -> set[str]:
    return set(GuestSearchKey.objects.filter(guest=guest).values_list("key", flat=True))


def ranks_of(guest) -> set[tuple]:
    return set(GuestSearchKey.objects.filter(guest=guest).values_list("tier", "last_seen_at").distinct())


def test_a_new_guest_gets_the_short_prefixes_of_name_honorific_company_and_pinyin():
    guest = GuestFactory(name="张伟明", honorific="张总", company="华信科技有限公司")

    assert keys_of(guest) == {
        "h张", "h张伟", "h张伟明", "h张总", "h华", "h华信", "h华信科", "h华信科技",
        "l" + "z", "lzh", "lzha", "lzhan", "lzhang", "lzhangw", "lzhangwe", "lzhangwei", "lzw", "lzwm",
    }  # fmt: skip


def test_a_transliterated_name_is_keyed_also_without_its_dot():
    guest = GuestFactory(name="扎西·次仁", honorific="", company="")

    assert {"u扎", "u扎西", "u扎西次", "u扎西次仁", "h扎西·次"} <= keys_of(guest)


def test_a_surname_alone_is_a_key_when_a_surname_alone_is_a_query():
    single = guest_quick_add(actor=None, surname="李", honorific="", mobile="13900000001")
    compound = guest_quick_add(actor=None, surname="欧阳", honorific="", mobile="13900000002")

    assert "h李" in keys_of(single)
    assert "h欧阳" in keys_of(compound)


@pytest.mark.parametrize("surname", sorted(COMPOUND_SURNAMES))
def test_every_compound_surname_alone_finds_its_guest(surname):
    guest = guest_quick_add(actor=None, surname=surname, honorific="", mobile="13900000003")

    assert [g.pk for g in guest_search(query=surname)] == [guest.pk]


def test_renaming_a_guest_replaces_its_keys_in_the_same_transaction():
    guest = GuestFactory(name="张伟", honorific="张总", company="")

    guest_update(guest=guest, actor=None, fields={"name": "李娜", "surname": "李", "honorific": "李总"})

    keys = keys_of(guest)
    assert "h李娜" in keys and "lli" in keys
    assert not {key for key in keys if key.startswith(("h张", "lzh"))}
    assert [g.pk for g in guest_search(query="张")] == []
    assert [g.pk for g in guest_search(query="李")] == [guest.pk]


def test_a_change_of_tier_or_of_last_seen_moves_every_key_with_it():
    guest = GuestFactory(name="张伟", tier="C")
    seen = timezone.now() + datetime.timedelta(days=1)

    Guest.objects.filter(pk=guest.pk).update(tier="A", last_seen_at=seen)

    assert ranks_of(guest) == {("A", seen)}


def test_a_deleted_or_truncated_guest_leaves_no_keys():
    kept, gone = GuestFactory(name="张伟"), GuestFactory(name="张丽")

    Guest.objects.filter(pk=gone.pk).delete()
    assert not keys_of(gone) and keys_of(kept)

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # Django's foreign keys wait for commit otherwise
        cursor.execute("TRUNCATE guests_guest CASCADE")
    assert not GuestSearchKey.objects.exists()


def test_an_anonymised_guest_keeps_no_key_of_its_name():
    guest = GuestFactory(name="张伟", honorific="张总", company="华信")

    Guest.objects.filter(pk=guest.pk).update(
        name="", honorific="", company="", surname="", name_pinyin="", name_initials="", anonymised_at=timezone.now()
    )

    assert keys_of(guest) == set()


def test_a_recorded_visit_brings_the_guest_to_the_top_of_its_tier():
    older, newer = GuestFactory(name="张伟", tier="B"), GuestFactory(name="张丽", tier="B")
    assert [g.pk for g in guest_search(query="张")] == [newer.pk, older.pk]

    Guest.objects.filter(pk=older.pk).update(last_seen_at=timezone.now() + datetime.timedelta(hours=1))

    assert [g.pk for g in guest_search(query="张")] == [older.pk, newer.pk]


def test_a_short_prefix_is_one_statement_on_the_keys_and_a_long_one_uses_the_plain_indexes():
    GuestFactory(name="张伟明", company="中国工商银行北京分行")

    with CaptureQueriesContext(connection) as short:
        assert guest_search(query="张伟")
    with CaptureQueriesContext(connection) as long:
        assert guest_search(query="中国工商银行")

    assert len(short) == 1 and searchkeys.TABLE in short[0]["sql"]
    assert len(long) == 1 and searchkeys.TABLE not in long[0]["sql"]


def test_the_rebuild_makes_the_same_keys_the_triggers_keep():
    for _ in range(20):
        GuestFactory(**{k: v for k, v in GuestFaker(seed=7).person().items() if k in ("name", "honorific", "company")})
    kept = set(GuestSearchKey.objects.values_list("guest_id", "key", "tier", "last_seen_at"))

    with connection.cursor() as cursor:
        count = searchkeys.rebuild(cursor)

    assert count == len(kept)
    assert set(GuestSearchKey.objects.values_list("guest_id", "key", "tier", "last_seen_at")) == kept


def test_the_command_rebuilds_lost_keys(capsys):
    guest = GuestFactory(name="张伟")
    GuestSearchKey.objects.filter(guest=guest).delete()
    assert guest_search(query="张") == []

    call_command("refresh_search_keys", "--prefixes")

    assert [g.pk for g in guest_search(query="张")] == [guest.pk]
    assert "Prefix table rebuilt" in capsys.readouterr().out


def queries_for(guest: Guest) -> set[str]:
    texts = set()
    for value in (guest.name, guest.honorific, guest.company, guest.surname):
        texts.update(value[:n] for n in range(1, min(len(value), 6) + 1))
    for value in (guest.name_pinyin, guest.name_initials):
        texts.update(value[:n] for n in range(1, min(len(value), 10) + 1))
    texts.add(guest.name_pinyin.upper())
    return texts


def test_the_keys_and_the_written_out_pages_answer_exactly_as_the_querysets_do(monkeypatch):
    faker, rng = GuestFaker(seed=11), random.Random(11)
    start = timezone.now() - datetime.timedelta(days=400)
    guests = []
    for n in range(150):
        person = faker.person()
        fields = {k: person[k] for k in ("name", "honorific", "company", "tier")}
        fields["mobile"] = f"139{n:08d}"
        guests.append(GuestFactory(**fields))
    guests.append(GuestFactory(name="扎西·次仁", honorific="扎西先生", company="", mobile="13800000001"))
    guests.append(guest_quick_add(actor=None, surname="欧阳", honorific="欧阳总", mobile="13800000002"))
    for guest in guests:  # ties in tier, spread in recency, as a real archive has them
        seen = start + datetime.timedelta(days=rng.randrange(400))
        Guest.objects.filter(pk=guest.pk).update(last_seen_at=seen)
    queries = set().union(*(queries_for(Guest.objects.get(pk=g.pk)) for g in guests))
    queries |= {"扎西次", "扎西次仁", "扎西.次仁", "扎西・次", "欧阳", "欧", "张 伟", "ZW", "zh ang"}
    for guest in guests[:40]:  # phones and card numbers: written out too, and answered alike
        queries |= {guest.mobile, guest.mobile[-4:], guest.mobile[-6:], "+86 " + guest.mobile, guest.card_no,
                    guest.card_no[:-1].lower()}  # fmt: skip

    def page(query):
        return [g.pk for g in guest_search(query=query, limit=20)]

    keyed = {query: page(query) for query in sorted(queries)}
    through_keys = [query for query in queries if selectors.guest_search_keys(query) is not None]
    monkeypatch.setattr(selectors, "guest_search_keys", lambda query: None)
    monkeypatch.setattr(selectors, "_plain_page_sql", lambda query, limit: None)  # the queryset, as on SQLite
    plain = {query: page(query) for query in sorted(queries)}

    assert len(through_keys) > 300 and len(queries) - len(through_keys) > 50
    assert sum(1 for query in queries if keyed[query]) > 0.9 * len(queries)
    assert keyed == plain
