"""The seeds' service rules, run every day (and again hourly to catch up, harmlessly).

Each rule is one or a few INSERT … SELECT statements over the guest table: the
database picks the guests and writes their follow-ups, with no query per guest. The
unique constraint on (guest, rule, occasion) and ON CONFLICT DO NOTHING make every
rule idempotent: a second run the same day, or two runs at once, add nothing.

Rules look back over a short catch-up window, so a day missed while Redis or the
worker was down is covered by the next run.
"""

import datetime

from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Value,
    When,
)  # fmt: skip
from django.db.models.functions import Cast, Coalesce, Concat, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import Booking
from calls.models import PhoneCall
from guests import dates
from guests.models import Guest
from visits.models import Complaint, Visit

from .confirmations import EXPECTED, NO_LONGER_NEEDED, confirmation_occasion, confirmations_prepare
from .models import Channel, FollowUp, Holiday, RuleSettings
from .sql import insert_select

CATCH_UP_DAYS = 7
K = FollowUp.Kind


def _columns(*, guest, kind, due_on, channel, occasion, note, owner) -> dict:
    """Every column of a follow-up the rules write, as expressions over the rows they select."""
    text = CharField()
    return {
        "guest_id": guest,
        "kind": Value(kind, text),
        "due_on": due_on if hasattr(due_on, "resolve_expression") else Value(due_on, DateField()),
        "channel": channel if hasattr(channel, "resolve_expression") else Value(channel, text),
        "owner_id": owner or F("owner_id"),
        "status": Value(FollowUp.Status.OPEN, text),
        "note": note if hasattr(note, "resolve_expression") else Value(note, text),
        "outcome": Value("", text),
        "rule": Value(kind, text),
        "occasion": occasion if hasattr(occasion, "resolve_expression") else Value(occasion, text),
        "created_by_id": Value(None, IntegerField()),
        "created_at": Value(timezone.now(), DateTimeField()),
        "completed_at": Value(None, DateTimeField()),
        "completed_by_id": Value(None, IntegerField()),
    }


# The columns the rules' INSERT … SELECT writes; a test holds them equal to the model's fields.
COLUMNS = tuple(_columns(guest=None, kind="", due_on=None, channel="", occasion="", note="", owner=None))


def _insert(queryset, *, guest, kind, due_on, channel, occasion, note="", owner=None) -> int:
    """Write the follow-ups that queryset's rows describe, skipping those that exist."""
    columns = _columns(
        guest=guest, kind=kind, due_on=due_on, channel=channel, occasion=occasion, note=note, owner=owner
    )
    return insert_select(FollowUp, queryset, columns)


def _guests(guest_ids):
    guests = Guest.objects.filter(anonymised_at__isnull=True)
    return guests if guest_ids is None else guests.filter(pk__in=guest_ids)


def _of(queryset, guest_ids):
    return queryset if guest_ids is None else queryset.filter(guest_id__in=guest_ids)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def rule_thank_you(*, today: datetime.date, settings: RuleSettings, guest_ids=None) -> int:
    """New guest: a thank-you the same or next day after their first visit."""
    since = today - datetime.timedelta(days=CATCH_UP_DAYS)
    first = (
        _of(Visit.objects, guest_ids)
        .filter(guest__created_at__gte=_day_start(since), guest__anonymised_at__isnull=True)
        .values("guest_id")
        .annotate(first=Min("visited_at"))
        .filter(first__gte=_day_start(since), first__lt=_day_start(today + datetime.timedelta(days=1)))
    )
    return _insert(
        first,
        guest=F("guest_id"),
        owner=F("guest__owner_id"),
        kind=K.THANK_YOU,
        due_on=today,
        channel=Channel.SMS,
        occasion="first-visit",
    )


def rule_courtesy_call(*, today: datetime.date, settings: RuleSettings, guest_ids=None) -> int:
    """New guest not back within N days (default 10) of the first visit: a courtesy call."""
    days = settings.courtesy_call_days
    latest_first = today - datetime.timedelta(days=days)
    earliest_first = latest_first - datetime.timedelta(days=CATCH_UP_DAYS)
    new_and_not_back = (
        _of(Visit.objects, guest_ids)
        .filter(
            guest__created_at__gte=_day_start(earliest_first - datetime.timedelta(days=30)),
            guest__anonymised_at__isnull=True,
        )
        .values("guest_id")
        .annotate(first=Min("visited_at"), last=Max("visited_at"))
        .filter(first__gte=_day_start(earliest_first), first__lt=_day_start(latest_first + datetime.timedelta(days=1)))
        .filter(last__lt=F("first") + datetime.timedelta(days=1))
    )
    return _insert(
        new_and_not_back,
        guest=F("guest_id"),
        owner=F("guest__owner_id"),
        kind=K.COURTESY_CALL,
        due_on=today,
        channel=Channel.CALL,
        occasion="first-visit",
    )


def rule_birthdays(*, today: datetime.date, settings: RuleSettings, guest_ids=None) -> int:
    """Birthday (solar or lunar) within N days: a greeting follow-up for the owner, due on the day."""
    created = 0
    for day in dates.days_between(today, today + datetime.timedelta(days=settings.greeting_lead_days)):
        created += _insert(
            _guests(guest_ids).filter(dates.birthday_condition(day)),
            guest=F("id"),
            kind=K.BIRTHDAY,
            due_on=day,
            channel=Channel.CALL,
            occasion=f"birthday:{day.isoformat()}",
        )
    return created


def rule_anniversaries(*, today: datetime.date, settings: RuleSettings, guest_ids=None) -> int:
    created = 0
    for day in dates.days_between(today, today + datetime.timedelta(days=settings.greeting_lead_days)):
        for field, label in (("anniversary", "anniversary"), ("company_anniversary", "company-anniversary")):
            created += _insert(
                _guests(guest_ids).filter(dates.anniversary_condition(day, field)),
                guest=F("id"),
                kind=K.ANNIVERSARY,
                due_on=day,
                channel=Channel.CALL,
                occasion=f"{label}:{day.isoformat()}",
            )
    return created


def rule_complaints(*, today: datetime.date, settings: RuleSettings, guest_ids=None) -> int:
    """Complaint received: its answer is due within 24 hours (also made at once by the complaint service)."""
    return _complaint_answers(
        _of(Complaint.objects, guest_ids).filter(status=Complaint.Status.RECEIVED, guest__anonymised_at__isnull=True)
    )


def _complaint_answers(complaints) -> int:
    return _insert(
        complaints,
        guest=F("guest_id"),
        owner=F("guest__owner_id"),
        kind=K.COMPLAINT_ANSWER,
        due_on=TruncDate("due_at"),
        channel=Channel.CALL,
        occasion=Concat(Value("complaint:"), Cast("id", CharField())),
    )


def rule_satisfaction_checks(*, today: datetime.date, settings: RuleSettings, guest_ids=None) -> int:
    """Remedy carried out and the guest told: N days later (default 3) the complaint's assignee checks
    that the guest is satisfied (also made at once by the complaint service). Not once the guest's
    reaction is on record."""
    created = 0
    for day in dates.days_between(today - datetime.timedelta(days=CATCH_UP_DAYS), today):
        carried_out = _of(Complaint.objects, guest_ids).filter(
            status=Complaint.Status.CARRIED_OUT,
            guest__anonymised_at__isnull=True,
            events__action="carry_out",
            events__at__gte=_day_start(day),
            events__at__lt=_day_start(day + datetime.timedelta(days=1)),
        )
        created += _insert(
            carried_out,
            guest=F("guest_id"),
            owner=Coalesce(F("assignee_id"), F("guest__owner_id")),
            kind=K.SATISFACTION_CHECK,
            due_on=day + datetime.timedelta(days=settings.satisfaction_check_days),
            channel=Channel.CALL,
            occasion=Concat(Value("complaint:"), Cast("id", CharField()), Value(":satisfaction")),
        )
    return created


def rule_win_back(*, today: datetime.date, settings: RuleSettings, guest_ids=None) -> int:
    """A or B guest not seen for N days (default 60): a visit or a call; once per silence."""
    silent_since = _day_start(today - datetime.timedelta(days=settings.win_back_days - 1))
    silent = _guests(guest_ids).filter(tier__in=["A", "B"], last_visit_at__lt=silent_since)
    return _insert(
        silent,
        guest=F("id"),
        kind=K.WIN_BACK,
        due_on=today,
        channel=Channel.VISIT,
        occasion=Concat(Value("last-visit:"), Cast(TruncDate("last_visit_at"), CharField())),
    )


def rule_holidays(*, today: datetime.date, settings: RuleSettings, guest_ids=None) -> int:
    """Before each holiday (Spring Festival and Mid-Autumn on the lunar calendar): greet A and B guests."""
    created = 0
    end = today + datetime.timedelta(days=settings.holiday_lead_days)
    for holiday in Holiday.objects.filter(is_active=True):
        for day in dates.holiday_dates(holiday, today, end):
            created += _insert(
                _guests(guest_ids).filter(tier__in=["A", "B"]),
                guest=F("id"),
                kind=K.HOLIDAY,
                due_on=day - datetime.timedelta(days=1) if day > today else day,
                channel=Channel.WECHAT,
                occasion=f"holiday:{holiday.pk}:{day.isoformat()}",
                note=holiday.name,
            )
    return created


# A banquet is confirmed the day before whatever the host's tier: a wedding, or a party of at least
# RuleSettings.banquet_party_size (default 20, two round tables) for any purpose.
BANQUET_PURPOSES = (Booking.Purpose.WEDDING,)


def _booking_occasion(suffix: str = ""):
    return Concat(Value("booking:"), Cast("id", CharField()), Value(suffix))


def _bookings_of(guest_ids):
    return _of(Booking.objects, guest_ids).filter(guest__anonymised_at__isnull=True)


def rule_booking_confirmations(*, today: datetime.date, settings: RuleSettings, guest_ids=None) -> int:
    """The day before a booking still expected (tentative or confirmed), its host is asked to confirm
    when tier A or B, or when it is a banquet (a wedding, or a party of at least N): by SMS when the
    guest consented to messages and has a mobile, else by a call. The occasion names the booking and
    its day, so a booking moved to another day is asked about again for that day; a confirmation
    still open for a booking moved, cancelled, marked a no-show or already seated is skipped, so
    nobody calls about it."""
    _booking_confirmations_close(today=today, guest_ids=guest_ids)
    tomorrow = today + datetime.timedelta(days=1)
    wanted = _bookings_of(guest_ids).filter(
        Q(guest__tier__in=["A", "B"])
        | Q(purpose__in=BANQUET_PURPOSES)
        | Q(party_size__gte=settings.banquet_party_size),
        date=tomorrow,
        status__in=EXPECTED,
    )
    by_sms = Q(guest__greeting_consent=True) & ~Q(guest__mobile="")
    confirmations_prepare(wanted.filter(by_sms))  # the SMS itself, sent by the greetings' pipeline
    return _insert(
        wanted,
        guest=F("guest_id"),
        owner=Coalesce(F("owner_id"), F("guest__owner_id")),
        kind=K.BOOKING_CONFIRMATION,
        due_on=today,
        channel=Case(When(by_sms, then=Value(Channel.SMS)), default=Value(Channel.CALL), output_field=CharField()),
        occasion=confirmation_occasion(),
        note=Concat(
            Cast("date", CharField()), Value(" "), Cast("arrival_time", CharField()), Value(" "), F("outlet__name")
        ),  # fmt: skip
    )


def _booking_confirmations_close(*, today: datetime.date, guest_ids=None) -> int:
    """Skip the open confirmations (of the catch-up window) whose booking is no longer expected on
    their day; returns how many."""
    since = today - datetime.timedelta(days=CATCH_UP_DAYS)
    expected = (
        _of(Booking.objects, guest_ids)
        .filter(date__gte=since, status__in=EXPECTED)
        .annotate(occasion=confirmation_occasion())
        .values("occasion")
    )
    return (
        _of(FollowUp.objects, guest_ids)
        .filter(rule=K.BOOKING_CONFIRMATION, status__in=FollowUp.PENDING, due_on__gte=since)
        .exclude(occasion__in=expected)
        .update(
            status=FollowUp.Status.SKIPPED,
            outcome=str(NO_LONGER_NEEDED),
            completed_at=timezone.now(),
        )
    )


def rule_no_show_calls(*, today: datetime.date, settings: RuleSettings, guest_ids=None) -> int:
    """A party that did not come: its host is called the next day (the booking's owner, else the
    guest's), to hear what happened; once per booking."""
    missed = _bookings_of(guest_ids).filter(
        status=Booking.Status.NO_SHOW, date__gte=today - datetime.timedelta(days=CATCH_UP_DAYS), date__lte=today
    )
    return _insert(
        missed,
        guest=F("guest_id"),
        owner=Coalesce(F("owner_id"), F("guest__owner_id")),
        kind=K.NO_SHOW_CALL,
        due_on=Cast(F("date") + datetime.timedelta(days=1), DateField()),
        channel=Channel.CALL,
        occasion=_booking_occasion(":no-show"),
        note=Concat(Cast("date", CharField()), Value(" "), F("outlet__name")),
    )


def rule_call_backs(*, today: datetime.date, settings: RuleSettings, guest_ids=None) -> int:
    """A missed call from a guest of the archive (their mobile, or a related person's phone): a call-back
    the day of the call, one a day per guest, its note the times and numbers that rang, on the guest's
    owner's list. One whose calls were all called back from the missed calls page is done. The calls of a
    day are few, so they are grouped here rather than in SQL (the note joins them)."""
    since = _day_start(today - datetime.timedelta(days=CATCH_UP_DAYS))
    _call_backs_close(since=since, guest_ids=guest_ids)
    missed = (
        _of(PhoneCall.objects, guest_ids)
        .filter(
            answered=False,
            called_back_at__isnull=True,
            guest__isnull=False,
            guest__anonymised_at__isnull=True,
            at__gte=since,
        )
        .order_by("at", "id")
        .values_list("guest_id", "guest__owner_id", "at", "number")
    )
    wanted: dict[tuple[int, datetime.date], FollowUp] = {}
    for guest_id, owner_id, at, number in missed:
        local = timezone.localtime(at)
        day = local.date()
        followup = wanted.setdefault((guest_id, day), FollowUp(
            guest_id=guest_id, owner_id=owner_id, kind=K.CALL_BACK, rule=K.CALL_BACK, due_on=day,
            channel=Channel.CALL, occasion=f"call-back:{day.isoformat()}", created_at=timezone.now(),
        ))  # fmt: skip
        followup.note = "、".join(filter(None, [followup.note, f"{local:%H:%M} {number}"]))[:300]
    known = set(
        FollowUp.objects.filter(rule=K.CALL_BACK, guest_id__in={g for g, _d in wanted}, occasion__in={
            f.occasion for f in wanted.values()}).values_list("guest_id", "occasion")
    )  # fmt: skip
    new = [f for f in wanted.values() if (f.guest_id, f.occasion) not in known]
    FollowUp.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent run's rows stay, once
    return len(new)


def _call_backs_close(*, since: datetime.datetime, guest_ids=None) -> int:
    """Call-backs still open whose day has no missed call left to call back: done."""
    waiting = PhoneCall.objects.filter(
        guest_id=OuterRef("guest_id"), answered=False, called_back_at__isnull=True, at__gte=since
    ).annotate(occasion=Concat(Value("call-back:"), Cast(TruncDate("at"), CharField()))).filter(
        occasion=OuterRef("occasion")
    )  # fmt: skip
    return (
        _of(FollowUp.objects, guest_ids)
        .filter(rule=K.CALL_BACK, status__in=FollowUp.PENDING)
        .exclude(Exists(waiting))
        .update(
            status=FollowUp.Status.DONE,
            outcome=_("Called back from the missed calls page."),
            completed_at=timezone.now(),
        )  # fmt: skip
    )


RULES = {
    K.THANK_YOU: rule_thank_you,
    K.COURTESY_CALL: rule_courtesy_call,
    K.BIRTHDAY: rule_birthdays,
    K.ANNIVERSARY: rule_anniversaries,
    K.COMPLAINT_ANSWER: rule_complaints,
    K.SATISFACTION_CHECK: rule_satisfaction_checks,
    K.WIN_BACK: rule_win_back,
    K.HOLIDAY: rule_holidays,
    K.BOOKING_CONFIRMATION: rule_booking_confirmations,
    K.NO_SHOW_CALL: rule_no_show_calls,
    K.CALL_BACK: rule_call_backs,
}


def rules_run(*, today: datetime.date | None = None, guest_ids=None, kinds=None) -> dict[str, int]:
    """Run the rules for a day (every rule, or those kinds), over every guest or only some; returns
    how many follow-ups each created."""
    today = today or timezone.localdate()
    settings = RuleSettings.current()
    chosen = RULES if kinds is None else {kind: RULES[kind] for kind in RULES if kind in set(kinds)}
    return {kind: rule(today=today, settings=settings, guest_ids=guest_ids) for kind, rule in chosen.items()}
