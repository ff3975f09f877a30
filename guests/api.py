"""The guests for machines: a list to sync from (cursor pages, updated_since), one guest, a new guest by
the quick-add rules, and a partial update that a stale client cannot make (ETag / If-Match).

What is served is a fixed list of fields (GUEST_FIELDS): never the confidential notes, whatever the scope.
"""

import datetime
import hashlib
import json

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import pagination, serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api import problem_responses
from staff.api import client_of
from staff.clients import api_reads_add

from .models import Guest
from .selectors import guest_duplicates
from .services import guest_create, guest_update
from .validators import normalise_mobile, validate_mobile

# The fields a machine reads; WRITABLE those it may set. Confidential notes are in neither.
GUEST_FIELDS = (
    "card_no", "tier", "name", "surname", "honorific", "gender", "mobile", "company", "title", "taboos", "allergies",
    "favourite_dishes", "favourite_drinks", "seating", "greeting_consent", "updated_at",
)  # fmt: skip
WRITABLE = ("name", "surname", "honorific", "gender", "mobile", "company", "title", "taboos", "allergies",
            "favourite_dishes", "favourite_drinks", "seating")  # fmt: skip


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"


class PreconditionRequired(APIException):
    status_code = 428
    default_code = "precondition_required"


class DuplicateGuest(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "duplicate"


class GuestOut(serializers.ModelSerializer):
    class Meta:
        model = Guest
        fields = GUEST_FIELDS
        read_only_fields = GUEST_FIELDS


class GuestIn(serializers.ModelSerializer):
    confirm_duplicate = serializers.BooleanField(
        required=False, default=False, write_only=True,
        help_text="Create even though a guest of the same name works at the same company (never for the same mobile).",
    )  # fmt: skip

    mobile = serializers.CharField(max_length=30, required=False, allow_blank=True,
                                   help_text="11 digits, or with +86, spaces or dashes.")  # fmt: skip

    class Meta:
        model = Guest
        fields = (*WRITABLE, "confirm_duplicate")

    def validate_mobile(self, value: str) -> str:
        value = normalise_mobile(value)
        validate_mobile(value)
        return value


def etag(guest: Guest) -> str:
    """The guest as served, hashed: what If-Match must name for a change to be made."""
    values = {name: str(getattr(guest, name)) for name in GUEST_FIELDS if name != "updated_at"}
    return '"' + hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:32] + '"'


class GuestPages(pagination.CursorPagination):
    """Pages in the order guests last changed, so a sync resumes where it stopped."""

    ordering = ("updated_at", "id")
    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"


class GuestPageOut(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page's address; null on the last page.")
    previous = serializers.URLField(allow_null=True)
    results = GuestOut(many=True)


def _served(request, guests) -> None:
    api_reads_add(client=client_of(request), endpoint="guests", records=len(guests))


class GuestList(APIView):
    scopes = {"GET": "guests:read", "POST": "guests:write"}

    @extend_schema(
        operation_id="guests_list",
        parameters=[OpenApiParameter("updated_since", datetime.datetime, description="Only guests changed since then."),
                    OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses={200: GuestPageOut, **problem_responses(404)},
    )  # fmt: skip
    def get(self, request):
        guests = Guest.objects.filter(anonymised_at__isnull=True)
        since = request.query_params.get("updated_since")
        if since:
            try:
                parsed = serializers.DateTimeField().to_internal_value(since)
            except ValidationError:
                raise ValidationError(
                    {"updated_since": [_("Give a date and time, e.g. 2026-12-01T08:00:00+08:00.")]}
                ) from None
            guests = guests.filter(updated_at__gte=parsed)
        pages = GuestPages()
        page = pages.paginate_queryset(guests.only(*GUEST_FIELDS), request, view=self)
        _served(request, page)
        return pages.get_paginated_response(GuestOut(page, many=True).data)

    @extend_schema(operation_id="guests_create", request=GuestIn, responses={201: GuestOut, **problem_responses(409)})
    def post(self, request):
        data = GuestIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        confirmed = fields.pop("confirm_duplicate")
        fields.setdefault("mobile", "")
        with transaction.atomic():
            duplicates = list(guest_duplicates(mobile=fields["mobile"], name=fields.get("name", ""),
                                               company=fields.get("company", ""))[:5])  # fmt: skip
            same_mobile = [g for g in duplicates if fields["mobile"] and g.mobile == fields["mobile"]]
            if same_mobile or (duplicates and not confirmed):
                raise DuplicateGuest(
                    _("The archive has this guest already (card %(cards)s): nothing was created.")
                    % {"cards": ", ".join(g.card_no for g in (same_mobile or duplicates))}
                )
            guest = guest_create(actor=request.user, fields=fields)
        response = Response(GuestOut(guest).data, status=status.HTTP_201_CREATED)
        response["ETag"] = etag(guest)
        return response


class GuestDetail(APIView):
    scopes = {"GET": "guests:read", "PATCH": "guests:write"}

    @extend_schema(operation_id="guests_read", responses=GuestOut)
    def get(self, request, card_no):
        guest = get_object_or_404(Guest, card_no=card_no.upper(), anonymised_at__isnull=True)
        _served(request, [guest])
        response = Response(GuestOut(guest).data)
        response["ETag"] = etag(guest)
        return response

    @extend_schema(
        operation_id="guests_update", request=GuestIn, responses={200: GuestOut, **problem_responses(412, 428)},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True,
                                     description="The ETag of the guest as last read.")],
    )  # fmt: skip
    def patch(self, request, card_no):
        wanted = request.headers.get("If-Match", "")
        if not wanted:
            raise PreconditionRequired(_("Send If-Match with the ETag of the guest as you last read it."))
        data = GuestIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = {name: value for name, value in data.validated_data.items() if name in WRITABLE}
        with transaction.atomic():
            guest = get_object_or_404(Guest.objects.select_for_update(), card_no=card_no.upper(),
                                      anonymised_at__isnull=True)  # fmt: skip
            if wanted not in (etag(guest), "*"):
                raise PreconditionFailed(_("The guest has changed since you read it: read it again, then change it."))
            guest = guest_update(guest=guest, actor=request.user, fields=fields, reason=_("Changed through the API"))
        response = Response(GuestOut(guest).data)
        response["ETag"] = etag(guest)
        return response
