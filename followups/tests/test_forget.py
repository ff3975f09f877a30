"""The follow-ups app forgets a guest, and its logs never carry a guest's number or message."""

import pytest
from django.test import override_settings
from django.utils import timezone

from followups.greetings import greetings_prepare, greetings_send_due
from followups.models import FollowUp
from followups.senders import LoggingSmsSender, mobile_for_log
from followups.services import followups_forget_guest
from followups.tests.factories import followup
from guests.services import guest_merge
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db


def test_an_sms_log_line_shows_the_last_four_digits_and_no_message_text(caplog):
    with caplog.at_level("INFO", logger="followups.senders"):
        LoggingSmsSender().send(to="13912345678", subject="", body="龘靐先生，生日快乐", idempotency_key="greeting-7")
    assert "*******5678" in caplog.text and "1391234" not in caplog.text
    assert "生日快乐" not in caplog.text and "龘靐" not in caplog.text and "greeting-7" in caplog.text


def test_a_masked_number_keeps_only_its_last_four_digits():
    assert (mobile_for_log("+8613912345678"), mobile_for_log("139"), mobile_for_log("")) == ("*********5678", "139", "")


@override_settings(KESHI_SMS_SENDER="followups.senders.LoggingSmsSender")
def test_sending_a_greeting_logs_no_mobile_and_no_message_text(caplog):
    today = timezone.localdate()
    GuestFactory(honorific="龘总", mobile="13912345678", greeting_consent=True, birth_month=today.month,
                 birth_day=today.day)  # fmt: skip
    greetings_prepare(today=today)
    with caplog.at_level("DEBUG"):
        assert greetings_send_due()["sent"] == 1
    assert "5678" in caplog.text
    assert "1391234" not in caplog.text and "龘总" not in caplog.text


def test_the_history_of_follow_ups_that_came_with_a_merged_record_is_forgotten(manager):
    keep, other = GuestFactory(), GuestFactory()
    came = followup(other, manager, note="鼗鼙回访")
    came.note = "鼗鼙回访二"
    came.save()  # a change, so the history holds the note under the merged record's id
    guest_merge(keep=keep, other=other, actor=manager)
    assert FollowUp.history.filter(note__contains="鼗鼙").exists()

    followups_forget_guest(guest=keep)

    assert not FollowUp.history.exists()
    assert FollowUp.objects.get().note == ""
