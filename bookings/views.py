"""The room board, the booking form and the booking page. Each view parses, calls a selector or a service,
renders; who may see which outlet is bookings.board.outlets_for."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guests.models import Guest
from visits.models import MealPeriod

from .board import board_day, board_week, bookings_visible, default_outlet, legend, outlets_for
from .forms import USUAL_ARRIVAL, BookingChangeForm, BookingForm, CancelForm, add_service_errors
from .models import Booking
from .services import (
    STEPS,
    booking_arrive,
    booking_cancel,
    booking_change,
    booking_confirm,
    booking_create,
    booking_no_show,
    booking_steps_for,
)

ONE_DAY = datetime.timedelta(days=1)


def _outlet(request, outlets):
    """The outlet asked for among those the person sees, else their first own outlet, else the first."""
    wanted = request.GET.get("outlet", "")
    if wanted.isdigit():
        chosen = next((outlet for outlet in outlets if outlet.pk == int(wanted)), None)
        if chosen is not None:
            return chosen
    return default_outlet(request.user, outlets)


def _day(request, name="date") -> datetime.date:
    try:
        return parse_date(request.GET.get(name, "")) or timezone.localdate()
    except ValueError:
        return timezone.localdate()


@permission_required("bookings.view_booking", raise_exception=True)
def board(request):
    outlets = list(outlets_for(request.user))
    outlet, day = _outlet(request, outlets), _day(request)
    periods, rows = board_day(outlet=outlet, date=day) if outlet else ([], [])
    context = {"outlets": outlets, "outlet": outlet, "day": day, "prev": day - ONE_DAY, "next": day + ONE_DAY,
               "today": timezone.localdate(), "periods": [(p, MealPeriod(p).label) for p in periods], "rows": rows,
               "legend": legend()}  # fmt: skip
    return render(request, "bookings/board.html", context)


@permission_required("bookings.view_booking", raise_exception=True)
def week(request):
    outlets = list(outlets_for(request.user))
    outlet, start = _outlet(request, outlets), _day(request)
    period = request.GET.get("meal_period") if request.GET.get("meal_period") in MealPeriod.values else "dinner"
    days, rows = board_week(outlet=outlet, start=start, meal_period=period) if outlet else ([], [])
    context = {"outlets": outlets, "outlet": outlet, "day": start, "prev": start - 7 * ONE_DAY,
               "next": start + 7 * ONE_DAY, "today": timezone.localdate(), "days": days, "rows": rows,
               "meal_period": period, "meal_periods": MealPeriod.choices, "legend": legend()}  # fmt: skip
    return render(request, "bookings/week.html", context)


def _initial(request, outlets) -> dict:
    """What a free cell of the board fills in (outlet, date, meal period and room), and the host when the
    page is opened for a guest."""
    initial = {"date": _day(request), "party_size": 2}
    outlet = _outlet(request, list(outlets))
    if outlet:
        initial["outlet"] = outlet.pk
    if request.GET.get("meal_period") in MealPeriod.values:
        initial["meal_period"] = request.GET["meal_period"]
        initial["arrival_time"] = USUAL_ARRIVAL[initial["meal_period"]]
    if request.GET.get("room", "").isdigit():
        initial["rooms"] = [int(request.GET["room"])]
    if request.GET.get("waiting", "").isdigit():
        initial["waiting"] = int(request.GET["waiting"])
    if request.GET.get("guest", "").isdigit():
        guest = Guest.objects.filter(pk=request.GET["guest"], anonymised_at__isnull=True).only("card_no").first()
        initial["find"] = guest.card_no if guest else ""
    return initial


@permission_required("bookings.add_booking", raise_exception=True)
@require_http_methods(["GET", "POST"])
def create(request):
    outlets = outlets_for(request.user)
    form = BookingForm(request.POST or None, outlets=outlets, user=request.user, initial=_initial(request, outlets))
    if booked := book_from(request, form):
        return booked
    return render(request, "bookings/form.html", {"form": form}, status=400 if form.errors else 200)


def book_from(request, form):
    """A posted booking form (the desk's or the phone's) through booking_create: the booking's page, or
    None with the refusal on the form."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        booking = booking_create(actor=request.user, rooms=form.cleaned_data["rooms"], fields=form.service_fields(),
                                 waiting_entry=form.cleaned_data.get("waiting"), **form.host())  # fmt: skip
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    messages.success(request, _("Booked for %(guest)s.") % {"guest": booking.guest.greeting})
    return redirect("bookings:detail", pk=booking.pk)


def _shown(value) -> str:
    if isinstance(value, list):
        return "、".join(map(str, value)) or "—"
    return "—" if value in (None, "") else str(value)


def _changes(event) -> list[tuple[str, str, str] | tuple[str]]:
    """A change's fields by their names on the page, with the values before and after when it keeps them."""
    rows = []
    for name, values in event.changes.items():
        try:
            label = capfirst(Booking._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            label = _("Rooms or tables") if name == "rooms" else name
        rows.append((label, _shown(values[0]), _shown(values[1])) if values else (label,))
    return rows


def _booking(request, pk) -> Booking:
    """The booking, if it is of an outlet this person sees; else there is none (404, nothing said of it)."""
    return get_object_or_404(bookings_visible(request.user).select_related("guest", "outlet", "booked_by"), pk=pk)


@permission_required("bookings.view_booking", raise_exception=True)
def detail(request, pk):
    booking = _booking(request, pk)
    events = list(booking.events.select_related("actor").order_by("at", "pk"))
    for event in events:
        event.shown_changes = _changes(event)
    labels = {action: step.label for action, step in STEPS.items()}
    context = {"booking": booking, "guest": booking.guest, "rooms": list(booking.rooms.order_by("name")),
               "events": events, "steps": booking_steps_for(actor=request.user, booking=booking),
               "cancel_form": CancelForm(), "labels": labels}  # fmt: skip
    return render(request, "bookings/detail.html", context)


@permission_required("bookings.change_booking", raise_exception=True)
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    booking = _booking(request, pk)
    form = BookingChangeForm(request.POST or None, booking=booking, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            booking_change(actor=request.user, booking=booking, fields=form.service_fields(),
                           rooms=form.cleaned_data["rooms"], note=form.cleaned_data["note"])  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The booking is changed."))
            return redirect("bookings:detail", pk=booking.pk)
    context = {"form": form, "booking": booking}
    return render(request, "bookings/edit.html", context, status=400 if form.errors else 200)


def _step(request, pk, take):
    """Take a step through its service; a refusal is shown on the booking's page, which this person may see."""
    booking = _booking(request, pk)
    try:
        take(booking)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("bookings:detail", pk=booking.pk)


@permission_required("bookings.change_booking", raise_exception=True)
@require_POST
def confirm(request, pk):
    return _step(request, pk, lambda booking: booking_confirm(actor=request.user, booking=booking))


@permission_required("bookings.serve_booking", raise_exception=True)
@require_POST
def arrive(request, pk):
    return _step(request, pk, lambda booking: booking_arrive(actor=request.user, booking=booking))


@permission_required("bookings.change_booking", raise_exception=True)
@require_POST
def no_show(request, pk):
    return _step(request, pk, lambda booking: booking_no_show(actor=request.user, booking=booking))


@permission_required("bookings.change_booking", raise_exception=True)
@require_POST
def cancel(request, pk):
    form = CancelForm(request.POST)

    def take(booking):
        if not form.is_valid():
            raise ValidationError(_("Choose why the booking is cancelled."))
        booking_cancel(actor=request.user, booking=booking, reason=form.cleaned_data["reason"],
                       note=form.cleaned_data["note"])  # fmt: skip

    return _step(request, pk, take)
