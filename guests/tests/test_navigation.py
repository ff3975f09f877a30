"""The Excel menu offers each person exactly the card downloads and imports they may use."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def menu_of(client):
    return client.get(reverse("guests:lookup")).content.decode()


@pytest.mark.parametrize("role", ["waiter", "front_desk", "manager", "admin_user"])
def test_everyone_logged_in_finds_the_blank_card_template_in_the_menu(request, client_for, role):
    html = menu_of(client_for(request.getfixturevalue(role)))
    assert reverse("guests:card_template") in html


@pytest.mark.parametrize("role", ["waiter", "front_desk", "manager"])
def test_only_admins_see_bulk_export_and_import_in_the_menu(request, client_for, role):
    html = menu_of(client_for(request.getfixturevalue(role)))
    for name in ("guests:cards_export", "guests:register_export", "guests:card_import"):
        assert reverse(name) not in html


def test_an_admin_reaches_bulk_export_register_and_import_from_the_menu(client_for, admin_user):
    client = client_for(admin_user)
    html = menu_of(client)
    for name in ("guests:cards_export", "guests:register_export", "guests:card_import"):
        assert reverse(name) in html
    assert client.get(reverse("guests:card_import")).status_code == 200
    assert client.get(reverse("guests:cards_export")).status_code == 200


def test_the_excel_menu_speaks_chinese(client_for, admin_user):
    html = menu_of(client_for(admin_user))
    assert "空白客史卡模板" in html and "导入客史卡和名册" in html
