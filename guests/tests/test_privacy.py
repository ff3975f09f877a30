"""PIPL on the profile: withdrawing consent to greetings is one action, recorded with who and when."""

import threading

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from followups.greetings import greetings_send_due
from followups.models import Greeting
from guests.models import Guest
from guests.services import guest_consent_withdraw
from guests.tests.factories import GuestFactory
from staff.models import AuditEvent

pytestmark = pytest.mark.django_db


def consenting_guest(**fields):
    return GuestFactory(greeting_consent=True, **fields)


def greeting(guest, occasion, status=Greeting.Status.PENDING):
    now = timezone.now()
    return Greeting.objects.create(guest=guest, occasion=occasion, status=status, next_attempt_at=now, created_at=now)


@pytest.mark.parametrize("role", ["front_desk", "waiter", "manager", "admin_user"])
def test_any_member_of_staff_withdraws_a_guests_consent_from_the_profile(request, client_for, role):
    user = request.getfixturevalue(role)
    guest = consenting_guest()
    pending, sent = greeting(guest, "birthday:2026-12-02"), greeting(guest, "birthday:2025-12-02", "sent")
    response = client_for(user).post(reverse("guests:consent_withdraw", args=[guest.pk]))
    assert response.status_code == 302 and response.url == reverse("guests:profile", args=[guest.pk])
    guest.refresh_from_db()
    assert guest.greeting_consent is False and guest.consent_recorded_by == user
    assert timezone.now() - guest.consent_recorded_at < timezone.timedelta(minutes=1)
    pending.refresh_from_db(), sent.refresh_from_db()
    assert (pending.status, sent.status) == ("cancelled", "sent")
    latest = guest.history.first()
    assert latest.history_user == user and latest.greeting_consent is False
    assert latest.history_change_reason in ("已撤回接收问候的同意", "Consent to greetings withdrawn")
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.CONSENT_WITHDRAWN)
    assert (event.actor, event.target, event.details) == (user, guest.card_no, {"greetings_cancelled": 1})


def test_someone_who_may_not_see_guests_cannot_withdraw_their_consent(client_for):
    stranger = make_user("stranger", None)
    guest = consenting_guest()
    response = client_for(stranger).post(reverse("guests:consent_withdraw", args=[guest.pk]))
    assert response.status_code == 403
    assert Guest.objects.get(pk=guest.pk).greeting_consent is True
    assert not AuditEvent.objects.exists()


def test_a_withdrawal_is_refused_by_the_service_to_a_user_without_the_view_permission():
    stranger = make_user("stranger", None)
    stranger.user_permissions.add(Permission.objects.get(codename="change_guest"))
    guest = consenting_guest()
    with pytest.raises(PermissionDenied):
        guest_consent_withdraw(guest=guest, actor=stranger)
    assert Guest.objects.get(pk=guest.pk).greeting_consent is True


def test_the_withdraw_button_shows_only_while_the_guest_consents(client_for, waiter):
    guest = consenting_guest()
    client = client_for(waiter)
    page = client.get(reverse("guests:profile", args=[guest.pk])).content.decode()
    assert 'data-testid="withdraw-consent"' in page and reverse("guests:consent_withdraw", args=[guest.pk]) in page
    client.post(reverse("guests:consent_withdraw", args=[guest.pk]))
    page = client.get(reverse("guests:profile", args=[guest.pk])).content.decode()
    assert 'data-testid="withdraw-consent"' not in page


def test_withdrawing_twice_says_there_is_nothing_to_withdraw_and_records_once(client_for, front_desk):
    guest = consenting_guest()
    client = client_for(front_desk)
    client.post(reverse("guests:consent_withdraw", args=[guest.pk]))
    response = client.post(reverse("guests:consent_withdraw", args=[guest.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "nothing to withdraw" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONSENT_WITHDRAWN).count() == 1


def test_an_anonymised_guest_has_no_consent_to_withdraw(manager):
    guest = consenting_guest()
    Guest.objects.filter(pk=guest.pk).update(anonymised_at=timezone.now())
    with pytest.raises(ValidationError, match="anonymised"):
        guest_consent_withdraw(guest=guest, actor=manager)


def test_an_old_record_that_no_longer_validates_does_not_block_the_withdrawal(waiter):
    guest = consenting_guest()
    Guest.objects.filter(pk=guest.pk).update(mobile="12345")  # typed before today's mobile rule
    guest_consent_withdraw(guest=guest, actor=waiter)
    guest.refresh_from_db()
    assert guest.greeting_consent is False and guest.mobile == "12345"


def test_after_the_withdrawal_the_pending_birthday_greeting_is_never_sent(waiter):
    guest = consenting_guest()
    greeting(guest, f"birthday:{timezone.localdate().isoformat()}")
    guest_consent_withdraw(guest=guest, actor=waiter)
    assert greetings_send_due() == {"sent": 0, "failed": 0, "retry": 0, "cancelled": 0}
    assert Greeting.objects.get().status == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_two_withdrawals_at_the_same_moment_record_one(postgresql, front_desk, waiter):
    guest = consenting_guest()
    barrier, outcomes = threading.Barrier(2), []

    def withdraw(actor):
        try:
            barrier.wait()
            guest_consent_withdraw(guest=guest, actor=actor)
            outcomes.append("withdrawn")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=withdraw, args=(actor,)) for actor in (front_desk, waiter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "withdrawn"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONSENT_WITHDRAWN).count() == 1
    assert guest.history.filter(greeting_consent=False).count() == 1


def test_unticking_consent_on_the_edit_form_cancels_the_pending_greetings_too(front_desk):
    from guests.services import guest_update

    guest = consenting_guest()
    pending = greeting(guest, "birthday:2026-12-03")
    guest_update(guest=guest, actor=front_desk, fields={"greeting_consent": False})
    pending.refresh_from_db()
    assert pending.status == Greeting.Status.CANCELLED
    guest.refresh_from_db()
    assert guest.consent_recorded_by == front_desk and guest.consent_recorded_at is not None
