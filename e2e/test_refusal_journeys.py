"""A refusal in the browser: the message in place of the row, nothing of the record behind it.

Conventions as in test_guest_journeys: committed data (transactional db), selectors by
name and data-testid, never by translated text.
"""

import pytest
from playwright.sync_api import expect

from followups.models import FollowUp
from followups.tests.factories import followup
from guests.tests.factories import GuestFactory

from .test_guest_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "问问上次宴请是否满意"


def test_a_follow_up_given_to_someone_else_meanwhile_is_refused_with_the_message_alone(
    page, live_server, waiter, manager
):
    guest = GuestFactory(name="张伟", honorific="张总", mobile="13912345678", tier="A")
    item = followup(guest, waiter, note=NOTE)
    log_in(page, live_server, waiter.username)
    page.goto(f"{live_server.url}/followups/")
    row = page.get_by_test_id(f"followup-{item.pk}")
    expect(row).to_contain_text(NOTE)

    FollowUp.objects.filter(pk=item.pk).update(owner=manager)  # the manager took it while the list was open
    with page.expect_response(lambda response: response.url.endswith(f"/followups/{item.pk}/done/")) as answer:
        row.get_by_test_id("done").click()
    assert answer.value.status == 403
    refused = page.get_by_test_id(f"followup-{item.pk}")
    expect(refused.get_by_test_id("row-error")).to_be_visible()
    expect(refused).not_to_contain_text(NOTE)
    expect(refused.locator("form")).to_have_count(0)
    item.refresh_from_db()
    assert (item.status, item.owner) == (FollowUp.Status.OPEN, manager)
