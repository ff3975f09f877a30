"""The guests' change history in the admin: an admin reads it, nobody reverts a guest to it.

A revert replays every field of an old version at once — a withdrawn consent, the allergy a
merge brought in, a tier a manager confirmed — without anyone choosing each change, so the
history is read-only and a guest is changed through its form, one checked change at a time.
"""

import pytest
from django.urls import reverse
from django.utils import translation

from guests.models import Guest
from guests.services import guest_anonymise, guest_merge, guest_update
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db


def history_form(guest_id, record):
    return reverse("admin:guests_guest_simple_history", args=[guest_id, record.history_id])


def old_values(record):
    """The form of an old version as a browser submits it on 'Revert'."""
    return {"card_no": record.card_no, "name": record.name, "surname": record.surname, "tier": record.tier,
            "source": record.source, "mobile": record.mobile, "allergies": record.allergies,
            "greeting_consent": "on" if record.greeting_consent else "", "_save": "Revert"}  # fmt: skip


def message_texts(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def merged(admin_user):
    keep = GuestFactory(name="李明", mobile="13900000001")
    other = GuestFactory(name="李明", mobile="13900000002", allergies="花生")
    other_id = other.pk
    before_merge = keep.history.latest("history_date")
    guest_merge(keep=keep, other=other, actor=admin_user)
    return {"keep": Guest.objects.get(pk=keep.pk), "other_id": other_id, "keep_before": before_merge}


def test_reverting_a_merged_away_guest_is_refused_with_a_message_and_brings_nothing_back(
    client_for, admin_user, merged
):
    client = client_for(admin_user)
    record = Guest.history.filter(id=merged["other_id"]).earliest("history_date")
    with translation.override("en"):
        response = client.post(
            history_form(merged["other_id"], record), old_values(record), follow=True, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("admin:guests_guest_history", args=[merged["other_id"]])
    assert message_texts(response) == [
        "This record was merged into another guest: its history can be read, not restored."
    ]
    assert not Guest.objects.filter(pk=merged["other_id"]).exists()
    assert Guest.objects.count() == 1


def test_a_merged_away_guest_s_old_version_can_still_be_read(client_for, admin_user, merged):
    record = Guest.history.filter(id=merged["other_id"]).earliest("history_date")
    response = client_for(admin_user).get(history_form(merged["other_id"], record), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


def test_reverting_the_kept_guest_to_before_the_merge_is_refused_and_keeps_what_the_merge_brought(
    client_for, admin_user, merged
):
    record = merged["keep_before"]
    with translation.override("en"):
        response = client_for(admin_user).post(
            history_form(merged["keep"].pk, record), old_values(record), follow=True, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert message_texts(response) == [
        "The history is read-only: change the guest in its form, where each change is checked."
    ]
    assert Guest.objects.get(pk=merged["keep"].pk).allergies == "花生"


def test_reverting_an_anonymised_guest_is_refused_and_brings_no_personal_data_back(client_for, admin_user):
    guest = GuestFactory(name="王芳", mobile="13900000003")
    record = guest.history.latest("history_date")
    guest_anonymise(guest=guest, actor=admin_user, reason="guest_request")
    with translation.override("en"):
        response = client_for(admin_user).post(
            history_form(guest.pk, record), old_values(record), follow=True, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert message_texts(response) == ["This guest is anonymised: an old version cannot be brought back."]
    guest.refresh_from_db()
    assert guest.is_anonymised and (guest.name, guest.mobile) == ("", "")


def test_a_revert_posted_by_hand_changes_nothing_on_a_live_guest(client_for, admin_user):
    guest = GuestFactory(name="赵强", mobile="13900000004", greeting_consent=True)
    record = guest.history.latest("history_date")
    guest_update(guest=guest, actor=admin_user, fields={"greeting_consent": False, "mobile": "13900000005"})
    with translation.override("en"):
        response = client_for(admin_user).post(
            history_form(guest.pk, record), old_values(record), follow=True, HTTP_ACCEPT_LANGUAGE="en"
        )
    # Before, the admin said "changed successfully" and applied only what differed from the old version.
    assert message_texts(response) == [
        "The history is read-only: change the guest in its form, where each change is checked."
    ]
    guest.refresh_from_db()
    assert (guest.greeting_consent, guest.mobile) == (False, "13900000005")


def test_the_history_offers_no_revert_button(client_for, admin_user):
    guest = GuestFactory(name="钱多")
    record = guest.history.latest("history_date")
    response = client_for(admin_user).get(history_form(guest.pk, record), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200 and 'name="_save"' not in html and "Revert" not in html
    listing = client_for(admin_user).get(reverse("admin:guests_guest_history", args=[guest.pk]))
    assert listing.status_code == 200
