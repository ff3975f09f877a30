"""A guest's related people have one writer, related_people_replace (related_people_replace_many for an
import): the guest form, the Django admin and the card import all go through it, so its rules (who may,
how many, how long, never an anonymised guest) and the history it writes are the same on every path."""

import contextlib

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from bookings.tests.factories import book
from bookings.tests.factories import room as booking_room
from guests.cards import services as card_services
from guests.cards.importer import plan_import
from guests.models import CardTransfer, Guest, RelatedPerson
from guests.services import (
    MAX_RELATED_PEOPLE,
    Person,
    guest_anonymise,
    related_people_replace,
    related_people_replace_many,
    related_person_add,
)
from guests.tests.card_helpers import archive_state, load, save
from guests.tests.factories import GuestFactory
from staff.tests.pages import form_on

pytestmark = pytest.mark.django_db


def stored(guest) -> list[tuple]:
    return list(RelatedPerson.objects.filter(guest=guest).order_by("id").values_list("name", "relation", "phone"))


def history(guest) -> list[tuple]:
    return list(RelatedPerson.history.filter(guest_id=guest.pk).order_by("history_id").values_list(
        "name", "history_type", "history_user__username"))  # fmt: skip


def kept(person: RelatedPerson, **changes) -> Person:
    """The stored person as the service takes it, with `changes`."""
    values = {"name": person.name, "relation": person.relation, "phone": person.phone, "id": person.pk}
    return Person(**(values | changes))


@pytest.fixture
def guest_with_two(manager):
    guest = GuestFactory(name="刘备")
    driver = related_person_add(guest=guest, actor=manager, name="小李", relation="driver", phone="13700000000")
    secretary = related_person_add(guest=guest, actor=manager, name="王秘书", relation="secretary")
    return guest, driver, secretary


# ---- the service's rules -----------------------------------------------------------


def test_replacing_changes_a_listed_person_in_place_removes_the_unlisted_and_adds_the_new(front_desk, guest_with_two):
    guest, driver, secretary = guest_with_two
    written = related_people_replace(guest=guest, actor=front_desk, people=[
        kept(driver, phone="13700000001"), {"name": "关羽", "relation": "assistant", "phone": ""}])  # fmt: skip
    assert stored(guest) == [("小李", "driver", "13700000001"), ("关羽", "assistant", "")]
    assert RelatedPerson.objects.get(name="小李").pk == driver.pk  # the same person, not a new row
    assert history(guest)[2:] == [("王秘书", "-", "frontdesk"), ("小李", "~", "frontdesk"), ("关羽", "+", "frontdesk")]
    assert [p.name for p in written.created] == ["关羽"] and [p.name for p in written.deleted] == ["王秘书"]
    assert [(p.name, fields) for p, fields in written.changed] == [("小李", ["phone"])]


def test_replacing_with_the_stored_list_writes_nothing(front_desk, guest_with_two):
    guest, driver, secretary = guest_with_two
    before = archive_state()
    related_people_replace(guest=guest, actor=front_desk, people=[kept(driver), kept(secretary)])
    assert archive_state() == before


def test_an_empty_list_clears_the_guest_s_related_people(front_desk, guest_with_two):
    guest, _driver, _secretary = guest_with_two
    related_people_replace(guest=guest, actor=front_desk, people=[])
    assert stored(guest) == []
    assert [row[1:] for row in history(guest)[2:]] == [("-", "frontdesk"), ("-", "frontdesk")]


def test_names_and_phones_are_kept_without_the_spaces_around_them(front_desk):
    guest = GuestFactory()
    related_people_replace(guest=guest, actor=front_desk, people=[Person(name=" 小李 ", phone=" 010-65881234 ")])
    assert stored(guest) == [("小李", "other", "010-65881234")]


def too_many():
    return [Person(name=f"秘书{n}") for n in range(MAX_RELATED_PEOPLE + 1)]


@pytest.mark.parametrize(
    ("people", "message"),
    [
        ([Person(name="张" * 41)], "Related person 1, name: Ensure this value has at most 40 characters"),
        ([Person(name="小李"), Person(name="")], "Related person 2, name: This field cannot be blank."),
        ([Person(name="小李", phone="abc")], "Related person 1, phone: Enter a telephone number"),
        ([Person(name="小李", relation="boss")], "Related person 1, relation: Value 'boss' is not a valid choice."),
        (too_many(), f"A guest may have at most {MAX_RELATED_PEOPLE} related people."),
    ],
)
def test_bad_input_is_refused_with_what_is_wrong_and_nothing_is_written(front_desk, guest_with_two, people,
                                                                         message):  # fmt: skip
    guest = guest_with_two[0]
    before = archive_state()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        related_people_replace(guest=guest, actor=front_desk, people=people)
    assert message in " ".join(refused.value.messages)
    assert archive_state() == before


def test_the_refusal_is_in_the_user_s_language(front_desk):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        related_people_replace(guest=GuestFactory(), actor=front_desk, people=too_many())
    assert refused.value.messages == [f"每位客人最多可有{MAX_RELATED_PEOPLE}位关联人员。"]


def test_a_person_of_another_guest_cannot_be_changed_through_this_one(front_desk, guest_with_two):
    guest, driver, _secretary = guest_with_two
    other = GuestFactory(name="曹操")
    before = archive_state()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        related_people_replace(guest=other, actor=front_desk, people=[kept(driver, phone="13700000009")])
    assert refused.value.messages == ["Related person 1 is not one of this guest's related people."]
    assert archive_state() == before


def test_a_waiter_may_not_change_related_people(waiter, guest_with_two):
    guest = guest_with_two[0]
    before = archive_state()
    with pytest.raises(PermissionDenied):
        related_people_replace(guest=guest, actor=waiter, people=[])
    assert archive_state() == before


def test_an_anonymised_guest_gets_no_related_people(manager, front_desk):
    guest = guest_anonymise(guest=GuestFactory(), actor=manager, reason="guest_request")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        related_people_replace(guest=guest, actor=front_desk, people=[Person(name="小李")])
    assert refused.value.messages == ["An anonymised guest cannot be changed."]
    assert not RelatedPerson.objects.exists()


def test_a_guest_kept_with_more_people_than_the_limit_can_still_be_changed_but_not_grow(front_desk):
    guest = GuestFactory()
    RelatedPerson.objects.bulk_create(RelatedPerson(guest=guest, name=f"旧{n}") for n in range(MAX_RELATED_PEOPLE + 2))
    people = [kept(person) for person in guest.related_people.all()]
    related_people_replace(guest=guest, actor=front_desk, people=people[1:])
    assert len(stored(guest)) == MAX_RELATED_PEOPLE + 1
    with pytest.raises(ValidationError):
        related_people_replace(guest=guest, actor=front_desk, people=[*people[1:], Person(name="新")])


def test_a_stored_value_today_s_rules_refuse_stays_when_left_unchanged(front_desk, guest_with_two):
    guest, driver, secretary = guest_with_two
    RelatedPerson.objects.filter(pk=driver.pk).update(phone="call the office")  # typed before the phone rule
    driver.refresh_from_db()
    related_people_replace(guest=guest, actor=front_desk, people=[kept(driver), kept(secretary, phone="66881234")])
    assert stored(guest) == [("小李", "driver", "call the office"), ("王秘书", "secretary", "66881234")]


def test_adding_one_person_keeps_those_the_guest_has(front_desk, guest_with_two):
    guest = guest_with_two[0]
    related_person_add(guest=guest, actor=front_desk, name="关羽", relation="assistant")
    assert [row[0] for row in stored(guest)] == ["小李", "王秘书", "关羽"]


def test_replacing_many_guests_at_once_writes_what_replacing_each_one_writes(manager, front_desk):
    guests = [GuestFactory(name=f"客人{n}") for n in range(3)]
    for guest in guests:
        related_person_add(guest=guest, actor=manager, name="旧司机", relation="driver")
    lists = {guest.pk: [{"name": "新司机", "relation": "driver", "phone": "13700000000"},
                        {"name": f"秘书{guest.pk}", "relation": "secretary", "phone": ""}] for guest in guests}  # fmt: skip

    def written() -> list[tuple]:
        rows = RelatedPerson.history.order_by("guest_id", "history_id").values_list(
            "guest_id", "name", "relation", "phone", "history_type", "history_user", "history_change_reason"
        )
        return [stored(guest) for guest in guests], list(rows)

    with transaction.atomic():
        for guest in guests:
            related_people_replace(guest=guest, actor=front_desk, people=lists[guest.pk])
        one_by_one = written()
        transaction.set_rollback(True)
    related_people_replace_many(actor=front_desk, people_by_guest=lists)
    assert written() == one_by_one
    assert stored(guests[0])[0] == ("新司机", "driver", "13700000000")


def test_replacing_many_refuses_them_all_when_one_guest_is_anonymised(manager, front_desk):
    guest, gone = GuestFactory(), guest_anonymise(guest=GuestFactory(), actor=manager, reason="guest_request")
    before = archive_state()
    with pytest.raises(ValidationError):
        related_people_replace_many(actor=front_desk, people_by_guest={guest.pk: [Person(name="小李")],
                                                                       gone.pk: [Person(name="小王")]})  # fmt: skip
    assert archive_state() == before


# ---- the card import: one bulk write per chunk of guests ---------------------------------


def cards(*guests: tuple[str, str, list[str]]) -> bytes:
    """A workbook of plain cards, one sheet per (card number, name, related people's names)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for n, (card_no, name, people) in enumerate(guests):
        ws = workbook.create_sheet(f"卡{n}")
        ws["B2"] = "客户信息卡"
        ws["B4"], ws["C4"] = "档案编号 Card No.", card_no
        ws["B5"], ws["C5"] = "姓名 Name", name
        ws["B12"] = "关联人员 Related people"
        ws["B13"], ws["C13"], ws["D13"] = "姓名", "关系", "电话"
        for row, person in enumerate(people, start=14):
            ws.cell(row=row, column=2).value, ws.cell(row=row, column=3).value = person, "司机"
    return save(workbook)


def apply(content: bytes, actor, kind: str, count: int, max_queries):
    plan = plan_import(content, actor=actor)
    assert plan.problems == [] and [a.kind for a in plan.actions] == [kind] * count
    transfer = CardTransfer.objects.create(kind=CardTransfer.Kind.IMPORT, status=CardTransfer.Status.IMPORTING)
    with max_queries:
        return card_services._apply(plan, actor=actor, reason="test", transfer=transfer)


@pytest.mark.parametrize("count", [3, 6])
def test_importing_changed_related_people_takes_the_same_few_queries_for_any_number_of_guests(
    admin_user, manager, count, django_assert_max_num_queries
):
    guests = [GuestFactory(name=f"客人{n}") for n in range(count)]
    for guest in guests:
        related_person_add(guest=guest, actor=manager, name="旧司机", relation="driver")
    content = cards(*((guest.card_no, guest.name, ["新司机", "新秘书"]) for guest in guests))
    # Two savepoints, lock and read, history and delete of the old, insert and history of the new, the transfer
    # done; and one UPDATE per model that points at a related person (a booking's booked_by, a phone call's person).
    apply(content, admin_user, "update", count, django_assert_max_num_queries(13))
    assert {tuple(row[0] for row in stored(guest)) for guest in guests} == {("新司机", "新秘书")}
    assert RelatedPerson.history.filter(history_type="-", name="旧司机", history_user=admin_user).count() == count
    assert RelatedPerson.history.filter(history_type="+", history_user=admin_user).count() == 2 * count


@pytest.mark.parametrize("count", [3, 6])
def test_importing_new_guests_with_related_people_takes_the_same_few_queries_for_any_number_of_guests(
    admin_user, count, django_assert_max_num_queries
):
    content = cards(*(("", f"新客{n}", [f"司机{n}"]) for n in range(count)))
    # One of them finds the webhook subscriptions, once for all the new guests.
    created = apply(content, admin_user, "create", count, django_assert_max_num_queries(21))
    assert sorted(RelatedPerson.objects.filter(guest_id__in=created).values_list("name", flat=True)) == sorted(
        f"司机{n}" for n in range(count))  # fmt: skip
    assert RelatedPerson.history.filter(history_type="+", history_user=admin_user).count() == count


def test_a_card_with_more_related_people_than_a_guest_may_have_is_refused_at_the_check(admin_user):
    guest = GuestFactory(name="刘备")
    content = cards((guest.card_no, guest.name, [f"秘书{n}" for n in range(MAX_RELATED_PEOPLE + 1)]))
    with translation.override("en"):
        plan = plan_import(content, actor=admin_user)
    assert [p.message for p in plan.problems] == [f"A guest may have at most {MAX_RELATED_PEOPLE} related people."]


# ---- the guest form ----------------------------------------------------------------


def test_the_edit_form_changes_adds_and_removes_related_people_with_their_history(client_for, front_desk,
                                                                                 guest_with_two):  # fmt: skip
    guest, driver, secretary = guest_with_two
    client = client_for(front_desk)
    data = form_on(client.get(reverse("guests:edit", args=[guest.pk])), containing="opened")
    assert (data["people-0-id"], data["people-1-id"]) == (str(driver.pk), str(secretary.pk))
    data |= {"people-0-phone": "13700000001", "people-1-DELETE": "on", "people-2-name": "关羽",
             "people-2-relation": "assistant"}  # fmt: skip
    assert client.post(reverse("guests:edit", args=[guest.pk]), data).status_code == 302
    assert stored(guest) == [("小李", "driver", "13700000001"), ("关羽", "assistant", "")]
    assert history(guest)[2:] == [("王秘书", "-", "frontdesk"), ("小李", "~", "frontdesk"), ("关羽", "+", "frontdesk")]


def test_a_person_added_meanwhile_past_the_limit_refuses_the_save_with_a_message_and_saves_nothing(
    client_for, front_desk, manager
):
    guest = GuestFactory(company="华信")
    for n in range(MAX_RELATED_PEOPLE - 1):
        related_person_add(guest=guest, actor=manager, name=f"秘书{n}", relation="secretary")
    client = client_for(front_desk)
    data = form_on(client.get(reverse("guests:edit", args=[guest.pk])), containing="opened")
    related_person_add(guest=guest, actor=manager, name="司机", relation="driver")  # someone else, meanwhile
    last = MAX_RELATED_PEOPLE - 1
    data |= {"company": "华信集团", f"people-{last}-name": "关羽", f"people-{last}-relation": "assistant"}
    response = client.post(reverse("guests:edit", args=[guest.pk]), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert f"A guest may have at most {MAX_RELATED_PEOPLE} related people." in response.content.decode()
    guest.refresh_from_db()
    assert guest.company == "华信" and len(stored(guest)) == MAX_RELATED_PEOPLE
    assert "关羽" not in [row[0] for row in stored(guest)]


def test_the_create_form_refuses_more_related_people_than_a_guest_may_have(client_for, front_desk):
    count = MAX_RELATED_PEOPLE + 1
    data = {"name": "张伟", "honorific": "张总", "mobile": "13812345678", "source": "walk_in",
            "people-TOTAL_FORMS": str(count), "people-INITIAL_FORMS": "0"}  # fmt: skip
    for n in range(count):
        data |= {f"people-{n}-name": f"秘书{n}", f"people-{n}-relation": "secretary"}
    response = client_for(front_desk).post(reverse("guests:create"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert f"A guest may have at most {MAX_RELATED_PEOPLE} related people." in response.content.decode()
    assert not Guest.objects.exists() and not RelatedPerson.objects.exists()


# ---- the card import keeps the people its table leaves as they are -------------------------
# A booking points at the related person who made it (booked_by, set to NULL when the person goes), so a
# person the card lists as stored is that stored person still, not a copy: re-importing a card must not
# forget who booked. The card holds no ids: a row is that person when it reads the same (name, relation,
# phone, as the import reads a cell); a row with the same name and another relation or phone is that
# person changed in place; any other row is someone new.


def card_of(card_no: str, name: str, people: list[tuple[str, str, str]]) -> bytes:
    """One plain card whose related-people table lists (name, relation as written, phone)."""
    return cards_with((card_no, name, people))


def import_card(content: bytes, actor, kind: str = "update"):
    return apply(content, actor, kind, 1, contextlib.nullcontext())


def people_history(*people: RelatedPerson) -> list[tuple]:
    return list(RelatedPerson.history.filter(id__in=[p.pk for p in people]).order_by("history_id").values_list(
        "id", "history_type"))  # fmt: skip


@pytest.fixture
def booked_by_secretary(manager, front_desk, guest_with_two):
    """刘备 with his driver 小李 (13700000000) and his secretary 王秘书, who booked tomorrow's dinner."""
    guest, driver, secretary = guest_with_two
    booking = book(front_desk, guest, booked_by=secretary)
    return guest, driver, secretary, booking


def test_importing_a_card_keeps_the_person_it_leaves_unchanged_and_who_booked_through_them(
    admin_user, booked_by_secretary
):
    guest, driver, secretary, booking = booked_by_secretary
    before = people_history(driver, secretary)
    import_card(card_of(guest.card_no, guest.name, [("王秘书", "秘书", ""), ("关羽", "助理", "")]), admin_user)
    assert list(RelatedPerson.objects.filter(guest=guest).order_by("id").values_list("pk", "name")) == [
        (secretary.pk, "王秘书"), (RelatedPerson.objects.get(name="关羽").pk, "关羽")]  # fmt: skip
    booking.refresh_from_db()
    assert booking.booked_by_id == secretary.pk
    assert people_history(driver, secretary) == [*before, (driver.pk, "-")]  # nothing written for the secretary


def test_a_person_the_card_removes_goes_and_their_bookings_no_longer_say_who_booked(
    admin_user, front_desk, booked_by_secretary
):
    guest, driver, _secretary, _booking = booked_by_secretary
    by_driver = book(front_desk, guest, rooms=[booking_room("兰亭厅")], booked_by=driver)
    import_card(card_of(guest.card_no, guest.name, [("王秘书", "秘书", "")]), admin_user)
    assert stored(guest) == [("王秘书", "secretary", "")]
    by_driver.refresh_from_db()
    assert by_driver.booked_by_id is None
    assert RelatedPerson.history.filter(id=driver.pk, history_type="-", history_user=admin_user).exists()


def test_a_person_whose_phone_the_card_changes_is_changed_in_place_and_still_the_one_who_booked(
    admin_user, booked_by_secretary
):
    guest, driver, secretary, booking = booked_by_secretary
    before = people_history(driver, secretary)
    import_card(card_of(guest.card_no, guest.name, [("小李", "司机", "13700000000"), ("王秘书", "秘书",
                                                                                     "010-65881234")]), admin_user)  # fmt: skip
    assert list(RelatedPerson.objects.filter(guest=guest).order_by("id").values_list("pk", "phone")) == [
        (driver.pk, "13700000000"), (secretary.pk, "010-65881234")]  # fmt: skip
    booking.refresh_from_db()
    assert booking.booked_by_id == secretary.pk
    assert people_history(driver, secretary) == [*before, (secretary.pk, "~")]


def test_a_person_whose_name_the_card_changes_is_someone_new(admin_user, booked_by_secretary):
    guest, driver, secretary, booking = booked_by_secretary
    import_card(card_of(guest.card_no, guest.name, [("小李", "司机", "13700000000"), ("张秘书", "秘书", "")]),
                admin_user)  # fmt: skip
    assert RelatedPerson.objects.filter(guest=guest, name="张秘书").exclude(pk=secretary.pk).exists()
    assert not RelatedPerson.objects.filter(pk=secretary.pk).exists()
    booking.refresh_from_db()
    assert booking.booked_by_id is None


def test_the_same_person_twice_on_a_card_keeps_the_stored_one_first_and_adds_the_second(
    admin_user, booked_by_secretary
):
    guest, driver, secretary, booking = booked_by_secretary
    twice = [("王秘书", "秘书", ""), ("小李", "司机", "13700000000"), ("王秘书", "秘书", "")]
    import_card(card_of(guest.card_no, guest.name, twice), admin_user)
    people = list(RelatedPerson.objects.filter(guest=guest).order_by("id").values_list("pk", "name"))
    assert people[:2] == [(driver.pk, "小李"), (secretary.pk, "王秘书")]
    assert [name for _pk, name in people[2:]] == ["王秘书"]
    booking.refresh_from_db()
    assert booking.booked_by_id == secretary.pk


def test_a_card_listing_the_guest_s_people_in_another_order_changes_nothing(admin_user, booked_by_secretary):
    guest = booked_by_secretary[0]
    content = card_of(guest.card_no, guest.name, [("王秘书", "秘书", ""), ("小李", "司机", "13700000000")])
    plan = plan_import(content, actor=admin_user)
    assert plan.problems == [] and [a.kind for a in plan.actions] == ["unchanged"]


def test_a_stored_person_reads_as_the_card_row_when_only_spaces_around_the_values_differ(admin_user, front_desk):
    guest = GuestFactory(name="刘备")
    driver = RelatedPerson.objects.create(guest=guest, name=" 小李 ", relation="driver", phone="13700000000 ")
    booking = book(front_desk, guest, booked_by=driver)
    before = people_history(driver)
    content = card_of(guest.card_no, guest.name, [("小李", "司机", "13700000000"), ("关羽", "助理", "")])
    import_card(content, admin_user)
    booking.refresh_from_db()
    assert booking.booked_by_id == driver.pk
    assert people_history(driver) == before


def test_replacing_many_takes_a_listed_person_without_an_id_that_reads_as_a_stored_one_for_that_person(
    front_desk, booked_by_secretary
):
    guest, driver, secretary, booking = booked_by_secretary
    written = related_people_replace_many(actor=front_desk, people_by_guest={guest.pk: [
        {"name": "王秘书", "relation": "secretary", "phone": ""}, {"name": "小李", "relation": "assistant",
                                                                 "phone": "13700000000"}]})  # fmt: skip
    assert (written.created, written.deleted) == ([], [])
    assert [(person.pk, fields) for person, fields in written.changed] == [(driver.pk, ["relation"])]
    booking.refresh_from_db()
    assert booking.booked_by_id == secretary.pk


@pytest.mark.parametrize("count", [3, 6])
def test_importing_kept_changed_removed_and_new_people_takes_the_same_few_queries_for_any_number_of_guests(
    admin_user, manager, front_desk, count, django_assert_max_num_queries
):
    guests = [GuestFactory(name=f"客人{n}") for n in range(count)]
    for guest in guests:
        for name, relation in (("秘书", "secretary"), ("司机", "driver"), ("旧助理", "assistant")):
            related_person_add(guest=guest, actor=manager, name=name, relation=relation)
    content = cards_with(*((guest.card_no, guest.name, [("秘书", "秘书", ""), ("司机", "司机", "13700000000"),
                                                         ("新助理", "助理", "")]) for guest in guests))  # fmt: skip
    kept = set(RelatedPerson.objects.filter(name__in=["秘书", "司机"]).values_list("pk", flat=True))
    # Two savepoints, lock and read; history and delete of the removed, with one UPDATE per model that points
    # at a related person (a booking's booked_by, a phone call's person); update and history of the changed,
    # insert and history of the new; the transfer done.
    apply(content, admin_user, "update", count, django_assert_max_num_queries(15))
    assert set(RelatedPerson.objects.filter(name__in=["秘书", "司机"]).values_list("pk", flat=True)) == kept
    assert {tuple(stored(guest)) for guest in guests} == {
        (("秘书", "secretary", ""), ("司机", "driver", "13700000000"), ("新助理", "assistant", ""))}  # fmt: skip
    assert RelatedPerson.history.filter(history_user=admin_user).values_list("history_type").distinct().count() == 3


def cards_with(*guests: tuple[str, str, list[tuple[str, str, str]]]) -> bytes:
    """cards(), with each related person's relation and phone."""
    workbook = load(cards(*((card_no, name, []) for card_no, name, _people in guests)))
    for ws, (_card_no, _name, people) in zip(workbook.worksheets, guests, strict=True):
        for row, person in enumerate(people, start=14):
            for column, value in enumerate(person, start=2):
                ws.cell(row=row, column=column).value = value
    return save(workbook)
