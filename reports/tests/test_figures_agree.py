"""A guest's 12-month figures are the same on the profile, in the register export and on the review line.

One crafted guest, seen on 15 June 2025 at 14:00 in Shanghai, with visits on both sides of each edge
of the window: the 365 local days that end with that day, from 16 June 2024 00:00 (+08:00) up to, not
including, 16 June 2025 00:00. Two of the visits fall on the other side of an edge in UTC, one is free,
and the guest also sat at another guest's table, which is the host's visit, not theirs.
"""

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from guests.cards.export import register_fields, register_rows
from guests.tests.factories import GuestFactory
from reports.models import ReviewLine
from reports.review import review_compute, review_start
from visits.selectors import guest_figures
from visits.services import visit_record
from visits.tests.factories import outlet, record_visit

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2025, 6, 15)
NOW = datetime.datetime(2025, 6, 15, 14, 0, tzinfo=SHANGHAI)

INSIDE = {
    "the window's first moment, exactly 365 days before its end": (datetime.datetime(2024, 6, 16, 0, 0), "100"),
    "the first morning, still 15 June in UTC": (datetime.datetime(2024, 6, 16, 7, 30), "20"),
    "free of charge": (datetime.datetime(2025, 1, 10, 12, 0), "0"),
    "the last second of today, after the moment of looking": (datetime.datetime(2025, 6, 15, 23, 59, 59), "3000"),
}
OUTSIDE = {
    "the second before the window, after the time of day of looking a year earlier": (
        datetime.datetime(2024, 6, 15, 23, 59, 59),
        "400",
    ),
    "the window's end, midnight after today": (datetime.datetime(2025, 6, 16, 0, 0), "50000"),
    "tomorrow morning, still today in UTC": (datetime.datetime(2025, 6, 16, 7, 30), "6000"),
}
EXPECTED = (Decimal("3120"), 4)  # spend, visits: the INSIDE visits only


@pytest.fixture(autouse=True)
def in_shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.fixture
def crafted(waiter):
    guest, other = GuestFactory(mobile="13100000001"), GuestFactory(name="李娜", mobile="13100000002")
    for at, spend in (*INSIDE.values(), *OUTSIDE.values()):
        record_visit(guest, waiter, at=at.replace(tzinfo=SHANGHAI), spend=spend, party=2)
    fields = {"outlet": outlet(), "visited_at": datetime.datetime(2025, 3, 1, 19, 0, tzinfo=SHANGHAI),
              "meal_period": "dinner", "party_size": 6, "spend": Decimal("700000")}  # fmt: skip
    visit_record(actor=waiter, guest=other, fields=fields, companions=[guest])
    return guest


def test_the_profile_counts_the_365_local_days_that_end_with_today(crafted):
    figures = guest_figures(guest=crafted, now=NOW)
    assert (figures.spend_12m, figures.visits_12m) == EXPECTED


def test_the_register_row_shows_the_profiles_twelve_month_figures(crafted):
    keys = [field.key for field in register_fields(confidential=True)]
    row = next(r for r in register_rows(confidential=True, now=NOW) if r[keys.index("card_no")] == crafted.card_no)
    assert (row[keys.index("spend_12m")], row[keys.index("visits_12m")]) == EXPECTED


def test_the_review_line_of_today_has_the_profiles_twelve_month_figures(crafted):
    review, _created = review_start(today=TODAY)
    review_compute(review_id=review.pk)
    line = ReviewLine.objects.get(review=review, guest=crafted)
    assert (line.spend_12m, line.visits_12m) == EXPECTED
