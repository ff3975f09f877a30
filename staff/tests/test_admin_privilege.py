"""Only a superuser grants superuser status, permissions of one's own and the admin role; an admin
who is not a superuser grants no role holding more than they hold (the manager's confidential
notes), changes no account holding more than they hold, and raises nobody's roles, their own least."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from conftest import make_user
from staff import roles
from staff.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


def change_url(user) -> str:
    return reverse("admin:staff_user_change", args=[user.pk])


def form_data(user, **extra) -> dict:
    """What the admin's change form posts for `user`, with `extra` on top."""
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
        "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
    }  # fmt: skip
    data.update(extra)
    return data


@pytest.fixture
def superuser(db):
    return make_user("root", None, is_staff=True, is_superuser=True)


@pytest.fixture
def other_admin(db):
    return make_user("admin2", roles.ADMIN, is_staff=True)


def group(name) -> Group:
    return Group.objects.get(name=name)


def test_a_non_superuser_admin_sees_no_superuser_status_no_permissions_and_no_admin_role(client_for, admin_user,
                                                                                         waiter):  # fmt: skip
    page = client_for(admin_user).get(change_url(waiter)).content.decode()
    assert 'name="first_name"' in page
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    assert f'value="{group(roles.FRONT_DESK).pk}"' in page and f'value="{group(roles.ADMIN).pk}"' not in page
    assert f'value="{group(roles.MANAGER).pk}"' not in page  # it reads confidential notes; the admin does not


def test_a_superuser_sees_every_field_and_every_role(client_for, superuser, waiter):
    page = client_for(superuser).get(change_url(waiter)).content.decode()
    assert 'name="is_superuser"' in page and 'name="user_permissions"' in page
    assert f'value="{group(roles.ADMIN).pk}"' in page


def test_a_crafted_post_from_a_non_superuser_admin_grants_no_superuser_status_nor_permissions(client_for, admin_user,
                                                                                              waiter):  # fmt: skip
    permission = Permission.objects.get(codename="view_confidential")
    data = form_data(waiter, last_name="周二", is_superuser="on", is_staff="on", user_permissions=[str(permission.pk)])
    response = client_for(admin_user).post(change_url(waiter), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    waiter.refresh_from_db()
    assert waiter.last_name == "周二"  # the form was saved, without the fields the admin may not set
    assert not waiter.is_superuser and not waiter.is_staff and not waiter.user_permissions.exists()


def test_a_crafted_post_from_a_non_superuser_admin_cannot_give_the_admin_role(client_for, admin_user, waiter):
    data = form_data(waiter, groups=[str(group(roles.WAITER).pk), str(group(roles.ADMIN).pk)])
    response = client_for(admin_user).post(change_url(waiter), data)
    assert response.status_code == 200  # the form again, with the refusal
    assert "errorlist" in response.content.decode()
    assert list(waiter.groups.values_list("name", flat=True)) == [roles.WAITER]


def test_a_non_superuser_admin_gives_a_user_another_role(client_for, admin_user, waiter):
    data = form_data(waiter, groups=[str(group(roles.FRONT_DESK).pk)])
    assert client_for(admin_user).post(change_url(waiter), data).status_code == 302
    assert list(waiter.groups.values_list("name", flat=True)) == [roles.FRONT_DESK]


def test_a_non_superuser_admin_cannot_give_the_manager_role_whose_confidential_notes_they_do_not_read(
    client_for, admin_user, waiter
):
    response = client_for(admin_user).post(change_url(waiter), form_data(waiter, groups=[str(group(roles.MANAGER).pk)]))
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert list(waiter.groups.values_list("name", flat=True)) == [roles.WAITER]


def test_an_admin_who_is_also_a_manager_gives_the_manager_role(client_for, admin_user, waiter):
    admin_user.groups.add(group(roles.MANAGER))
    data = form_data(waiter, groups=[str(group(roles.MANAGER).pk)])
    assert client_for(User.objects.get(pk=admin_user.pk)).post(change_url(waiter), data).status_code == 302
    assert list(waiter.groups.values_list("name", flat=True)) == [roles.MANAGER]


def test_a_non_superuser_admin_cannot_give_themselves_a_role(client_for, admin_user):
    data = form_data(admin_user, groups=[str(group(roles.ADMIN).pk), str(group(roles.MANAGER).pk)])
    client = client_for(admin_user)
    page = client.get(change_url(admin_user)).content.decode()
    assert 'name="groups"' not in page
    client.post(change_url(admin_user), data)
    assert list(admin_user.groups.values_list("name", flat=True)) == [roles.ADMIN]
    assert not User.objects.get(pk=admin_user.pk).has_perm("guests.view_confidential")


@pytest.mark.parametrize("target", ["superuser", "other_admin", "manager"])
def test_a_non_superuser_admin_cannot_change_an_account_holding_more_than_they_hold(request, client_for, admin_user,
                                                                                   target):  # fmt: skip
    target = request.getfixturevalue(target)
    before = User.objects.get(pk=target.pk)
    client = client_for(admin_user)
    assert 'name="last_name"' not in client.get(change_url(target)).content.decode()  # shown read only
    data = form_data(target, last_name="被改", groups=[str(group(roles.WAITER).pk)])
    assert client.post(change_url(target), data).status_code == 403
    password_url = reverse("admin:auth_user_password_change", args=[target.pk])
    assert client.get(password_url).status_code == 403
    assert client.post(password_url, {"password1": "Taken-0ver!", "password2": "Taken-0ver!"}).status_code == 403
    after = User.objects.get(pk=target.pk)
    assert (after.last_name, after.password, after.is_superuser) == (before.last_name, before.password,
                                                                      before.is_superuser)  # fmt: skip
    assert set(after.groups.all()) == set(before.groups.all())
    assert after.check_password(PASSWORD)


def test_a_deactivated_managers_account_cannot_be_reactivated_by_a_non_superuser_admin(client_for, admin_user,
                                                                                      manager):  # fmt: skip
    User.objects.filter(pk=manager.pk).update(is_active=False)
    response = client_for(admin_user).post(change_url(manager), form_data(manager, is_active="on"))
    assert response.status_code == 403 and not User.objects.get(pk=manager.pk).is_active


def test_a_non_superuser_admin_sets_the_password_of_a_waiter(client_for, admin_user, waiter):
    password_url = reverse("admin:auth_user_password_change", args=[waiter.pk])
    response = client_for(admin_user).post(password_url, {"password1": "Waiter-pw-2026", "password2": "Waiter-pw-2026"})
    assert response.status_code == 302
    waiter.refresh_from_db()
    assert waiter.check_password("Waiter-pw-2026")


def test_a_superuser_grants_superuser_status_permissions_and_the_admin_role(client_for, superuser, waiter):
    permission = Permission.objects.get(codename="view_confidential")
    data = form_data(waiter, is_superuser="on", is_staff="on", user_permissions=[str(permission.pk)],
                     groups=[str(group(roles.ADMIN).pk)])  # fmt: skip
    assert client_for(superuser).post(change_url(waiter), data).status_code == 302
    waiter.refresh_from_db()
    assert waiter.is_superuser and waiter.is_staff and list(waiter.user_permissions.all()) == [permission]
    assert list(waiter.groups.values_list("name", flat=True)) == [roles.ADMIN]
