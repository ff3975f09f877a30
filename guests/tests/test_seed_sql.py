"""bench/seed_sql.py: guests generated in PostgreSQL are the guests the services would have saved.

The bench's lookups are only worth their figures if the seeded search keys are the ones
guests.services keeps, so every row is checked against the Python functions."""

import collections
import datetime

import pytest
from django.db import connection

from bench import seed_sql
from guests import demo
from guests.models import Guest
from guests.pinyin import kept_surname, search_keys
from guests.services import card_no_next
from guests.validators import normalise_mobile, validate_mobile

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgresql"),  # the seed generates rows in PostgreSQL
]

COUNT = 2_000
NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)


def seeded(seed: int = 2026) -> list[Guest]:
    # Chunks of 300 on two connections: the chunks land in any order and the last one is short.
    seed_sql.seed(connection=connection, count=COUNT, seed=seed, log=lambda line: None, now=NOW, chunk=300)
    return list(Guest.objects.order_by("id"))


def fingerprint() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT md5(string_agg(g::text, '|' ORDER BY g.id)) FROM guests_guest g")
        return cursor.fetchone()[0]


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'guests_guest'")
        return {row[0] for row in cursor.fetchall()}


def test_every_seeded_guest_has_the_search_keys_the_services_would_compute():
    guests = seeded()

    assert len(guests) == COUNT
    for guest in guests:
        assert guest.surname == kept_surname(guest.name, guest.surname)
        assert (guest.name_pinyin, guest.name_initials) == search_keys(guest.name, guest.surname), guest.name
        assert guest.mobile == normalise_mobile(guest.mobile)
        assert guest.mobile_tail == guest.mobile[-4:]


def test_the_pools_keys_add_up_to_search_keys_for_every_surname_and_every_given_name():
    # Every surname (单, 曾, 尉迟 read as surnames) and every given name, not only those a seed happens to draw.
    surnames = {surname: keys for _slot, surname, *keys in seed_sql.surname_rows()}
    givens = [(given, keys) for _female, _slot, given, *keys in seed_sql.given_rows()]
    pairs = [(s, g) for i, s in enumerate(surnames) for g in givens[i :: len(givens) // 7][:8]]
    pairs += [(s, g) for i, g in enumerate(givens) for s in list(surnames)[i % 80 :][:3]]
    for surname, (given, (pinyin, initials)) in pairs:
        assert search_keys(surname + given, surname) == (surnames[surname][0] + pinyin, surnames[surname][1] + initials)


def test_mobiles_and_card_numbers_are_unique_and_well_formed():
    guests = seeded()

    assert len({g.mobile for g in guests}) == COUNT
    assert [g.card_no for g in guests] == [f"KS{g.id:06d}" for g in guests]
    for guest in guests:
        validate_mobile(guest.mobile)
        assert len(guest.mobile) == 11 and guest.mobile[0] == "1" and guest.mobile[1] in "3456789"


def test_card_numbers_past_a_million_keep_every_digit():
    ids = (7, 999_999, 1_000_000, 12_345_678)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {seed_sql.CARD_NO.format(id='r.id')} FROM unnest(%s::bigint[]) AS r(id)", [list(ids)])
        assert [row[0] for row in cursor.fetchall()] == [f"KS{i:06d}" for i in ids]


def test_the_guests_are_spread_as_guest_faker_spreads_them():
    guests = seeded()

    def share(values, value) -> float:
        return collections.Counter(values)[value] / COUNT

    tiers = [g.tier for g in guests]
    assert share(tiers, "A") == pytest.approx(0.08, abs=0.03)
    assert share(tiers, "B") == pytest.approx(0.27, abs=0.04)
    assert share(tiers, "C") == pytest.approx(0.65, abs=0.04)
    assert share([g.gender for g in guests], "F") == pytest.approx(0.35, abs=0.04)
    assert share([g.surname for g in guests], "王") == pytest.approx(72 / len(demo._SURNAME_POOL), abs=0.025)
    assert share([g.org_type for g in guests], "government") == pytest.approx(0.25, abs=0.04)
    assert share([len(g.name) - len(g.surname) for g in guests], 1) == pytest.approx(0.25, abs=0.04)
    assert share([g.last_visit_at is None for g in guests], False) == pytest.approx(0.7, abs=0.04)
    assert share([g.birth_month is None for g in guests], False) == pytest.approx(0.4, abs=0.04)
    assert share([g.greeting_consent for g in guests], True) == pytest.approx(0.6, abs=0.04)
    assert sum(bool(g.confidential_notes) for g in guests) == COUNT // 10
    surnames = {s for s, _weight in demo.SURNAMES}
    for guest in guests:
        chars = demo.GIVEN_CHARS_FEMALE if guest.gender == "F" else demo.GIVEN_CHARS_MALE
        titles = demo.HONORIFIC_TITLES_FEMALE if guest.gender == "F" else demo.HONORIFIC_TITLES_MALE
        given, key = guest.name[len(guest.surname) :], guest.honorific[len(guest.surname) :]
        assert guest.surname in surnames and given and set(given) <= set(chars)
        assert guest.honorific.startswith(guest.surname) and key in titles and guest.title == demo.TITLES[key]
        assert NOW - datetime.timedelta(days=3 * 365) <= guest.created_at <= NOW
        assert guest.last_seen_at == (guest.last_visit_at or guest.created_at) >= guest.created_at
        assert guest.consent_recorded_at == (guest.created_at if guest.greeting_consent else None)


def test_the_same_seed_makes_the_same_archive_and_another_seed_another():
    seeded(seed=7)
    first = fingerprint()
    seeded(seed=7)
    assert fingerprint() == first
    seeded(seed=8)
    assert fingerprint() != first


def test_the_seeded_archive_is_valid_for_the_app_with_its_indexes_back():
    indexes = index_names()
    guests = seeded()

    assert index_names() == indexes
    for guest in guests[:: COUNT // 50]:
        guest.full_clean()
    assert card_no_next() == f"KS{COUNT + 1:06d}"
    assert Guest.objects.create(card_no="KS999999", surname="王").id == COUNT + 1


def test_every_seeded_guest_gets_its_search_keys_and_the_triggers_keep_them_afterwards():
    seeded()
    later = Guest.objects.create(card_no="KS999999", name="欧阳娜", surname="欧阳")

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(DISTINCT guest_id) FROM {seed_sql.SEARCH_KEY_TABLE}")
        assert cursor.fetchone()[0] == COUNT + 1
        cursor.execute(f"SELECT key FROM {seed_sql.SEARCH_KEY_TABLE} WHERE guest_id = %s", [later.id])
        assert "h欧阳" in {row[0] for row in cursor.fetchall()}
