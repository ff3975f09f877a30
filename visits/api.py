"""POST /api/v1/visits: a bill from the POS becomes the guest's visit (visits.bills)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api import OwnTransactionView
from staff.api import client_of, outlet_allowed
from staff.models import Outlet

from .bills import bill_adjust, bill_receive, outlet_and_room_for_codes
from .models import PaymentMethod, PosBill, PosBillAdjustment


class BillItemIn(serializers.Serializer):
    dish = serializers.CharField(max_length=60)
    quantity = serializers.IntegerField(min_value=1, max_value=999, default=1)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)


class BillGuestIn(serializers.Serializer):
    card_no = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)
    mobile = serializers.CharField(max_length=30, required=False, default="", allow_blank=True)


class BillIn(serializers.Serializer):
    outlet = serializers.CharField(max_length=20, help_text="The outlet's code in the POS.")
    room = serializers.CharField(max_length=20, required=False, default="", allow_blank=True,
                                 help_text="The room's or table's code in the POS.")  # fmt: skip
    bill_number = serializers.CharField(max_length=40, help_text="Unique per outlet: a retry returns the first.")
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    party_size = serializers.IntegerField(min_value=1, max_value=500)
    items = BillItemIn(many=True, required=False, default=list, max_length=200)
    drinks = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    payment_method = serializers.ChoiceField(
        choices=PaymentMethod.choices, required=False, default="", allow_blank=True
    )
    guest = BillGuestIn(required=False, default=dict, help_text="Whose bill: the card number, or the mobile.")


class BillOut(serializers.Serializer):
    id = serializers.IntegerField()
    bill_number = serializers.CharField()
    status = serializers.ChoiceField(choices=PosBill.Status.choices)
    visit = serializers.IntegerField(allow_null=True)
    guest = serializers.CharField(allow_null=True, help_text="The card number of the guest whose visit it is.")


def _outlet(request, code: str, outlet: Outlet | None = None) -> Outlet:
    outlet = outlet or Outlet.objects.filter(code=code, is_active=True).first()
    if outlet is None:
        raise ValidationError({"outlet": [_("No outlet in use has this code.")]})
    if not outlet_allowed(request, outlet.pk):
        raise PermissionDenied(_("This key may not send the bills of %(outlet)s.") % {"outlet": outlet})
    return outlet


class AdjustmentIn(serializers.Serializer):
    outlet = serializers.CharField(max_length=20, help_text="The outlet's code in the POS.")
    bill_number = serializers.CharField(max_length=40, help_text="The bill voided or refunded, as first sent.")
    kind = serializers.ChoiceField(choices=PosBillAdjustment.Kind.choices)
    reference = serializers.CharField(max_length=40, help_text="The POS's number of the void or refund: a retry "
                                      "with the same reference returns the first.")  # fmt: skip
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, default=0,
                                      help_text="The amount refunded; a void takes the whole bill.")  # fmt: skip
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    at = serializers.DateTimeField()


class AdjustmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    bill_number = serializers.CharField()
    kind = serializers.ChoiceField(choices=PosBillAdjustment.Kind.choices)
    reference = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    net_total = serializers.DecimalField(max_digits=12, decimal_places=2,
                                         help_text="What the guest paid in the end.")  # fmt: skip
    visit = serializers.IntegerField(allow_null=True)


class BillAdjustment(APIView):
    """A void or a refund of a bill: its visit is corrected to what the guest paid in the end."""

    scopes = {"POST": "visits:write"}

    @extend_schema(
        operation_id="visits_adjust", request=AdjustmentIn, responses={201: AdjustmentOut, 200: AdjustmentOut}
    )
    def post(self, request):
        data = AdjustmentIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        outlet = _outlet(request, fields.pop("outlet"))
        adjustment, new = bill_adjust(client=client_of(request), outlet=outlet, bill_number=fields.pop("bill_number"),
                                      fields=fields)  # fmt: skip
        bill = adjustment.bill
        body = {"id": adjustment.pk, "bill_number": bill.bill_number, "kind": adjustment.kind,
                "reference": adjustment.reference, "amount": adjustment.amount, "net_total": bill.net_total(),
                "visit": bill.visit_id}  # fmt: skip
        return Response(AdjustmentOut(body).data, status=status.HTTP_201_CREATED if new else status.HTTP_200_OK)


class VisitFromBill(OwnTransactionView):
    # bill_receive opens the one transaction a bill needs, and a retry or a refusal needs none.
    scopes = {"POST": "visits:write"}

    @extend_schema(operation_id="visits_from_bill", request=BillIn, responses={201: BillOut, 200: BillOut})
    def post(self, request):
        data = BillIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        code, room_code = fields.pop("outlet"), fields.pop("room")
        outlet, room = outlet_and_room_for_codes(code, room_code)
        outlet = _outlet(request, code, outlet)
        if room_code and room is None:
            raise ValidationError({"room": [_("%(outlet)s has no room or table with this code.") % {"outlet": outlet}]})
        guest = fields.pop("guest")
        items = [
            {"dish": i["dish"], "quantity": i["quantity"], "amount": str(i["amount"])} for i in fields.pop("items")
        ]
        fields |= {"room": room, "items": items, "guest_card_no": guest.get("card_no", ""),
                   "guest_mobile": guest.get("mobile", "")}  # fmt: skip
        bill, new = bill_receive(client=client_of(request), outlet=outlet, fields=fields)
        body = {"id": bill.pk, "bill_number": bill.bill_number, "status": bill.status, "visit": bill.visit_id,
                "guest": bill.visit.guest.card_no if bill.visit_id else None}  # fmt: skip
        return Response(BillOut(body).data, status=status.HTTP_201_CREATED if new else status.HTTP_200_OK)
