"""The follow-up admin only reads, and its one write (mark done) goes through the service."""

import pytest
from django.urls import reverse

from followups.models import FollowUp
from followups.tests.factories import followup
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db


def test_an_admin_marks_follow_ups_done_through_the_service(client_for, admin_user, manager):
    pending = followup(GuestFactory(), manager)
    response = client_for(admin_user).post(
        reverse("admin:followups_followup_changelist"), {"action": "mark_done", "_selected_action": [pending.pk]}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.completed_by) == (FollowUp.Status.DONE, admin_user)


def test_an_admin_reads_a_follow_up_but_cannot_add_change_or_delete_it_past_the_services(
    client_for, admin_user, manager
):
    pending = followup(GuestFactory(), manager, note="原样")
    client = client_for(admin_user)
    change = reverse("admin:followups_followup_change", args=[pending.pk])
    assert client.get(change).status_code == 200  # read only
    client.post(change, {"note": "改过", "status": "skipped", "kind": "other", "due_on": "2030-01-01"})
    assert client.get(reverse("admin:followups_followup_add")).status_code == 403
    assert (
        client.post(reverse("admin:followups_followup_delete", args=[pending.pk]), {"post": "yes"}).status_code == 403
    )
    pending.refresh_from_db()
    assert (pending.note, pending.status) == ("原样", FollowUp.Status.OPEN)
