"""A waiter sees the guest's mobile masked, on the profile as in the lookup; whoever may change the
guest's record (front desk, managers, admins) sees it whole."""

import pytest
from django.urls import reverse

from guests.rendering import mask_mobile
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db

MOBILE = "13987654321"
MASKED = "139****4321"


@pytest.fixture
def guest():
    return GuestFactory(name="欧阳修", honorific="欧阳局", mobile=MOBILE)


def test_the_mask_keeps_the_first_three_and_the_last_four_digits():
    assert mask_mobile(MOBILE) == MASKED
    assert mask_mobile("+85291234567") == "+85****4567"
    assert mask_mobile("") == ""


def test_a_short_number_typed_before_the_mobile_rule_still_hides_four_digits():
    for short in ("12345", "1234567", "1234567890"):
        masked = mask_mobile(short)
        assert masked.count("*") == 4 and sum(c.isdigit() for c in masked) <= len(short) - 4, short


def test_a_waiter_sees_the_masked_mobile_on_the_profile(client_for, waiter, guest):
    page = client_for(waiter).get(reverse("guests:profile", args=[guest.pk])).content.decode()
    assert f'data-testid="mobile">{MASKED}<' in page and MOBILE not in page


@pytest.mark.parametrize("role", ["front_desk", "manager", "admin_user"])
def test_front_desk_managers_and_admins_see_the_whole_mobile(request, client_for, guest, role):
    page = client_for(request.getfixturevalue(role)).get(reverse("guests:profile", args=[guest.pk])).content.decode()
    assert f'data-testid="mobile">{MOBILE}<' in page


def pages_a_waiter_opens(client, guest):
    """(url, body) of every page a waiter opens about the guest (欧阳…), whole and as htmx fragments."""
    urls = [
        reverse("guests:profile", args=[guest.pk]),
        reverse("guests:edit", args=[guest.pk]),
        reverse("guests:lookup") + "?q=ouyang",
        reverse("visits:create", args=[guest.pk]),
        reverse("visits:complaint_create", args=[guest.pk]),
        reverse("followups:create", args=[guest.pk]),
        reverse("followups:mine"),
    ]
    for url in urls:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(url, **headers)
            assert response.status_code == 200, url
            yield url, response.content.decode()


def test_no_page_a_waiter_opens_about_the_guest_shows_the_whole_mobile(client_for, waiter, guest):
    for url, page in pages_a_waiter_opens(client_for(waiter), guest):
        assert MOBILE not in page, url
