"""A booking's confirmation by SMS, the day before: sent through the greetings' gateway pipeline
(followups.greetings: claimed once, never sent twice, retried with backoff), its follow-up settled by
the outcome.

The rule (followups.rules.rule_booking_confirmations) writes, for a host who consented to messages and
has a mobile, both the follow-up (channel SMS, on the desk's list) and a Greeting of the same occasion,
`booking:<id>:<date>`. The message waits for the day (SENDS_FROM to SENDS_UNTIL, the hotel's time); a
booking no longer expected on that day when its turn comes is not confirmed. Sent, the follow-up is done;
not sent in the end (refused by the gateway after every attempt, consent withdrawn, no mobile), it
becomes a call for the desk.
"""

import datetime

from django.db.models import CharField, DateTimeField, F, IntegerField, Value
from django.db.models.functions import Cast, Concat
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from bookings.models import Booking

from .models import Channel, FollowUp, Greeting, MessageTemplate, RuleSettings
from .sql import insert_select

PREFIX = "booking:"
SENDS_FROM, SENDS_UNTIL = datetime.time(9, 0), datetime.time(21, 0)
# The bookings still expected: only these are confirmed.
EXPECTED = (Booking.Status.TENTATIVE, Booking.Status.CONFIRMED)
SENT, NOT_NEEDED, NOT_SENT = "sent", "not needed", "not sent"


def confirmation_occasion():
    """`booking:<id>:<date>`: a booking moved to another day is confirmed again for that day."""
    return Concat(Value(PREFIX), Cast("id", CharField()), Value(":"), Cast("date", CharField()))


def is_confirmation(greeting: Greeting) -> bool:
    return greeting.occasion.startswith(PREFIX)


def sends_at(now: datetime.datetime) -> datetime.datetime:
    """Now if it is the day, else the next morning's SENDS_FROM: no SMS to a guest at night."""
    local = timezone.localtime(now)
    if local.time() < SENDS_FROM:
        return local.replace(hour=SENDS_FROM.hour, minute=SENDS_FROM.minute, second=0, microsecond=0)
    if local.time() >= SENDS_UNTIL:
        morning = datetime.datetime.combine(local.date() + datetime.timedelta(days=1), SENDS_FROM)
        return timezone.make_aware(morning)
    return now


def confirmations_prepare(bookings) -> int:
    """One Greeting per booking of the queryset (their hosts consented and have a mobile); a second run,
    or two at once, add nothing (the unique guest and occasion)."""
    now = timezone.now()
    return insert_select(
        Greeting,
        bookings,
        {
            "guest_id": F("guest_id"),
            "occasion": confirmation_occasion(),
            "status": Value(Greeting.Status.PENDING, CharField()),
            "attempts": Value(0, IntegerField()),
            "next_attempt_at": Value(sends_at(now), DateTimeField()),
            "created_at": Value(now, DateTimeField()),
            "sent_at": Value(None, DateTimeField()),
        },
    )


def _booking(greeting: Greeting) -> Booking | None:
    """The booking the confirmation is for, if it is still expected on the confirmation's day."""
    _prefix, pk, day = greeting.occasion.split(":", 2)
    return (
        Booking.objects.select_related("outlet")
        .filter(pk=pk, guest_id=greeting.guest_id, date=day, status__in=EXPECTED)
        .first()
    )


NO_LONGER_NEEDED = _lazy("No longer needed: the booking was moved, cancelled or has taken place.")


def confirmation_words(greeting: Greeting, language: str) -> tuple[str, str] | None:
    """The confirmation's subject and words; None when the booking needs none any more."""
    booking = _booking(greeting)
    if booking is None:
        return None
    guest = greeting.guest
    template = (
        MessageTemplate.objects.filter(occasion=MessageTemplate.Occasion.BOOKING_CONFIRMATION, language=language).first()
    )  # fmt: skip
    with translation.override(language):
        values = {
            "honorific": guest.greeting, "name": guest.name, "hotel": RuleSettings.current().hotel_name,
            "date": formats.date_format(booking.date, "MONTH_DAY_FORMAT"), "time": booking.arrival_time.strftime("%H:%M"),
            "outlet": booking.outlet.name, "party": booking.party_size,
        }  # fmt: skip
        if template:
            return template.render(**values)
        return (
            _("Your booking for tomorrow").format_map(values),
            _(
                "{honorific}, we look forward to welcoming you and your party of {party} at {outlet} "
                "on {date} at {time}. To change or cancel, please call us. {hotel}"
            ).format_map(values),
        )


def confirmation_settled(greeting: Greeting, outcome: str, reason: str = "") -> None:
    """The confirmation's follow-up after its message: done when it was "sent"; skipped when the
    booking needs none any more ("not needed"); else ("not sent") a call for the desk."""
    pending = FollowUp.objects.filter(
        guest_id=greeting.guest_id, kind=FollowUp.Kind.BOOKING_CONFIRMATION, occasion=greeting.occasion,
        status__in=FollowUp.PENDING,
    )  # fmt: skip
    if outcome == SENT:
        pending.update(status=FollowUp.Status.DONE, outcome=_("Confirmation SMS sent."), completed_at=timezone.now())
    elif outcome == NOT_NEEDED:
        pending.update(status=FollowUp.Status.SKIPPED, outcome=reason, completed_at=timezone.now())
    else:
        pending.update(channel=Channel.CALL)
