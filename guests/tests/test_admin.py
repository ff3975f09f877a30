import pytest
from django.urls import reverse

from guests.models import Guest

pytestmark = pytest.mark.django_db


def test_admin_adds_a_guest_through_the_same_service(client, admin_user):
    client.force_login(admin_user, backend="staff.backends.CachedPermissionBackend")
    response = client.post(
        reverse("admin:guests_guest_add"),
        {
            "card_no": "KS900001",
            "tier": "B",
            "name": "欧阳娜娜",
            "mobile": "138 0000 0001",
            "source": "walk_in",
            "related_people-TOTAL_FORMS": "0",
            "related_people-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    guest = Guest.objects.get()
    assert (guest.surname, guest.name_pinyin, guest.mobile) == ("欧阳", "ouyangnana", "13800000001")
    assert guest.created_by == admin_user and guest.history.first().history_user == admin_user


def test_guests_cannot_be_deleted_in_the_admin(client, admin_user):
    client.force_login(admin_user, backend="staff.backends.CachedPermissionBackend")
    guest = Guest.objects.create(card_no="KS1", name="张伟", surname="张")
    assert client.get(reverse("admin:guests_guest_delete", args=[guest.pk])).status_code == 403
