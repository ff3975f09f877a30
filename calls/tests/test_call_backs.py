"""A missed call from a known guest is a follow-up to call them back: one a day per guest, on their
owner's list; calling back from either the missed calls page or the follow-up settles both."""

import pytest
from django.urls import reverse

from calls.models import PhoneCall
from calls.services import call_back_done
from followups.models import FollowUp
from followups.rules import rules_run
from followups.services import followup_complete

from .test_calls import report

pytestmark = pytest.mark.django_db
K = FollowUp.Kind


def call_backs(guest):
    return list(FollowUp.objects.filter(guest=guest, kind=K.CALL_BACK))


def test_a_missed_call_of_a_known_guest_is_a_call_back_follow_up_once_a_day(client, api_key, zhang, manager,
                                                                          django_capture_on_commit_callbacks):  # fmt: skip
    zhang.owner = manager
    zhang.save(update_fields=["owner"])
    headers = api_key("calls:write")
    with django_capture_on_commit_callbacks(execute=True):
        report(client, headers, answered=False)
        report(client, headers, answered=False, number="138-0000-6789")  # his secretary, a minute later
        report(client, headers, answered=False, number="13700000000")  # nobody the archive knows
        report(client, headers, answered=True, number="13911112345")
    [followup] = call_backs(zhang)
    assert (followup.channel, followup.owner, followup.status) == ("call", manager, "open")
    assert "13911112345" in followup.note and "138-0000-6789" in followup.note
    assert FollowUp.objects.filter(kind=K.CALL_BACK).count() == 1
    assert rules_run(kinds=[K.CALL_BACK]) == {K.CALL_BACK: 0}


def test_calling_back_from_the_missed_calls_page_settles_the_follow_up(client, api_key, zhang, front_desk):
    report(client, api_key("calls:write"), answered=False)
    rules_run(kinds=[K.CALL_BACK])
    call_back_done(actor=front_desk, call=PhoneCall.objects.get())
    rules_run(kinds=[K.CALL_BACK])
    [followup] = call_backs(zhang)
    assert followup.status == "done" and followup.outcome


def test_completing_the_follow_up_marks_the_day_s_missed_calls_called_back(client, client_for, api_key, zhang,
                                                                         front_desk):  # fmt: skip
    report(client, api_key("calls:write"), answered=False)
    report(client, api_key("calls:write"), answered=False, number="138-0000-6789")
    rules_run(kinds=[K.CALL_BACK])
    followup_complete(actor=front_desk, followup=call_backs(zhang)[0], outcome="订了周五的包间")
    assert not PhoneCall.objects.filter(called_back_at__isnull=True).exists()
    assert set(PhoneCall.objects.values_list("called_back_by", flat=True)) == {front_desk.pk}
    page = client_for(front_desk).get(reverse("calls:missed")).content.decode()
    assert 'data-testid="missed-call"' not in page
