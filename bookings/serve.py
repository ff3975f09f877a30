"""The waiters' pages of the day of service: who is where (the parties seated now and those still expected,
on a phone), seating a walk-in at the door, and completing a seated party into its visit.

Each view parses, calls a selector or a service, renders. The floor reads the service sheet's rows
(bookings.sheet.service_sheet), so it shows what the briefing showed, in the same fixed number of queries.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from staff.submissions import submitted_once
from visits.forms import VisitForm
from visits.services import default_meal_period

from .board import bookings_visible
from .forms import add_service_errors
from .models import Booking
from .selectors import rooms_free, visit_initial
from .services import booking_arrive, booking_complete, booking_period, walk_in_seat
from .sheet_views import sheet_choice, sheet_context
from .waiting_forms import WalkInForm

S = Booking.Status
COMPLETE_PERMISSIONS = ("bookings.serve_booking", "visits.add_visit")
# The visit service names the companions; the form calls them by their card numbers.
VISIT_FORM_FIELD = {"companions": "companion_cards", "guest": None}


def _floor_url(outlet_pk, meal_period) -> str:
    return f"{reverse('service:floor')}?outlet={outlet_pk}&meal={meal_period}"


@require_GET
@permission_required("bookings.view_booking", raise_exception=True)
def floor(request):
    """Who is where: the seated parties first, then those still expected; htmx asks for the list alone."""
    choice = sheet_choice(request)
    context, status = sheet_context(request, choice)
    rows = context["rows"]
    context["seated"] = [row for row in rows if row.booking.status == S.ARRIVED]
    context["expected"] = [row for row in rows if row.booking.status != S.ARRIVED]
    context["can_complete"] = request.user.has_perms(COMPLETE_PERMISSIONS)
    context["can_arrive"] = request.user.has_perm("bookings.serve_booking")
    context["today"] = timezone.localdate()
    template = "service/floor_list.html" if request.headers.get("HX-Request") else "service/floor.html"
    return render(request, template, context, status=status)


@require_POST
@permission_required("bookings.serve_booking", raise_exception=True)
def floor_arrive(request, pk):
    """The greeter seats a booked party from the floor and stays on it."""
    booking = get_object_or_404(bookings_visible(request.user), pk=pk)
    try:
        booking_arrive(actor=request.user, booking=booking)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(guest)s is seated.") % {"guest": booking.guest.greeting})
    return redirect(_floor_url(booking.outlet_id, booking.meal_period))


def _free_rooms(outlet):
    now = timezone.localtime()
    meal_period = default_meal_period(now)
    starts_at, ends_at = booking_period(date=now.date(), meal_period=meal_period,
                                        arrival_time=now.time().replace(second=0, microsecond=0))  # fmt: skip
    return rooms_free(outlet=outlet, starts_at=starts_at, ends_at=ends_at).order_by("-is_private", "name", "pk")


@require_http_methods(["GET", "POST"])
@permission_required("bookings.serve_booking", raise_exception=True)
@submitted_once
def walk_in(request):
    """Seat a party that came without booking in a room or table free now."""
    choice = sheet_choice(request)
    if choice.errors or choice.outlet is None:
        raise Http404(_("Choose an outlet from the list."))
    form = WalkInForm(request.POST or None, rooms=_free_rooms(choice.outlet), initial={"party_size": 2})
    if request.method == "POST" and form.is_valid():
        try:
            booking = walk_in_seat(actor=request.user, rooms=form.cleaned_data["rooms"],
                                   fields=form.service_fields(outlet=choice.outlet), **form.host())  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("%(guest)s is seated.") % {"guest": booking.guest.greeting})
            return redirect(_floor_url(booking.outlet_id, booking.meal_period))
    context = {"form": form, "choice": choice}
    return render(request, "service/floor_walk_in.html", context, status=400 if form.errors else 200)


def _report(form, error: ValidationError) -> None:
    """The services' verdict on the visit form's fields the person can see, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.message_dict.items():
        target = VISIT_FORM_FIELD.get(name, name)
        form.add_error(target if target in form.fields else None, errors)


@require_http_methods(["GET", "POST"])
@permission_required(COMPLETE_PERMISSIONS, raise_exception=True)
@submitted_once
def complete(request, pk):
    """The visit form filled in from the seated booking; saving logs the visit through the visit service and
    completes the booking with it, in one transaction (booking_complete): both or neither."""
    booking = get_object_or_404(bookings_visible(request.user).select_related("guest", "outlet"), pk=pk)
    initial = {name: value for name, value in visit_initial(booking).items() if name != "guest"}
    form = VisitForm(request.POST or None, user=request.user, guest=booking.guest, initial=initial)
    refusal = ""
    if booking.status != S.ARRIVED:
        refusal = _("Only a seated party is completed into a visit; this booking is %(status)s.") % {
            "status": booking.get_status_display()}  # fmt: skip
    elif request.method == "POST" and form.is_valid():
        try:
            booking_complete(actor=request.user, booking=booking, visit_fields=form.service_fields(),
                             companions=form.cleaned_data["companion_cards"],
                             observations=form.cleaned_data["observations"])  # fmt: skip
        except ValidationError as error:
            _report(form, error)
        else:
            messages.success(request, _("Visit of %(name)s logged; the booking is completed.")
                             % {"name": booking.guest.display_name})  # fmt: skip
            return redirect("bookings:detail", pk=booking.pk)
    context = {"form": form, "booking": booking, "guest": booking.guest, "refusal": refusal}
    status = 409 if refusal else 400 if form.errors else 200
    return render(request, "bookings/complete.html", context, status=status)
