import pytest

from guests.models import Guest
from guests.tasks import refresh_search_keys
from guests.tests.factories import GuestFactory

pytestmark = pytest.mark.django_db


def test_refresh_search_keys_repairs_stale_keys_and_is_idempotent():
    guests = [GuestFactory(name=name, mobile=f"1390000{i:04d}") for i, name in enumerate(["单田芳", "曾国藩", "张伟"])]
    Guest.objects.filter(pk=guests[0].pk).update(name_pinyin="dantianfang", name_initials="dtf")
    assert refresh_search_keys.delay().get() == 1
    assert Guest.objects.get(pk=guests[0].pk).name_pinyin == "shantianfang"
    assert refresh_search_keys.delay().get() == 0


def test_refresh_search_keys_on_an_empty_archive_does_nothing():
    assert refresh_search_keys.delay().get() == 0
