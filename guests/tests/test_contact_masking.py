"""A waiter needs the guest's taboos and tastes at the table, not the means to reach them: on the profile
the landline, WeChat id, e-mail, street address and the related people's phones are masked like the
mobile. Whoever may change the guest's record (front desk, managers, admins) sees them whole."""

import pytest
from django.urls import reverse

from guests.models import RelatedPerson
from guests.rendering import mask_email, mask_handle, mask_mobile
from guests.tests.factories import GuestFactory
from guests.tests.test_mobile_masking import pages_a_waiter_opens

pytestmark = pytest.mark.django_db

LANDLINE = "010-62345678"
WECHAT = "ouyang_xiu1007"
EMAIL = "ouyangxiu@songdynasty.cn"
ADDRESS = "朝阳区建国路88号"
DRIVER_PHONE = "13811112222"
WHOLE = (LANDLINE, WECHAT, EMAIL, ADDRESS, DRIVER_PHONE, "ouyangxiu@")


@pytest.fixture
def guest():
    guest = GuestFactory(name="欧阳修", honorific="欧阳局", landline=LANDLINE, wechat=WECHAT, email=EMAIL,
                         region="北京", address=ADDRESS)  # fmt: skip
    RelatedPerson.objects.create(guest=guest, name="老李", relation="driver", phone=DRIVER_PHONE)
    return guest


def test_a_handle_keeps_at_most_its_first_two_and_last_two_characters():
    assert mask_handle(WECHAT) == "ou****07"
    assert mask_handle("wx1234") == "w****"
    assert mask_handle("ab") == "****"
    assert mask_handle("") == ""


def test_an_email_keeps_its_first_letter_and_its_domain():
    assert mask_email(EMAIL) == "o****@songdynasty.cn"
    assert mask_email("a@b.cn") == "****@b.cn"
    assert mask_email("not-an-address") == mask_handle("not-an-address")
    assert mask_email("") == ""


def test_a_waiter_sees_every_contact_of_the_guest_masked_on_the_profile(client_for, waiter, guest):
    page = client_for(waiter).get(reverse("guests:profile", args=[guest.pk])).content.decode()
    assert f'data-testid="landline">{mask_mobile(LANDLINE)}<' in page
    assert f'data-testid="wechat">{mask_handle(WECHAT)}<' in page
    assert f'data-testid="email">{mask_email(EMAIL)}<' in page
    assert mask_mobile(DRIVER_PHONE) in page and "老李" in page
    assert 'data-testid="address">北京<' in page
    for whole in WHOLE:
        assert whole not in page, whole


@pytest.mark.parametrize("role", ["front_desk", "manager", "admin_user"])
def test_front_desk_managers_and_admins_see_every_contact_whole(request, client_for, guest, role):
    page = client_for(request.getfixturevalue(role)).get(reverse("guests:profile", args=[guest.pk])).content.decode()
    assert f'data-testid="landline">{LANDLINE}<' in page
    assert f'data-testid="wechat">{WECHAT}<' in page
    assert f'data-testid="email">{EMAIL}<' in page
    assert f'data-testid="address">北京 {ADDRESS}<' in page
    assert DRIVER_PHONE in page


def test_no_page_a_waiter_opens_about_the_guest_shows_a_contact_whole(client_for, waiter, guest):
    for url, page in pages_a_waiter_opens(client_for(waiter), guest):
        for whole in WHOLE:
            assert whole not in page, (url, whole)
