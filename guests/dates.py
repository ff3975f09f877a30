"""When a birthday, an anniversary or a holiday falls this year, on either calendar.

Rules (the hotel's custom, written down once):
- A 29 February birthday or anniversary falls on 28 February in a year without one.
- A lunar birthday is kept on this lunar year's month and day. A guest born in a leap
  month (闰月) is greeted in that leap month when this year has it, otherwise in the
  ordinary month of the same number. A guest born on the 30th is greeted on the 29th
  in a year whose month has only 29 days (小月).

The conditions are Q objects over the guest table, so a rule asks the database for
every guest of a day in one query instead of looping over guests in Python.
"""

import calendar
import datetime
import warnings

from django.db.models import Q

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from lunardate import LunarDate


def solar_date(year: int, month: int, day: int) -> datetime.date:
    if month == 2 and day == 29 and not calendar.isleap(year):
        return datetime.date(year, 2, 28)
    return datetime.date(year, month, day)


def lunar_month_length(lunar_year: int, month: int, leap: bool = False) -> int:
    try:
        LunarDate(lunar_year, month, 30, leap).to_solar_date()
    except ValueError:
        return 29
    return 30


def lunar_date(lunar_year: int, month: int, day: int, leap: bool = False) -> datetime.date | None:
    """The solar date of a lunar birthday or holiday in a lunar year (None outside 1900–2099)."""
    if leap and LunarDate.leap_month_for_year(lunar_year) != month:
        leap = False
    day = min(day, lunar_month_length(lunar_year, month, leap))
    try:
        return LunarDate(lunar_year, month, day, leap).to_solar_date()
    except ValueError:
        return None


def to_lunar(day: datetime.date) -> tuple[int, int, int, bool]:
    found = LunarDate.from_solar_date(day.year, day.month, day.day)
    return found.year, found.month, found.day, bool(found.is_leap_month)


def _month_day(day: datetime.date, month_field: str, day_field: str) -> Q:
    q = Q(**{month_field: day.month, day_field: day.day})
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        q |= Q(**{month_field: 2, day_field: 29})
    return q


def birthday_keys(day: datetime.date) -> list[tuple[bool, int, int, bool | None]]:
    """The birthdays celebrated on this solar date, as (lunar, month, day, leap month) of the
    guest's record; a leap month of None means either."""
    keys = [(False, day.month, day.day, None)]
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        keys.append((False, 2, 29, None))
    lunar_year, month, lday, leap = to_lunar(day)
    days = [lday]
    if lday == 29 and lunar_month_length(lunar_year, month, leap) == 29:
        days.append(30)
    if leap:
        in_leap_month = True
    elif LunarDate.leap_month_for_year(lunar_year) == month:
        in_leap_month = False
    else:
        in_leap_month = None
    keys += [(True, month, lunar_day, in_leap_month) for lunar_day in days]
    return keys


def birthday_condition(day: datetime.date) -> Q:
    """Guests whose birthday, solar or lunar, is celebrated on this solar date."""
    condition = Q()
    for lunar, month, birth_day, leap in birthday_keys(day):
        key = Q(birthday_lunar=lunar, birth_month=month, birth_day=birth_day)
        if leap is not None:
            key &= Q(birthday_leap_month=leap)
        condition |= key
    return condition


def anniversary_condition(day: datetime.date, field: str) -> Q:
    return _month_day(day, f"{field}__month", f"{field}__day")


def holiday_dates(holiday, start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The solar dates of a holiday between start and end, both included."""
    found = []
    for year in range(start.year - 1, end.year + 1):
        if holiday.calendar == "lunar":
            when = lunar_date(year, holiday.month, holiday.day)
        else:
            when = solar_date(year, holiday.month, holiday.day)
        if when and start <= when <= end:
            found.append(when)
    return found


def birthday_falls_on(guest, day: datetime.date) -> bool:
    """The guest's birthday, solar or lunar, is celebrated on this solar date: birthday_condition for
    one guest already in memory."""
    if not (guest.birth_month and guest.birth_day):
        return False
    return any(
        (lunar, month, birth_day) == (guest.birthday_lunar, guest.birth_month, guest.birth_day)
        and (leap is None or leap == guest.birthday_leap_month)
        for lunar, month, birth_day, leap in birthday_keys(day)
    )


def anniversary_falls_on(date: datetime.date | None, day: datetime.date) -> bool:
    """A solar date's anniversary is kept on this day: anniversary_condition for one value in memory."""
    if date is None:
        return False
    if (date.month, date.day) == (day.month, day.day):
        return True
    return (date.month, date.day) == (2, 29) and (day.month, day.day) == (2, 28) and not calendar.isleap(day.year)


def days_between(start: datetime.date, end: datetime.date):
    day = start
    while day <= end:
        yield day
        day += datetime.timedelta(days=1)
