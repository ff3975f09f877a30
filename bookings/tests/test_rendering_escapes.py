"""The board, the week and the service sheet build their cells' HTML in Python (bookings.board.Cell.html,
bookings.sheet.SheetRow.html): what the desk typed about a guest is shown as text there, never as markup."""

import re

import pytest
from django.urls import reverse

from guests.models import Guest
from guests.tests.factories import GuestFactory
from visits.tests.factories import outlet

from .factories import book, room, tomorrow

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SCRIPT = "<script>x()</script>"  # an honorific holds 20 characters
ESCAPED = "&lt;script&gt;x()&lt;/script&gt;"


@pytest.fixture
def scripted(front_desk):
    """Tomorrow's dinner in 牡丹厅 for a guest whose honorific, taboos and special requests are markup."""
    guest = GuestFactory(honorific=SCRIPT, name="张伟", tier="A")
    Guest.objects.filter(pk=guest.pk).update(taboos="<b>不吃香菜</b>")
    return book(front_desk, guest, [room("牡丹厅")], special_requests="<img src=x onerror=alert(1)>")


def body(client, name, **params) -> str:
    response = client.get(reverse(name), params, **EN)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ["front_desk", "waiter"])
def test_the_board_shows_a_scripted_honorific_as_text_in_the_table_and_the_phone_list(request, client_for, scripted,
                                                                                      role):  # fmt: skip
    page = body(client_for(request.getfixturevalue(role)), "bookings:board", outlet=outlet().pk,
                date=tomorrow().isoformat())  # fmt: skip
    assert SCRIPT not in page
    table, phones = page.split('data-testid="board-table"')[1].split('data-testid="board-list"')
    assert ESCAPED in table and ESCAPED in phones.split('data-testid="legend"')[0]


def test_the_week_shows_a_scripted_honorific_as_text(client_for, front_desk, scripted):
    page = body(client_for(front_desk), "bookings:week", outlet=outlet().pk, date=tomorrow().isoformat(),
                meal_period="dinner")  # fmt: skip
    assert SCRIPT not in page and page.count(ESCAPED) == 2  # the table and the list for phones


def test_the_service_sheet_shows_a_scripted_host_taboo_and_request_as_text_taboo_still_red(client_for, manager,
                                                                                          scripted):  # fmt: skip
    page = body(client_for(manager), "service:sheet", outlet=outlet().pk, date=tomorrow().isoformat(), meal="dinner")
    assert SCRIPT not in page and "<b>不吃香菜</b>" not in page and "<img src=x" not in page
    assert re.search(r'<td data-column="host">' + re.escape(ESCAPED) + " 张伟</td>", page)
    assert '<tr class="prominent"><th scope="row" data-testid="sheet-column">Taboos</th>' \
           '<td data-column="taboos">&lt;b&gt;不吃香菜&lt;/b&gt;</td>' in page  # fmt: skip
    assert '<td data-column="requests">&lt;img src=x onerror=alert(1)&gt;</td>' in page
