"""The profile's fields read alike: an empty one shows —, a date is one unbreakable piece."""

import re

import pytest
from django.urls import reverse

from guests.tests.factories import GuestFactory
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db


def address_shown(client, guest):
    html = client.get(reverse("guests:profile", args=[guest.pk])).content.decode()
    return re.search(r'data-testid="address">(.*?)</dd>', html, re.S).group(1).strip()


def test_an_empty_address_shows_a_dash_like_every_other_empty_field(client_for, front_desk):
    guest = GuestFactory(name="李想", region="", address="")
    assert address_shown(client_for(front_desk), guest) == "—"


def test_an_address_shows_its_region_and_street(client_for, front_desk):
    client = client_for(front_desk)
    assert (
        address_shown(client, GuestFactory(name="李想", region="北京市朝阳区", address="建国路1号"))
        == "北京市朝阳区 建国路1号"
    )
    assert address_shown(client, GuestFactory(name="李念", region="", address="建国路2号")) == "建国路2号"


def test_first_and_last_visit_are_each_kept_on_one_line(client_for, front_desk, waiter):
    guest = GuestFactory(name="李想")
    record_visit(guest, waiter, days_ago=30)
    record_visit(guest, waiter, days_ago=1)
    html = client_for(front_desk).get(reverse("guests:profile", args=[guest.pk])).content.decode()
    figures = html.split('data-testid="figures"')[1].split("</section>")[0]
    assert len(re.findall(r'<span class="date">\d{4}-\d{2}-\d{2}</span>', figures)) == 2
