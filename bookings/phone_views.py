"""The phone-booking page: the desk types the caller's number, reads the caller's card, picks a free room
and books, with the keyboard alone. Two fragments feed it (htmx): the card and the free rooms."""

from django.contrib.auth.decorators import permission_required
from django.http import QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_time
from django.views.decorators.http import require_GET, require_http_methods

from visits.models import MealPeriod

from .board import default_outlet, outlets_for
from .forms import USUAL_ARRIVAL, PhoneBookingForm
from .phone import caller_card, caller_lookup, match_for, usual_rooms
from .selectors import rooms_free
from .services import booking_period
from .sheet import next_meal_period
from .views import book_from

PERMISSION = "bookings.add_booking"


def caller_context(number: str, key: str) -> dict:
    """The caller's part of the page: who the number may be, the one chosen (or the only one), their card."""
    lookup = caller_lookup(number)
    chosen = match_for(key) if key and key != "new" else None
    if chosen is None and key != "new" and len(lookup.matches) == 1:
        chosen = lookup.matches[0]
    new_mobile = lookup.digits if len(lookup.digits) >= 11 else ""
    return {"lookup": lookup, "chosen": chosen, "card": caller_card(chosen) if chosen else None,
            "new_guest": key == "new" or (not lookup.too_short and not lookup.matches), "new_mobile": new_mobile}  # fmt: skip


def _initial(request, outlets) -> dict:
    period = next_meal_period()
    outlet = default_outlet(request.user, outlets)
    return {"date": timezone.localdate(), "meal_period": period, "arrival_time": USUAL_ARRIVAL[period],
            "party_size": 2, "outlet": outlet.pk if outlet else None}  # fmt: skip


@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def phone(request):
    outlets = outlets_for(request.user)
    initial = _initial(request, list(outlets)) | {"number": request.GET.get("number", "")[:30]}
    form = PhoneBookingForm(request.POST or None, outlets=outlets, user=request.user, initial=initial)
    if booked := book_from(request, form):
        return booked
    # The call pop-up's "book for this caller" opens the page with the number typed in.
    data = request.POST if request.method == "POST" else request.GET
    context = {"form": form, **caller_context(data.get("number", ""), data.get("caller", ""))}
    if request.method == "POST":
        asked = request.POST
    else:  # the free rooms of the meal the page opens on, at once
        asked = QueryDict(mutable=True)
        asked.update({name: str(initial[name] or "") for name in ("outlet", "date", "meal_period", "arrival_time")})
    context |= free_rooms_context(asked, outlets, context["card"].usual_rooms if context["card"] else [])
    return render(request, "bookings/phone.html", context, status=400 if form.errors else 200)


@permission_required(PERMISSION, raise_exception=True)
@require_GET
def caller(request):
    context = caller_context(request.GET.get("number", ""), request.GET.get("caller", ""))
    response = render(request, "bookings/_caller.html", context)
    response["HX-Trigger"] = "caller-changed"  # the free rooms mark the rooms this caller usually has
    return response


def free_rooms_context(data, outlets, usual: list[tuple[int, str, int]]) -> dict:
    """The outlet's rooms free for the whole period asked, the caller's usual ones marked and, when none is
    chosen yet, the first of them that is free ticked."""
    outlet = next((o for o in outlets if str(o.pk) == data.get("outlet", "")), None)
    try:
        day, at = parse_date(data.get("date", "")), parse_time(data.get("arrival_time", ""))
    except ValueError:
        day = at = None
    period = data.get("meal_period", "")
    if outlet is None or day is None or at is None or period not in MealPeriod.values:
        return {"free": None}
    starts_at, ends_at = booking_period(date=day, meal_period=period, arrival_time=at)
    free = list(rooms_free(outlet=outlet, starts_at=starts_at, ends_at=ends_at))
    free_ids = {room.pk for room in free}
    chosen = {int(pk) for pk in data.getlist("rooms") if pk.isdigit()} & free_ids
    if not chosen:
        chosen = {next((pk for pk, _name, _times in usual if pk in free_ids), None)} - {None}
    return {"free": free, "usual": {pk for pk, _name, _times in usual}, "chosen_rooms": chosen,
            "taken_usual": [name for pk, name, _times in usual if pk not in free_ids], "held": (starts_at, ends_at)}  # fmt: skip


@permission_required(PERMISSION, raise_exception=True)
@require_GET
def rooms(request):
    match = match_for(request.GET.get("caller", ""))
    usual = usual_rooms(match.guest) if match else []
    context = free_rooms_context(request.GET, list(outlets_for(request.user)), usual)
    return render(request, "bookings/_phone_rooms.html", context)
