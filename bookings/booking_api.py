"""Bookings for machines (a WeChat mini-program's backend, a partner site): the rooms free for a date and
meal period, the bookings of a day, one booking, and a booking made, changed or cancelled — through the
same services as the desk, so the same database guard refuses a double booking (409, with the rooms still
free). Rooms and outlets are named by their codes; a client bound to outlets sees and books only theirs.

What is served of the host is their card number and honorific: a partner books, it does not read the
archive (GET /api/v1/guests with guests:read does, counted).
"""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.db import replica_reads
from guests.models import Guest
from guests.validators import normalise_mobile
from staff.api import bound_outlets, client_of, outlet_allowed
from staff.clients import api_reads_add
from staff.models import Outlet, Room
from visits.models import MealPeriod

from .forms import USUAL_ARRIVAL
from .models import Booking
from .selectors import rooms_free
from .services import beyond_days_ahead, booking_cancel, booking_change, booking_create, booking_period
from .services.steps import CANCEL_REASONS

MAX_ROOMS = 20


class RoomTaken(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "room_taken"


class RoomOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    private = serializers.BooleanField(help_text="A private room (包间), else a table of the hall.")
    seats = serializers.IntegerField(allow_null=True)


class AvailabilityOut(serializers.Serializer):
    outlet = serializers.CharField()
    date = serializers.DateField()
    meal_period = serializers.ChoiceField(choices=MealPeriod.choices)
    arrival_time = serializers.TimeField(format="%H:%M")
    rooms = RoomOut(many=True)


class HostOut(serializers.Serializer):
    card_no = serializers.CharField()
    honorific = serializers.CharField()


class BookingOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Booking.Status.choices)
    guest = HostOut()
    outlet = serializers.CharField(help_text="The outlet's code.")
    date = serializers.DateField()
    meal_period = serializers.ChoiceField(choices=MealPeriod.choices)
    arrival_time = serializers.TimeField(format="%H:%M")
    party_size = serializers.IntegerField()
    rooms = serializers.ListField(child=serializers.CharField(), help_text="The codes of the rooms or tables.")
    purpose = serializers.ChoiceField(choices=Booking.Purpose.choices)
    source = serializers.ChoiceField(choices=Booking.Source.choices)
    special_requests = serializers.CharField(allow_blank=True)
    hold_until = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.ChoiceField(choices=Booking.CancelReason.choices, allow_blank=True)


class BookingListOut(serializers.Serializer):
    bookings = BookingOut(many=True)


class HostIn(serializers.Serializer):
    card_no = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)
    mobile = serializers.CharField(max_length=30, required=False, default="", allow_blank=True)
    surname = serializers.CharField(max_length=20, required=False, default="", allow_blank=True,
                                    help_text="For a guest new to the archive, with the mobile.")  # fmt: skip
    honorific = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)


def _codes(max_length=MAX_ROOMS, **kwargs):
    return serializers.ListField(child=serializers.CharField(max_length=20), min_length=1, max_length=max_length,
                                 help_text="The codes of the rooms or tables.", **kwargs)  # fmt: skip


class BookingIn(serializers.Serializer):
    guest = HostIn(help_text="The host: the card number, else the mobile (a new guest also needs the surname).")
    outlet = serializers.CharField(max_length=20, help_text="The outlet's code.")
    date = serializers.DateField()
    meal_period = serializers.ChoiceField(choices=MealPeriod.choices)
    arrival_time = serializers.TimeField(required=False, help_text="Default: the meal period's usual hour.")
    party_size = serializers.IntegerField(min_value=1, max_value=500)
    rooms = _codes()
    purpose = serializers.ChoiceField(choices=Booking.Purpose.choices, default=Booking.Purpose.OTHER)
    source = serializers.ChoiceField(
        choices=[(Booking.Source.WECHAT, Booking.Source.WECHAT.label), (Booking.Source.PARTNER, Booking.Source.PARTNER.label)],
        default=Booking.Source.PARTNER,
    )  # fmt: skip
    contact_name = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, required=False, default="", allow_blank=True)
    special_requests = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    hold_until = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                           help_text="A tentative booking, released at this time.")  # fmt: skip


class BookingChangeIn(serializers.Serializer):
    date = serializers.DateField(required=False)
    meal_period = serializers.ChoiceField(choices=MealPeriod.choices, required=False)
    arrival_time = serializers.TimeField(required=False)
    party_size = serializers.IntegerField(min_value=1, max_value=500, required=False)
    rooms = _codes(required=False)
    special_requests = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    note = serializers.CharField(max_length=100, required=False, default="", allow_blank=True,
                                 help_text="Why it changes, kept with the change.")  # fmt: skip


class CancelIn(serializers.Serializer):
    reason = serializers.ChoiceField(choices=[(value, label) for value, label in Booking.CancelReason.choices
                                              if value in CANCEL_REASONS])  # fmt: skip
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


def _booking_out(booking: Booking) -> dict:
    return {
        "id": booking.pk, "status": booking.status,
        "guest": {"card_no": booking.guest.card_no, "honorific": booking.guest.greeting},
        "outlet": booking.outlet.code, "date": booking.date, "meal_period": booking.meal_period,
        "arrival_time": booking.arrival_time, "party_size": booking.party_size,
        "rooms": sorted(room.code or room.name for room in booking.rooms.all()), "purpose": booking.purpose,
        "source": booking.source, "special_requests": booking.special_requests, "hold_until": booking.hold_until,
        "cancel_reason": booking.cancel_reason,
    }  # fmt: skip


def _outlet(request, code: str) -> Outlet:
    outlet = Outlet.objects.filter(code=code, is_active=True).first() if code else None
    if outlet is None:
        raise ValidationError({"outlet": [_("No outlet in use has this code.")]})
    if not outlet_allowed(request, outlet.pk):
        raise PermissionDenied(_("This key may not book at %(outlet)s.") % {"outlet": outlet})
    return outlet


def _rooms(outlet: Outlet, codes: list[str]) -> list[Room]:
    rooms = {room.code: room for room in Room.objects.filter(outlet=outlet, code__in=codes, is_active=True)}
    unknown = [code for code in codes if code not in rooms]
    if unknown:
        raise ValidationError({"rooms": [_("%(outlet)s has no room or table in use with the code %(codes)s.")
                                         % {"outlet": outlet, "codes": "、".join(unknown)}]})  # fmt: skip
    return list(rooms.values())


def _host(data: dict) -> dict:
    """booking_create's guest or new_guest: the card number, else the one guest with that mobile, else a
    new guest by the quick-add rules."""
    card_no, mobile = data["card_no"].strip().upper(), normalise_mobile(data["mobile"])
    guests = Guest.objects.filter(anonymised_at__isnull=True)
    if card_no:
        guest = guests.filter(card_no=card_no).first()
        if guest is None:
            raise ValidationError({"guest.card_no": [_("No guest of the archive has this card number.")]})
        return {"guest": guest}
    if not mobile:
        raise ValidationError({"guest": [_("Give the host's card number, or their mobile.")]})
    found = list(guests.filter(mobile=mobile)[:2])
    if len(found) > 1:
        raise ValidationError({"guest.mobile": [_("Several guests have this mobile: give the card number.")]})
    if found:
        return {"guest": found[0]}
    if not data["surname"].strip():
        raise ValidationError({"guest.surname": [_("No guest has this mobile: give the new guest's surname.")]})
    return {"new_guest": {"surname": data["surname"], "honorific": data["honorific"], "mobile": mobile}}


def _refused(error: DjangoValidationError):
    """A service's refusal: a room taken at that time is a conflict (409) naming the rooms still free."""
    if hasattr(error, "error_dict") and any(e.code == "taken" for e in error.error_dict.get("rooms", [])):
        return RoomTaken(error.message_dict["rooms"][0])
    return error


def _visible(request):
    bound = bound_outlets(request)
    bookings = Booking.objects.select_related("guest", "outlet").prefetch_related("rooms")
    return bookings.filter(outlet_id__in=bound) if bound else bookings


def _booking(request, pk: int) -> Booking:
    booking = _visible(request).filter(pk=pk).first()
    if booking is None:
        raise NotFound(_("No booking of yours has this number."))
    return booking


def _usual(period: str) -> datetime.time:
    return datetime.time.fromisoformat(USUAL_ARRIVAL[period])


def _date(value: str, name: str = "date") -> datetime.date:
    try:
        return serializers.DateField().to_internal_value(value)
    except ValidationError:
        raise ValidationError({name: [_("Give a date, e.g. 2026-12-24.")]}) from None


class Availability(APIView):
    """The rooms and tables of an outlet free for a whole meal: from the arrival time (default the meal
    period's usual hour) for the meal period's usual length, with at least the seats asked for."""

    scopes = "bookings:read"

    @extend_schema(
        operation_id="bookings_availability",
        parameters=[OpenApiParameter("outlet", str, required=True, description="The outlet's code."),
                    OpenApiParameter("date", datetime.date, required=True),
                    OpenApiParameter("meal_period", str, required=True, enum=MealPeriod.values),
                    OpenApiParameter("arrival_time", str, description="HH:MM"),
                    OpenApiParameter("party_size", int, description="Only rooms seating at least this many.")],
        responses=AvailabilityOut,
    )  # fmt: skip
    def get(self, request):
        params = request.query_params
        outlet, day = _outlet(request, params.get("outlet", "")), _date(params.get("date", ""))
        if beyond := beyond_days_ahead(day):
            raise ValidationError({"date": [beyond]})
        period = params.get("meal_period", "")
        if period not in MealPeriod.values:
            raise ValidationError({"meal_period": [_("Choose a meal period: %(periods)s.")
                                                   % {"periods": ", ".join(MealPeriod.values)}]})  # fmt: skip
        arrival = _usual(period)
        if params.get("arrival_time"):
            try:
                arrival = serializers.TimeField().to_internal_value(params["arrival_time"])
            except ValidationError:
                raise ValidationError({"arrival_time": [_("Give a time, e.g. 18:30.")]}) from None
        starts, ends = booking_period(date=day, meal_period=period, arrival_time=arrival)
        # A room without a code cannot be named by a machine, so it is not offered.
        rooms = rooms_free(outlet=outlet, starts_at=max(starts, timezone.now()), ends_at=ends).exclude(code="")
        party = params.get("party_size", "")
        if party:
            if not party.isdigit() or not 1 <= int(party) <= 500:
                raise ValidationError({"party_size": [_("Give the number of guests, from 1 to 500.")]})
            rooms = [room for room in rooms if not room.seats or room.seats >= int(party)]
        body = {"outlet": outlet.code, "date": day, "meal_period": period, "arrival_time": arrival,
                "rooms": [{"code": room.code, "name": room.name, "private": room.is_private,
                           "seats": room.seats} for room in rooms]}  # fmt: skip
        return Response(AvailabilityOut(body).data)


class BookingList(APIView):
    scopes = {"GET": "bookings:read", "POST": "bookings:write"}

    @replica_reads
    @extend_schema(
        operation_id="bookings_list",
        parameters=[OpenApiParameter("date", datetime.date, required=True),
                    OpenApiParameter("outlet", str, description="The outlet's code; default every outlet of the key."),
                    OpenApiParameter("meal_period", str, enum=MealPeriod.values)],
        responses=BookingListOut,
    )  # fmt: skip
    def get(self, request):
        params = request.query_params
        bookings = _visible(request).filter(date=_date(params.get("date", "")))
        if params.get("outlet"):
            bookings = bookings.filter(outlet=_outlet(request, params["outlet"]))
        if params.get("meal_period"):
            bookings = bookings.filter(meal_period=params["meal_period"])
        bookings = list(bookings.order_by("arrival_time", "id"))
        api_reads_add(client=client_of(request), endpoint="bookings", records=len(bookings))
        return Response(BookingListOut({"bookings": [_booking_out(booking) for booking in bookings]}).data)

    @extend_schema(operation_id="bookings_create", request=BookingIn, responses={201: BookingOut})
    def post(self, request):
        data = BookingIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        outlet = _outlet(request, fields.pop("outlet"))
        rooms, host = _rooms(outlet, fields.pop("rooms")), _host(fields.pop("guest"))
        fields.setdefault("arrival_time", _usual(fields["meal_period"]))
        if not fields["hold_until"]:
            del fields["hold_until"]
        try:
            with transaction.atomic():
                booking = booking_create(actor=request.user, rooms=rooms, fields={"outlet": outlet, **fields}, **host)
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response(BookingOut(_booking_out(_booking(request, booking.pk))).data, status=status.HTTP_201_CREATED)


class BookingDetail(APIView):
    scopes = {"GET": "bookings:read", "PATCH": "bookings:write"}

    @extend_schema(operation_id="bookings_read", responses=BookingOut)
    def get(self, request, pk):
        booking = _booking(request, pk)
        api_reads_add(client=client_of(request), endpoint="bookings", records=1)
        return Response(BookingOut(_booking_out(booking)).data)

    @extend_schema(operation_id="bookings_change", request=BookingChangeIn, responses=BookingOut)
    def patch(self, request, pk):
        booking = _booking(request, pk)
        data = BookingChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        note = fields.pop("note")
        rooms = _rooms(booking.outlet, fields.pop("rooms")) if "rooms" in fields else None
        try:
            with transaction.atomic():
                booking_change(actor=request.user, booking=booking, fields=fields, rooms=rooms, note=note)
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response(BookingOut(_booking_out(_booking(request, pk))).data)


class BookingCancel(APIView):
    scopes = {"POST": "bookings:write"}

    @extend_schema(operation_id="bookings_cancel", request=CancelIn, responses=BookingOut)
    def post(self, request, pk):
        booking = _booking(request, pk)
        data = CancelIn(data=request.data)
        data.is_valid(raise_exception=True)
        booking_cancel(actor=request.user, booking=booking, reason=data.validated_data["reason"],
                       note=data.validated_data["note"])  # fmt: skip
        return Response(BookingOut(_booking_out(_booking(request, pk))).data)
