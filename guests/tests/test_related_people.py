"""A guest's related people have one writer, related_people_replace (related_people_replace_many for an
import): the guest form, the Django admin and the card import all go through it, so its rules (who may,
how many, how long, never an anonymised guest) and the history it writes are the same on every path."""

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation

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
from guests.tests.card_helpers import archive_state, save
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
    # done; and one UPDATE per model that points at a related person (a booking's booked_by).
    apply(content, admin_user, "update", count, django_assert_max_num_queries(12))
    assert {tuple(row[0] for row in stored(guest)) for guest in guests} == {("新司机", "新秘书")}
    assert RelatedPerson.history.filter(history_type="-", name="旧司机", history_user=admin_user).count() == count
    assert RelatedPerson.history.filter(history_type="+", history_user=admin_user).count() == 2 * count


@pytest.mark.parametrize("count", [3, 6])
def test_importing_new_guests_with_related_people_takes_the_same_few_queries_for_any_number_of_guests(
    admin_user, count, django_assert_max_num_queries
):
    content = cards(*(("", f"新客{n}", [f"司机{n}"]) for n in range(count)))
    created = apply(content, admin_user, "create", count, django_assert_max_num_queries(20))
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
