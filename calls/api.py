"""POST /api/v1/calls: the phone system reports each call as it rings (or is missed)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from guests.models import Guest
from staff.api import client_of

from .services import call_record


class CallIn(serializers.Serializer):
    number = serializers.CharField(max_length=30, help_text="The caller's number as the phone system shows it.")
    line = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When it rang; now if left out."
    )
    answered = serializers.BooleanField(help_text="False for a missed call: it is listed for a call-back.")
    call_id = serializers.CharField(max_length=80, required=False, default="", allow_blank=True,
                                    help_text="The phone system's own id: a call reported again is recorded once.")  # fmt: skip


class CallGuestOut(serializers.Serializer):
    card_no = serializers.CharField()
    honorific = serializers.CharField()
    tier = serializers.ChoiceField(choices=Guest.Tier.choices)


class CallOut(serializers.Serializer):
    id = serializers.IntegerField()
    known = serializers.BooleanField(help_text="Whether the number is one guest's (or their related person's).")
    guest = CallGuestOut(allow_null=True)


class CallCreate(APIView):
    scopes = {"POST": "calls:write"}

    @extend_schema(operation_id="calls_create", request=CallIn, responses={201: CallOut, 200: CallOut})
    def post(self, request):
        data = CallIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        call, new = call_record(client=client_of(request), number=fields["number"], line=fields["line"],
                                at=fields["at"], answered=fields["answered"], external_id=fields["call_id"])  # fmt: skip
        guest = call.guest
        body = {"id": call.pk, "known": guest is not None,
                "guest": guest and {"card_no": guest.card_no, "honorific": guest.greeting, "tier": guest.tier}}  # fmt: skip
        return Response(CallOut(body).data, status=status.HTTP_201_CREATED if new else status.HTTP_200_OK)
