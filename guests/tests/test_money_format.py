"""Money reads one way wherever it is shown: ¥1,888.00."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from guests.templatetags.money import format_money
from guests.tests.factories import GuestFactory
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1888"), "¥1,888.00"),
        (Decimal("1888.005"), "¥1,888.01"),
        (1234567.891, "¥1,234,567.89"),
        (0, "¥0.00"),
        ("950.5", "¥950.50"),
        (Decimal("-12.5"), "-¥12.50"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_money_is_shown_with_yuan_sign_grouping_and_two_decimals(value, shown):
    assert format_money(value) == shown
    assert Template("{% load money %}{{ value|money }}").render(Context({"value": value})) == shown


@override_settings(USE_THOUSAND_SEPARATOR=True)
@pytest.mark.parametrize("language", ["zh-hans", "en", "de"])
def test_money_reads_the_same_in_every_language(language):
    with translation.override(language):
        assert format_money(Decimal("1888")) == "¥1,888.00"


def test_a_text_that_is_not_an_amount_is_shown_as_it_is():
    assert format_money("n/a") == "n/a"


@pytest.fixture
def big_spender(waiter):
    guest = GuestFactory(name="钱多多", honorific="钱总", tier="A")
    record_visit(guest, waiter, days_ago=2, spend="1888.00", party=2)
    return guest


def test_the_profile_and_the_reports_show_the_same_visit_alike(client_for, manager, big_spender):
    client = client_for(manager)
    profile = client.get(reverse("guests:profile", args=[big_spender.pk])).content.decode()
    week = {"date_from": (timezone.localdate() - datetime.timedelta(days=7)).isoformat()}
    report = client.get(reverse("reports:top_spenders"), week).content.decode()
    visits = client.get(reverse("visits:list")).content.decode()
    for page in (profile, report, visits):
        assert "¥1,888.00" in page
        assert "¥1888" not in page
    assert profile.count("¥1,888.00") >= 2  # the 12-month figure and the visit in the timeline


def test_the_top_spender_chart_says_its_figures_are_money(client_for, manager, big_spender):
    week = {"date_from": (timezone.localdate() - datetime.timedelta(days=7)).isoformat()}
    response = client_for(manager).get(reverse("reports:top_spenders"), week)
    assert response.context["chart"]["money"] is True
    assert response.context["chart"]["datasets"][0]["data"] == [1888.0]
