"""Automatic birthday greetings: to consenting guests only, in their words, exactly once."""

import datetime

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from followups.greetings import MAX_ATTEMPTS, greetings_prepare, greetings_send_due, render_greeting
from followups.models import Greeting, GreetingAttempt, MessageTemplate
from followups.tasks import send_birthday_greetings
from followups.tests import senders
from guests.dates import to_lunar
from guests.services import guest_update
from guests.tests.factories import GuestFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recording")]


@pytest.fixture
def recording():
    senders.SENT.clear()
    with override_settings(KESHI_SMS_SENDER="followups.tests.senders.RecordingSender"):
        yield senders.SENT


def birthday_today(**fields):
    today = timezone.localdate()
    return GuestFactory(birth_month=today.month, birth_day=today.day, **{"greeting_consent": True, **fields})


def test_a_consenting_guest_gets_one_sms_on_the_birthday_however_often_the_task_runs(recording):
    guest = birthday_today(honorific="张总")
    send_birthday_greetings.delay()
    send_birthday_greetings.delay()
    assert len(recording) == 1
    to, body, key = recording[0]
    assert to == guest.mobile and body.startswith("张总，生日快乐")
    greeting = Greeting.objects.get()
    assert greeting.status == "sent" and greeting.attempts == 1 and key == f"greeting-{greeting.pk}"
    [entry] = GreetingAttempt.objects.all()
    assert (entry.channel, entry.recipient, entry.outcome) == ("sms", guest.mobile, "sent")


def test_a_lunar_birthday_is_greeted_on_its_solar_date_this_year(recording):
    _year, month, day, leap = to_lunar(timezone.localdate())
    lunar = GuestFactory(
        birth_month=month, birth_day=day, birthday_lunar=True, birthday_leap_month=leap, greeting_consent=True
    )
    GuestFactory(mobile="13800000009", birth_month=month, birth_day=day, greeting_consent=True)  # solar: weeks away
    send_birthday_greetings.delay()
    assert [to for to, _body, _key in recording] == [lunar.mobile]


def test_no_consent_no_message():
    birthday_today(greeting_consent=False)
    assert greetings_prepare() == 0


def test_withdrawing_consent_cancels_the_prepared_greeting_at_once(recording, manager):
    guest = birthday_today()
    assert greetings_prepare() == 1
    guest_update(guest=guest, actor=manager, fields={"greeting_consent": False})
    assert Greeting.objects.get().status == "cancelled"
    assert greetings_send_due()["sent"] == 0
    assert recording == []


def test_consent_found_withdrawn_at_send_time_stops_the_next_run(recording):
    """The last line of defence: whatever path cleared the consent, the send checks it again."""
    guest = birthday_today()
    assert greetings_prepare() == 1
    type(guest).objects.filter(pk=guest.pk).update(greeting_consent=False)
    assert greetings_send_due()["cancelled"] == 1
    assert recording == []
    assert Greeting.objects.get().status == "cancelled"
    assert GreetingAttempt.objects.get().outcome == "skipped"


def test_a_guest_without_a_mobile_is_greeted_by_e_mail_in_english_when_the_name_is_not_chinese(recording):
    birthday_today(name="John Smith", honorific="Mr Smith", mobile="", email="john@example.com")
    send_birthday_greetings.delay()
    assert recording == []
    [message] = mail.outbox
    assert message.to == ["john@example.com"] and message.subject == "Happy birthday, Mr Smith"
    assert GreetingAttempt.objects.get().channel == "email"


def test_admins_edit_the_words_and_unknown_placeholders_are_refused():
    template = MessageTemplate.objects.get(occasion="birthday", language="zh-hans")
    template.body = "{honorific}，{hotel}祝您生日快乐！"
    template.full_clean()
    template.save()
    guest = birthday_today(honorific="李局")
    assert render_greeting(guest)[1].startswith("李局，本店祝您生日快乐")
    template.body = "{honorific}，{age}岁生日快乐"
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        template.full_clean()
    assert "age" in str(error.value)


@override_settings(KESHI_SMS_SENDER="followups.tests.senders.FailingSender")
def test_a_failed_send_is_logged_retried_with_backoff_and_finally_marked_failed():
    birthday_today()
    greetings_prepare()
    assert greetings_send_due() == {"sent": 0, "failed": 0, "retry": 1, "cancelled": 0}
    greeting = Greeting.objects.get()
    assert greeting.status == "pending" and greeting.next_attempt_at > timezone.now()
    assert greetings_send_due()["retry"] == 0  # not due yet: backoff
    waits = []
    while greeting.status == "pending":
        waits.append(greeting.next_attempt_at - timezone.now())
        Greeting.objects.filter(pk=greeting.pk).update(next_attempt_at=timezone.now())
        greetings_send_due()
        greeting.refresh_from_db()
    assert greeting.status == "failed" and greeting.attempts == MAX_ATTEMPTS
    assert all(later > earlier for earlier, later in zip(waits, waits[1:], strict=False))
    assert GreetingAttempt.objects.filter(outcome="failed").count() == MAX_ATTEMPTS
    assert "503" in GreetingAttempt.objects.first().detail


def test_an_anonymised_guest_is_not_greeted(recording, manager):
    guest = birthday_today()
    greetings_prepare()
    from guests.services import guest_anonymise

    guest_anonymise(guest=guest, actor=manager, reason="guest_request")
    greetings_send_due()
    assert recording == []


def test_yesterdays_greeting_is_a_different_occasion_from_todays():
    guest = birthday_today()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Greeting.objects.create(
        guest=guest, occasion=f"birthday:{yesterday}", next_attempt_at=timezone.now(), created_at=timezone.now()
    )
    assert greetings_prepare() == 1
