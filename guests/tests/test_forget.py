"""Anonymising forgets the guest everywhere: every app's rows, their history, the admin's log."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection, models, transaction
from django.test import override_settings
from django.utils import timezone

from followups.greetings import greetings_prepare, greetings_send_due
from followups.models import FollowUp, Greeting, GreetingAttempt
from followups.services import followup_complete
from followups.tests.factories import followup
from guests import forgetting
from guests.cards.forget import card_uploads_forget
from guests.cards.services import card_import_check
from guests.models import CardTransfer, Guest, RelatedPerson, Tag
from guests.services import guest_anonymise, guest_merge, guest_update, related_person_add
from staff.models import AuditEvent
from visits.complaints import complaint_record, complaint_transition
from visits.models import Complaint, ComplaintEvent, Visit
from visits.services import visit_correct, visit_record
from visits.tests.factories import outlet, record_visit

from .factories import GuestFactory

pytestmark = pytest.mark.django_db

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.BinaryField)


def _history_model(model):
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, attribute).model if attribute else None


def guest_models() -> list:
    """Guest, every model that points at it or at one of those (a complaint's steps), the tags,
    and the history models of them all."""
    seen, todo = [], [Guest]
    while todo:
        model = todo.pop()
        if model in seen or model._meta.auto_created:
            continue
        seen.append(model)
        todo += [relation.related_model for relation in model._meta.related_objects]
        todo += [field.related_model for field in model._meta.many_to_many]
        history = _history_model(model)
        if history is not None:
            todo.append(history)
    return seen


def unhandled(fields: dict[str, set[str]], deleted: set[str]) -> list[str]:
    """Text fields of the models tied to a guest that no forgetter blanks or declares kept; a
    field with choices holds a code from a closed list, never words about the guest."""
    missing = []
    for model in guest_models():
        label = model._meta.label
        if label in deleted:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, TEXT_FIELDS) and not field.choices and field.name not in fields.get(label, ()):
                missing.append(f"{label}.{field.name}")
    return missing


def test_every_text_field_of_a_model_tied_to_a_guest_is_forgotten_or_declared_kept():
    assert unhandled(*forgetting.handled_fields()) == []


def test_a_model_whose_app_registered_no_forgetter_is_reported(monkeypatch):
    others = {name: f for name, f in forgetting._forgetters.items() if not name.startswith("visits.")}
    monkeypatch.setattr(forgetting, "_forgetters", others)
    missing = unhandled(*forgetting.handled_fields())
    assert {"visits.Visit.notes", "visits.Complaint.description", "visits.ComplaintEvent.note"} <= set(missing)


def test_the_walk_reaches_history_models_and_the_steps_of_a_complaint():
    labels = {model._meta.label for model in guest_models()}
    assert {"guests.HistoricalGuest", "guests.HistoricalRelatedPerson", "visits.HistoricalVisit",
            "followups.HistoricalFollowUp", "visits.ComplaintEvent", "followups.GreetingAttempt",
            "guests.Tag"} <= labels  # fmt: skip


def test_anonymising_calls_every_registered_forgetter_while_the_guest_still_has_its_name(manager, monkeypatch):
    seen = []
    monkeypatch.setattr(forgetting, "_forgetters", dict(forgetting._forgetters))
    forgetting.register(lambda *, guest: seen.append(guest.name))
    guest = GuestFactory(name="龘靐先生")
    guest_anonymise(guest=guest, actor=manager, reason="guest_request")
    assert seen == ["龘靐先生"]


def test_each_app_registers_one_forgetter():
    assert [f.name.split(".")[0] for f in forgetting.forgetters()] == [
        "guests",
        "visits",
        "bookings",
        "calls",
        "followups",
    ]


# ---- what each app forgets ------------------------------------------------------------


def _at_table(host, actor, companion, notes):
    fields = {"outlet": outlet(), "visited_at": timezone.now(), "meal_period": "dinner", "party_size": 4,
              "spend": Decimal("600.00"), "notes": notes}  # fmt: skip
    return visit_record(actor=actor, guest=host, fields=fields, companions=[companion])


def test_the_history_of_a_duplicate_merged_into_the_guest_is_forgotten(manager, admin_user, client_for):
    guest = GuestFactory(name="龘靐先生", mobile="13912345678")
    other = GuestFactory(name="龘靐先生", mobile="13987654321", email="dup2718@example.org")
    guest_update(guest=other, actor=manager, fields={"notes": "重复档案鼗鼙备注"})
    other_pk = other.pk
    guest_merge(keep=guest, other=other, actor=manager)
    assert Guest.history.filter(id=other_pk).exists()

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    assert not Guest.history.filter(id=other_pk).exists()
    page = client_for(admin_user).get(f"/admin/guests/guest/{other_pk}/history/")
    assert "重复档案鼗鼙备注" not in page.content.decode() and "13987654321" not in page.content.decode()


def test_a_chain_of_merges_and_a_merge_logged_before_ids_were_recorded_are_followed(manager):
    guest, middle, first = (GuestFactory(name=name) for name in ("龘靐先生", "龘靐二", "龘靐三"))
    first_pk, middle_pk = first.pk, middle.pk
    guest_merge(keep=middle, other=first, actor=manager)
    # A merge logged before the ids were recorded names the two card numbers only.
    AuditEvent.objects.filter(details__merged_id=first_pk).update(
        details={"kept": middle.card_no, "merged": first.card_no}
    )
    guest_merge(keep=guest, other=middle, actor=manager)

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    assert not Guest.history.filter(id__in=[first_pk, middle_pk]).exists()


def test_the_merge_records_both_ids_for_a_later_anonymisation(manager):
    keep, other = GuestFactory(), GuestFactory()
    other_pk = other.pk
    guest_merge(keep=keep, other=other, actor=manager)
    event = AuditEvent.objects.get(action=AuditEvent.Action.GUEST_MERGED)
    assert (event.details["kept_id"], event.details["merged_id"]) == (keep.pk, other_pk)


def test_visit_notes_dishes_and_their_history_are_forgotten_figures_stay(manager):
    guest = GuestFactory(name="龘靐先生")
    visit = record_visit(guest, manager, spend="1888.00", party=6, notes="包间备注鼗鼙甲", dishes="龘式烤鸭")
    visit_correct(actor=manager, visit=visit, fields={"notes": "改过的鼗鼙乙", "satisfaction": 5})

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    visit.refresh_from_db()
    assert (visit.notes, visit.dishes, str(visit.spend), visit.party_size, visit.satisfaction) == (
        "", "", "1888.00", 6, 5,
    )  # fmt: skip
    assert set(Visit.history.filter(id=visit.pk).values_list("notes", "dishes")) == {("", "")}
    assert Visit.history.filter(id=visit.pk).count() == 2


def test_a_visit_where_the_guest_sat_at_another_hosts_table_loses_only_the_mentions(manager):
    guest = GuestFactory(name="龘靐先生", honorific="龘总", mobile="13912345678")
    related_person_add(guest=guest, actor=manager, name="鼗鼙司机", relation="driver")
    host = GuestFactory(name="钱多多")
    visit = _at_table(host, manager, guest, notes="钱总请龘靐先生，龘总电话13912345678，鼗鼙司机在外，钱总不吃辣")
    visit_correct(actor=manager, visit=visit, fields={"notes": visit.notes + "。"})

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    visit.refresh_from_db()
    for notes in [visit.notes, *Visit.history.filter(id=visit.pk).values_list("notes", flat=True)]:
        assert "龘" not in notes and "13912345678" not in notes and "鼗鼙" not in notes
        assert notes.startswith("钱总请") and "钱总不吃辣" in notes
    assert list(visit.companions.all()) == [guest]


def test_a_complaint_keeps_its_category_and_status_and_loses_its_words(manager):
    guest = GuestFactory()
    complaint = complaint_record(actor=manager, guest=guest, fields={"category": "food", "description": "龘靐菜凉"})
    steps = [("accept", {}), ("assign", {"department": "厨房", "assignee": manager}),
             ("propose", {"cause": "鼗鼙原因", "remedy": "鼗鼙补救"}), ("approve", {}),
             ("carry_out", {"note": "鼗鼙已致电"}), ("reaction", {"guest_reaction": "鼗鼙满意"}),
             ("close", {"summary": "鼗鼙总结"})]  # fmt: skip
    for action, data in steps:
        complaint = complaint_transition(actor=manager, complaint=complaint, action=action, data=data)

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    complaint.refresh_from_db()
    assert (complaint.category, complaint.status, complaint.department) == ("food", "closed", "厨房")
    assert complaint.description == forgetting.marker()
    assert (complaint.cause, complaint.remedy, complaint.guest_reaction, complaint.summary) == ("", "", "", "")
    assert set(ComplaintEvent.objects.filter(complaint=complaint).values_list("note", flat=True)) == {""}
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == 8


def test_tags_only_the_guest_had_are_deleted_shared_ones_stay(manager):
    guest = GuestFactory()
    other = GuestFactory()
    guest_update(guest=guest, actor=manager, fields={}, tags=["龘靐会员", "常客"])
    guest_update(guest=other, actor=manager, fields={}, tags=["常客"])

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    assert list(Tag.objects.values_list("name", flat=True)) == ["常客"]
    assert not guest.tags.exists() and list(other.tags.values_list("name", flat=True)) == ["常客"]


def test_related_people_and_their_history_are_forgotten(manager):
    guest = GuestFactory()
    related_person_add(guest=guest, actor=manager, name="鼗鼙司机", relation="driver", phone="13811112222")
    guest_anonymise(guest=guest, actor=manager, reason="guest_request")
    assert not RelatedPerson.objects.exists() and not RelatedPerson.history.exists()


def _upload(status, **fields):
    return CardTransfer.objects.create(
        kind=CardTransfer.Kind.IMPORT, status=status, file_name="龘靐先生.xlsx", file_size=9, data=b"PK...", **fields
    )


def test_every_upload_not_yet_imported_is_discarded_with_a_message(manager):
    guest = GuestFactory()
    preview = {"created": 0, "updated": 1, "preview": [{"name": "龘靐先生", "card_no": guest.card_no}]}
    waiting = [_upload(status, result=preview) for status in ("queued", "checked", "refused", "to_import")]
    done = CardTransfer.objects.create(kind=CardTransfer.Kind.IMPORT, status="done", result={"created": 3})
    export = CardTransfer.objects.create(kind=CardTransfer.Kind.CARD, description=guest.card_no)

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    for transfer in waiting:
        transfer.refresh_from_db()
        assert (transfer.status, transfer.data, transfer.file_name) == ("failed", None, "")
        assert transfer.result == {"error": "Discarded because a guest was anonymised; upload the file again."}
    done.refresh_from_db()
    export.refresh_from_db()
    assert done.result == {"created": 3} and export.description == guest.card_no


def test_the_discarded_upload_says_why_on_its_page(manager, admin_user, client_for):
    transfer = _upload("checked", result={"preview": [{"name": "龘靐先生"}]})
    guest_anonymise(guest=GuestFactory(), actor=manager, reason="guest_request")
    page = client_for(admin_user).get(f"/cards/import/{transfer.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "upload the file again" in page.content.decode() and "龘靐先生" not in page.content.decode()


def test_anonymising_is_refused_while_a_card_file_is_being_read_and_changes_nothing(manager, client_for):
    guest = GuestFactory(name="龘靐先生")
    waiting = _upload("checked", result={"preview": [{"name": "龘靐先生"}]})
    _upload("checking")
    page = client_for(manager).post(f"/guests/{guest.pk}/anonymise/", {"reason": "guest_request", "card_no": guest.card_no},
                                    HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert page.status_code == 200
    assert "being checked or imported right now" in page.content.decode()
    guest.refresh_from_db()
    waiting.refresh_from_db()
    assert not guest.is_anonymised and guest.name == "龘靐先生"
    assert waiting.status == "checked" and waiting.data is not None


def test_a_file_left_being_read_by_a_worker_that_died_is_discarded_and_a_failed_one_loses_its_bytes(manager):
    stuck = _upload("checking")
    CardTransfer.objects.filter(pk=stuck.pk).update(at=timezone.now() - datetime.timedelta(hours=3))
    failed = _upload("failed", result={"error": "断电"})
    guest_anonymise(guest=GuestFactory(), actor=manager, reason="guest_request")
    for transfer in (stuck, failed):
        transfer.refresh_from_db()
        assert (transfer.status, transfer.data, transfer.file_name) == ("failed", None, "")


def _wait_until_a_statement_waits_for_a_lock(seconds=20) -> bool:
    with connection.cursor() as cursor:
        for _n in range(seconds * 20):
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction reads one snapshot
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_cannot_start_on_an_upload_the_anonymisation_is_discarding(postgresql, manager):
    guest = GuestFactory()
    transfer = _upload("queued")
    discarded, claimed = threading.Event(), []

    def worker():
        try:
            discarded.wait()
            claimed.append(card_import_check(transfer_id=transfer.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    with transaction.atomic():
        card_uploads_forget(guest=guest)
        discarded.set()
        blocked = _wait_until_a_statement_waits_for_a_lock()
    thread.join()
    assert blocked, "the worker's claim should wait for the anonymisation's transaction"
    assert claimed == [None]
    transfer.refresh_from_db()
    assert (transfer.status, transfer.data) == ("failed", None)


def test_follow_ups_lose_their_notes_and_history_greetings_their_recipient_and_text(manager):
    today = timezone.localdate()
    guest = GuestFactory(honorific="龘总", greeting_consent=True, birth_month=today.month, birth_day=today.day)
    item = followup(guest, manager, note="致电鼗鼙")
    followup_complete(actor=manager, followup=item, outcome="鼗鼙已回访")
    with override_settings(KESHI_SMS_SENDER="followups.tests.senders.RecordingSender"):
        greetings_prepare(today=today)
        greetings_send_due()
    assert GreetingAttempt.objects.filter(detail__contains="龘总", recipient=guest.mobile).exists()

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    assert list(FollowUp.objects.values_list("note", "outcome")) == [("", "")]
    assert not FollowUp.history.exists()
    assert list(GreetingAttempt.objects.values_list("recipient", "detail", "outcome")) == [("", "", "sent")]
    assert Greeting.objects.get().status == "sent"


def test_the_admin_log_keeps_no_name_of_the_guest(manager, admin_user):
    guest = GuestFactory(name="龘靐先生")
    LogEntry.objects.log_actions(
        admin_user.pk, [guest], CHANGE, change_message=[{"added": {"name": "related person", "object": "鼗鼙司机"}}]
    )
    guest_anonymise(guest=guest, actor=manager, reason="guest_request")
    entry = LogEntry.objects.get()
    assert "龘" not in entry.object_repr and "鼗鼙" not in entry.change_message


def test_the_audit_event_of_the_anonymisation_holds_no_personal_data(manager):
    guest = GuestFactory(name="龘靐先生", mobile="13912345678")
    guest_anonymise(guest=guest, actor=manager, reason="guest_request")
    event = AuditEvent.objects.get(action=AuditEvent.Action.GUEST_ANONYMISED)
    text = f"{event.target} {event.details}"
    assert "龘" not in text and "5678" not in text and event.target == guest.card_no


# ---- the whole database, on PostgreSQL --------------------------------------------------


SECRETS = {
    "name": "龘靐先生", "honorific": "龘靐总", "mobile": "13912345678", "mobile_head": "1391234",
    "duplicate_mobile": "13987654321", "email": "qzfy2718@example.org", "duplicate_email": "dup2718@example.org",
    "wechat": "wx_qzfy_2718", "address": "滇池路九九九号", "company": "鼗鼙科技有限公司",
    "notes": "喜欢鼗鼙鼓乐", "duplicate_notes": "重复档案夔夔备注", "confidential": "秘闻饕餮",
    "visit_notes": "包间备注魑魅", "corrected_notes": "改过的魍魉", "duplicate_visit": "重复客人的麒麟",
    "complaint": "投诉貔貅", "step": "步骤鸱吻", "followup": "回访狻猊", "tag": "龘靐会员",
    "related_person": "鼗鼙司机", "related_phone": "13811112222", "upload": "上传睚眦",
    "duplicate_person": "蝤蛴秘书",
}  # fmt: skip


def _rich_guest(manager, admin_user):
    today = timezone.localdate()
    guest = GuestFactory(
        name=SECRETS["name"], honorific=SECRETS["honorific"], mobile=SECRETS["mobile"], email=SECRETS["email"],
        wechat=SECRETS["wechat"], address=SECRETS["address"], company=SECRETS["company"], notes=SECRETS["notes"],
        confidential_notes=SECRETS["confidential"], greeting_consent=True, birth_month=today.month,
        birth_day=today.day, tier="A",
    )  # fmt: skip
    duplicate = GuestFactory(name=SECRETS["name"], mobile=SECRETS["duplicate_mobile"], email=SECRETS["duplicate_email"])
    guest_update(guest=duplicate, actor=manager, fields={"notes": SECRETS["duplicate_notes"]})
    record_visit(duplicate, manager, days_ago=30, notes=SECRETS["duplicate_visit"])
    related_person_add(guest=duplicate, actor=manager, name=SECRETS["duplicate_person"], relation="secretary")
    guest = guest_merge(keep=guest, other=duplicate, actor=manager)

    visit = record_visit(guest, manager, notes=SECRETS["visit_notes"], dishes=SECRETS["visit_notes"])
    visit_correct(actor=manager, visit=visit, fields={"notes": SECRETS["corrected_notes"]})
    host = GuestFactory(name="钱多多", referred_by=guest)
    _at_table(host, manager, guest, notes=f"钱总请{SECRETS['name']}，电话{SECRETS['mobile']}")

    complaint = complaint_record(
        actor=manager, guest=guest, fields={"category": "service", "description": SECRETS["complaint"]}
    )
    for action, data in [("accept", {}), ("assign", {"department": "前厅", "assignee": manager}),
                         ("propose", {"cause": SECRETS["complaint"], "remedy": SECRETS["step"]}), ("approve", {}),
                         ("carry_out", {"note": SECRETS["step"]}), ("reaction", {"guest_reaction": SECRETS["step"]}),
                         ("close", {"summary": SECRETS["step"]})]:  # fmt: skip
        complaint = complaint_transition(actor=manager, complaint=complaint, action=action, data=data)

    item = followup(guest, manager, note=SECRETS["followup"])
    followup_complete(actor=manager, followup=item, outcome=SECRETS["followup"])
    followup(guest, manager, days=3, note=SECRETS["followup"])
    with override_settings(KESHI_SMS_SENDER="followups.tests.senders.RecordingSender"):
        greetings_prepare(today=today)
        greetings_send_due()

    guest_update(guest=guest, actor=manager, fields={}, tags=[SECRETS["tag"]])
    related_person_add(guest=guest, actor=manager, name=SECRETS["related_person"], relation="driver",
                       phone=SECRETS["related_phone"])  # fmt: skip
    CardTransfer.objects.create(
        kind=CardTransfer.Kind.IMPORT, status=CardTransfer.Status.CHECKED, file_name=f"{SECRETS['name']}.xlsx",
        data=f"{SECRETS['upload']} {SECRETS['mobile']}".encode(), result={"preview": [{"name": SECRETS["name"]}]},
    )  # fmt: skip
    LogEntry.objects.log_actions(admin_user.pk, [guest], CHANGE, change_message=[{"changed": {"fields": ["name"]}}])
    return guest


def _dump() -> list[tuple[str, str]]:
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT t::text FROM {connection.ops.quote_name(table)} t")
            rows += [(table, row) for (row,) in cursor.fetchall()]
    return rows


def _found(rows) -> list[tuple[str, str]]:
    found = []
    for key, secret in SECRETS.items():
        needles = (secret, secret.encode().hex())  # bytea is cast to text as hex
        found += [(table, key) for table, row in rows if any(needle in row for needle in needles)]
    return found


def test_no_table_holds_a_trace_of_an_anonymised_guest_with_rich_data(postgresql, manager, admin_user):
    guest = _rich_guest(manager, admin_user)
    before = {key for _table, key in _found(_dump())}
    assert before == set(SECRETS), "the fixture must put every distinctive string in the database"

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")

    rows = _dump()
    assert _found(rows) == []
    # The last four digits, where a masked or shortened number would show them.
    assert not [table for table, row in rows if "*5678" in row]
    assert not Guest.history.filter(mobile__endswith="5678").exists()
    assert not Guest.objects.filter(mobile_tail="5678").exists()
    guest.refresh_from_db()
    assert guest.tier == "A" and Visit.objects.filter(guest=guest).count() == 2
    assert Complaint.objects.get(guest=guest).status == "closed"
