"""The POS's bills nobody could be matched to: the front desk links each to the guest it was, or dismisses it."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from guests.models import Guest

from .bills import DESK, bill_dismiss, bill_link
from .models import PosBill


class LinkForm(forms.Form):
    card_no = forms.CharField(label=gettext_lazy("Card number"), max_length=20)

    def clean_card_no(self) -> Guest:
        card_no = self.cleaned_data["card_no"].strip()
        guest = Guest.objects.filter(card_no=card_no.upper(), anonymised_at__isnull=True).order_by().first()
        if guest is None:
            raise ValidationError(_("No guest in the archive has the card number %(card)s.") % {"card": card_no})
        return guest


@permission_required(DESK, raise_exception=True)
@require_GET
def unmatched(request):
    bills = PosBill.objects.filter(status=PosBill.Status.UNMATCHED).select_related("outlet", "room")
    return render(request, "visits/unmatched_bills.html", {"bills": bills[:200], "form": LinkForm()})


def _unmatched_bill(pk) -> PosBill:
    return get_object_or_404(PosBill, pk=pk)


@permission_required(DESK, raise_exception=True)
@require_POST
def link(request, pk):
    bill = _unmatched_bill(pk)
    form = LinkForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["card_no"])
        bill = bill_link(actor=request.user, bill=bill, guest=form.cleaned_data["card_no"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Bill %(bill)s is now a visit of %(guest)s.")
                         % {"bill": bill.bill_number, "guest": bill.visit.guest.greeting})  # fmt: skip
    return redirect("visits:unmatched_bills")


@permission_required(DESK, raise_exception=True)
@require_POST
def dismiss(request, pk):
    try:
        bill = bill_dismiss(actor=request.user, bill=_unmatched_bill(pk))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Bill %(bill)s dismissed.") % {"bill": bill.bill_number})
    return redirect("visits:unmatched_bills")
