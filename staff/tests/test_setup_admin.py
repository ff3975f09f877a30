"""What an admin sets up on the first day has a screen: outlets with their rooms, message templates."""

import pytest

from followups.models import MessageTemplate
from staff.models import Outlet, Room

pytestmark = pytest.mark.django_db


def test_an_admin_adds_a_room_to_an_outlet_in_the_admin(client_for, admin_user):
    outlet = Outlet.objects.create(name="中餐厅")
    client = client_for(admin_user)
    assert client.get("/admin/staff/room/").status_code == 200
    response = client.post(
        "/admin/staff/room/add/",
        {"outlet": outlet.pk, "name": "牡丹厅", "is_private": "on", "seats": 12, "is_active": "on"},
    )
    assert response.status_code == 302, response.content[:500]
    assert Room.objects.get(outlet=outlet).name == "牡丹厅"


def test_the_outlet_page_lists_its_rooms(client_for, admin_user):
    outlet = Outlet.objects.create(name="中餐厅")
    Room.objects.create(outlet=outlet, name="牡丹厅")
    page = client_for(admin_user).get(f"/admin/staff/outlet/{outlet.pk}/change/")
    assert page.status_code == 200 and "牡丹厅" in page.content.decode()


def test_an_admin_adds_a_message_template_for_a_language_that_has_none(client_for, admin_user):
    MessageTemplate.objects.filter(language="en").delete()
    response = client_for(admin_user).post(
        "/admin/followups/messagetemplate/add/",
        {"occasion": "birthday", "language": "en", "subject": "Happy birthday", "body": "{honorific}, happy birthday!"},
    )
    assert response.status_code == 302, response.content[:500]
    assert MessageTemplate.objects.filter(language="en", subject="Happy birthday").exists()


@pytest.mark.parametrize("role", ["front_desk", "waiter", "manager"])
def test_other_roles_do_not_reach_the_rooms_admin(request, client_for, role):
    user = request.getfixturevalue(role)
    user.is_staff = True
    user.save()
    assert client_for(user).get("/admin/staff/room/").status_code == 403
