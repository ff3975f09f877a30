"""The waiting list's pages: an outlet's list for a date and meal period, a party added to it, offered a room,
put back to waiting or dropped; and on a cancelled booking's page the first waiting party for each room it
freed. Booking a waiting party opens the booking form filled in for them."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from staff.submissions import submitted_once

from .board import bookings_visible, default_outlet, outlets_for
from .forms import add_service_errors
from .models import Booking, WaitingEntry
from .selectors import waiting_first_match
from .services import waiting_entry_move, waiting_list_add
from .sheet import next_meal_period
from .waiting_forms import MoveForm, SlotForm, WaitingForm

W = WaitingEntry.Status
# Those still to be served first, then those settled, each in the order they joined the list.
OPEN = (W.WAITING, W.OFFERED)
# A booking that no longer holds its rooms has freed them for a waiting party.
FREED = (Booking.Status.CANCELLED, Booking.Status.NO_SHOW)


def _list_url(outlet_pk, date, meal_period) -> str:
    query = urlencode({"outlet": outlet_pk, "date": date.isoformat(), "meal_period": meal_period})
    return f"{reverse('bookings:waiting')}?{query}"


def book_url(entry: WaitingEntry, room=None) -> str:
    """The booking form filled in for the waiting party (bookings.views._initial reads these)."""
    query = {"guest": entry.guest_id, "date": entry.date.isoformat(), "meal_period": entry.meal_period,
             "outlet": entry.outlet_id, "waiting": entry.pk} | ({"room": room.pk} if room is not None else {})  # fmt: skip
    return f"{reverse('bookings:create')}?{urlencode(query)}"


def _slot(request, outlets) -> SlotForm:
    data = {"outlet": "", "date": timezone.localdate().isoformat(), "meal_period": next_meal_period()}
    chosen = default_outlet(request.user, outlets)
    data["outlet"] = chosen.pk if chosen else ""
    data |= {name: request.GET[name].strip() for name in data if request.GET.get(name, "").strip()}
    return SlotForm(data, outlets=outlets)


@require_http_methods(["GET", "POST"])
@permission_required("bookings.view_waitingentry", raise_exception=True)
@submitted_once
def waiting_list(request):
    """The list of the slot chosen in the query string; the form under it adds a party to that slot."""
    outlets = outlets_for(request.user)
    slot = _slot(request, outlets)
    form = WaitingForm(request.POST or None, initial={"party_size": 2})
    entries = []
    if slot.is_valid():
        outlet, date, meal_period = (slot.cleaned_data[name] for name in ("outlet", "date", "meal_period"))
        if request.method == "POST":
            if not request.user.has_perm("bookings.add_waitingentry"):
                raise PermissionDenied
            if form.is_valid():
                try:
                    waiting_list_add(actor=request.user, fields=form.service_fields(
                        outlet=outlet, date=date, meal_period=meal_period), **form.host())  # fmt: skip
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(request, _("The party is on the waiting list."))
                    return redirect(_list_url(outlet.pk, date, meal_period))
        found = WaitingEntry.objects.filter(outlet=outlet, date=date, meal_period=meal_period)
        entries = sorted(found.select_related("guest", "booking"), key=lambda e: (e.status not in OPEN, e.created_at))
        for entry in entries:
            entry.book_url = book_url(entry)
    elif request.method == "POST":
        form.is_valid()
    context = {"slot": slot, "form": form, "entries": entries, "open": OPEN}
    return render(request, "bookings/waiting.html", context, status=400 if slot.errors or form.errors else 200)


@require_POST
@permission_required("bookings.change_waitingentry", raise_exception=True)
def waiting_move(request, pk):
    """Offer the party a room, put them back to waiting, or drop them; back to their list either way."""
    entry = get_object_or_404(WaitingEntry.objects.filter(outlet__in=outlets_for(request.user)), pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what becomes of this party: offered, waiting or dropped."))
    else:
        try:
            entry = waiting_entry_move(actor=request.user, entry=entry, status=form.cleaned_data["status"])
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("%(guest)s: %(status)s.") % {
                "guest": entry.guest.greeting, "status": entry.get_status_display()})  # fmt: skip
    return redirect(_list_url(entry.outlet_id, entry.date, entry.meal_period))


@require_GET
@permission_required("bookings.view_waitingentry", raise_exception=True)
def waiting_match(request, pk):
    """The fragment the booking's page loads: for a booking that freed its rooms, the first waiting party
    each room could serve (a query per room: a booking holds one or two)."""
    booking = get_object_or_404(bookings_visible(request.user), pk=pk)
    matches = []
    if booking.status in FREED and booking.date >= timezone.localdate():
        for room in booking.rooms.order_by("name", "pk"):
            entry = waiting_first_match(room=room, date=booking.date, meal_period=booking.meal_period)
            if entry is not None:
                entry.book_url = book_url(entry, room)
                matches.append((room, entry))
    return render(request, "bookings/waiting_match.html", {"booking": booking, "matches": matches})
