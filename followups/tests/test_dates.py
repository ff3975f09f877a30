"""The day a birthday or holiday falls this year, on the solar and the lunar calendar."""

import datetime

import pytest

from guests import dates
from guests.models import Guest
from guests.tests.factories import GuestFactory

D = datetime.date


def test_spring_festival_and_mid_autumn_move_with_the_lunar_calendar():
    assert dates.lunar_date(2026, 1, 1) == D(2026, 2, 17)
    assert dates.lunar_date(2026, 8, 15) == D(2026, 9, 25)


def test_a_leap_month_birthday_is_kept_in_the_leap_month_when_the_year_has_it():
    assert dates.lunar_date(2025, 6, 10, leap=True) == D(2025, 8, 3)  # 2025 has 闰六月
    assert dates.lunar_date(2025, 6, 10) == D(2025, 7, 4)


def test_a_leap_month_birthday_falls_in_the_ordinary_month_in_a_year_without_that_leap():
    assert dates.lunar_date(2026, 6, 10, leap=True) == dates.lunar_date(2026, 6, 10) == D(2026, 7, 23)


def test_a_birthday_on_the_thirtieth_falls_on_the_29th_of_a_short_lunar_month():
    assert dates.lunar_date(2026, 2, 30) == dates.lunar_date(2026, 2, 29) == D(2026, 4, 16)
    assert dates.lunar_date(2026, 1, 30) == D(2026, 3, 18)  # a long month keeps its 30th


def test_29_february_falls_on_28_february_in_a_common_year():
    assert dates.solar_date(2027, 2, 29) == D(2027, 2, 28)
    assert dates.solar_date(2028, 2, 29) == D(2028, 2, 29)


@pytest.mark.django_db
def test_the_birthday_condition_finds_exactly_the_guests_celebrating_that_day():
    solar = GuestFactory(birth_month=11, birth_day=25)
    leap_day = GuestFactory(birth_month=2, birth_day=29)
    lunar_30th = GuestFactory(birth_month=2, birth_day=30, birthday_lunar=True)
    lunar_29th = GuestFactory(birth_month=2, birth_day=29, birthday_lunar=True)
    leap_born = GuestFactory(birth_month=6, birth_day=10, birthday_lunar=True, birthday_leap_month=True)
    ordinary_born = GuestFactory(birth_month=6, birth_day=10, birthday_lunar=True)
    GuestFactory(birth_month=11, birth_day=26)

    def on(day):
        return set(Guest.objects.filter(dates.birthday_condition(day)))

    assert on(D(2026, 11, 25)) == {solar}
    assert on(D(2027, 2, 28)) == {leap_day}
    assert leap_day not in on(D(2028, 2, 28)) and leap_day in on(D(2028, 2, 29))
    assert on(D(2026, 4, 16)) == {lunar_30th, lunar_29th}
    # 2025: the ordinary sixth month for one guest, the leap sixth month for the other.
    assert on(D(2025, 7, 4)) == {ordinary_born}
    assert on(D(2025, 8, 3)) == {leap_born}
    # 2026 has no leap sixth month: both on the same day.
    assert on(D(2026, 7, 23)) == {ordinary_born, leap_born}


def test_holiday_dates_in_a_window_cover_both_calendars():
    class Holiday:
        def __init__(self, calendar, month, day):
            self.calendar, self.month, self.day = calendar, month, day

    assert dates.holiday_dates(Holiday("lunar", 1, 1), D(2026, 2, 14), D(2026, 2, 17)) == [D(2026, 2, 17)]
    assert dates.holiday_dates(Holiday("lunar", 1, 1), D(2026, 2, 18), D(2026, 2, 20)) == []
    assert dates.holiday_dates(Holiday("solar", 1, 1), D(2026, 12, 30), D(2027, 1, 2)) == [D(2027, 1, 1)]
