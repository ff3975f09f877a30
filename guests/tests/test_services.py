import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from guests.models import Guest, RelatedPerson, Tag
from guests.services import (
    card_no_next,
    guest_anonymise,
    guest_create,
    guest_merge,
    guest_quick_add,
    guest_update,
    related_person_add,
)
from guests.tests.factories import GuestFactory
from staff.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_new_guest_gets_the_next_unique_card_number(front_desk):
    first = guest_create(actor=front_desk, fields={"name": "张伟", "mobile": "13800000001"})
    second = guest_create(actor=front_desk, fields={"name": "李娜", "mobile": "13800000002"})
    assert first.card_no.startswith("KS")
    assert int(second.card_no[2:]) == int(first.card_no[2:]) + 1


def test_the_card_counter_skips_numbers_typed_in_by_hand(front_desk):
    upcoming = card_no_next()
    nxt = f"KS{int(upcoming[2:]) + 1:06d}"
    guest_create(actor=front_desk, fields={"name": "王强", "card_no": nxt})
    assert guest_create(actor=front_desk, fields={"name": "赵敏"}).card_no != nxt


def test_create_derives_surname_and_search_keys(front_desk):
    guest = guest_create(actor=front_desk, fields={"name": "欧阳娜娜", "mobile": "+86 138-0013-8000"})
    assert guest.surname == "欧阳"
    assert (guest.name_pinyin, guest.name_initials) == ("ouyangnana", "oynn")
    assert (guest.mobile, guest.mobile_tail) == ("13800138000", "8000")


def test_quick_add_needs_only_surname_honorific_and_mobile(front_desk):
    guest = guest_quick_add(actor=front_desk, surname="曾", honorific="曾总", mobile="13912345678")
    assert guest.greeting == "曾总"
    assert guest.name_pinyin == "zeng"
    assert guest.created_by == front_desk


def test_consent_records_who_and_when(front_desk, manager):
    guest = GuestFactory(greeting_consent=True, actor=front_desk)
    assert guest.consent_recorded_by == front_desk and guest.consent_recorded_at
    guest = guest_update(guest=guest, actor=manager, fields={"greeting_consent": False})
    assert guest.consent_recorded_by == manager


def test_every_change_is_recorded_with_who(front_desk, manager):
    guest = GuestFactory(actor=front_desk)
    guest_update(guest=guest, actor=manager, fields={"taboos": "不吃辣"})
    latest, first = guest.history.all()[:2]
    assert (latest.history_user, latest.taboos) == (manager, "不吃辣")
    assert (first.history_user, first.history_type) == (front_desk, "+")


def test_front_desk_cannot_write_confidential_notes_or_tier(front_desk):
    guest = GuestFactory()
    with pytest.raises(PermissionDenied):
        guest_update(guest=guest, actor=front_desk, fields={"confidential_notes": "x"})
    with pytest.raises(PermissionDenied):
        guest_update(guest=guest, actor=front_desk, fields={"tier": "A"})


def test_waiter_may_only_note_preferences(waiter):
    guest = GuestFactory()
    guest_update(guest=guest, actor=waiter, fields={"favourite_drinks": "茅台"})
    with pytest.raises(PermissionDenied):
        guest_update(guest=guest, actor=waiter, fields={"mobile": "13000000000"})
    guest.refresh_from_db()
    assert guest.favourite_drinks == "茅台"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"mobile": "12345"}, "mobile"),
        ({"birth_month": 2, "birth_day": 30}, "birth_day"),
        ({"birth_year": 2090, "birth_month": 1, "birth_day": 1}, "birth_year"),
        ({"birth_month": 13, "birth_day": 1}, "birth_month"),
        ({"birth_month": 5}, "birth_day"),
        ({"name": "张" * 41}, "name"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(front_desk, fields, field):
    before = Guest.objects.count()
    with pytest.raises(ValidationError) as error:
        guest_create(actor=front_desk, fields={"name": "张伟", **fields})
    assert field in error.value.message_dict
    assert Guest.objects.count() == before


def test_a_lunar_birthday_may_fall_on_the_30th_and_in_a_leap_month(front_desk):
    guest = guest_create(
        actor=front_desk,
        fields={"name": "李白", "birth_month": 4, "birth_day": 30, "birthday_lunar": True, "birthday_leap_month": True},
    )
    assert "30" in guest.birthday_display


def test_a_29_february_birthday_without_a_year_is_accepted(front_desk):
    guest_create(actor=front_desk, fields={"name": "杜甫", "birth_month": 2, "birth_day": 29})


def test_merge_moves_everything_to_the_kept_guest(manager):
    keep = GuestFactory(name="张伟", mobile="13800000001", taboos="不吃辣", favourite_dishes="烤鸭", tier="B")
    other = GuestFactory(
        name="张伟", mobile="13800000002", taboos="海鲜、不吃辣", wechat="zw888", tier="A", company="华信"
    )
    related_person_add(guest=other, actor=manager, name="小李", relation="driver", phone="13700000000")
    referral = GuestFactory(name="李娜", mobile="13800000003", referred_by=other)
    other.tags.add(Tag.objects.create(name="VIP"))

    kept = guest_merge(keep=keep, other=other, actor=manager)

    assert not Guest.objects.filter(pk=other.pk).exists()
    assert list(RelatedPerson.objects.filter(guest=kept).values_list("name", flat=True)) == ["小李"]
    referral.refresh_from_db()
    assert referral.referred_by == kept
    assert kept.taboos == "不吃辣、海鲜"
    assert kept.wechat == "zw888"
    assert kept.tier == "A"
    assert kept.mobile == "13800000001" and "13800000002" in kept.notes
    assert [t.name for t in kept.tags.all()] == ["VIP"]


def test_history_shows_the_merge(manager):
    keep, other = GuestFactory(mobile="13800000001"), GuestFactory(mobile="13800000002")
    guest_merge(keep=keep, other=other, actor=manager)
    latest = keep.history.first()
    assert other.card_no in latest.history_change_reason and latest.history_user == manager
    event = AuditEvent.objects.get(action=AuditEvent.Action.GUEST_MERGED)
    assert (event.details["kept"], event.details["merged"]) == (keep.card_no, other.card_no)


def test_a_guest_cannot_be_merged_with_itself(manager):
    guest = GuestFactory()
    with pytest.raises(ValidationError):
        guest_merge(keep=guest, other=guest, actor=manager)


def test_anonymising_removes_personal_data_and_keeps_figures(manager):
    guest = GuestFactory(
        name="张伟", honorific="张总", tier="A", wechat="zw", confidential_notes="秘密", birth_month=3, birth_day=8
    )
    related_person_add(guest=guest, actor=manager, name="小李", relation="driver", phone="13700000000")
    guest_update(guest=guest, actor=manager, fields={"taboos": "不吃辣"})

    guest = guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    guest.refresh_from_db()
    assert guest.is_anonymised and guest.tier == "A" and guest.card_no.startswith("KS")
    for field in ("name", "surname", "honorific", "mobile", "wechat", "company", "taboos", "confidential_notes"):
        assert getattr(guest, field) == ""
    assert guest.birth_month is None and guest.name_pinyin == "" and guest.mobile_tail == ""
    assert not guest.related_people.exists()
    assert RelatedPerson.history.filter(guest_id=guest.pk).count() == 0
    assert [h.name for h in guest.history.all()] == [""]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.GUEST_ANONYMISED, target=guest.card_no).exists()


def test_front_desk_cannot_anonymise(front_desk):
    guest = GuestFactory()
    with pytest.raises(PermissionDenied):
        guest_anonymise(guest=guest, actor=front_desk, reason="guest_request")


def test_an_anonymised_guest_cannot_be_edited(manager):
    guest = guest_anonymise(guest=GuestFactory(), actor=manager, reason="retention_end")
    with pytest.raises(ValidationError):
        guest_update(guest=guest, actor=manager, fields={"name": "又来了"})
