"""The guest's rights under PIPL, from the profile: withdraw consent, see everything held."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .cards.subject_access import PERMISSIONS, guest_data_export
from .models import Guest
from .services import guest_consent_withdraw
from .views import _xlsx_response


@permission_required("guests.view_guest", raise_exception=True)
@require_POST
def consent_withdraw(request, pk):
    guest = get_object_or_404(Guest, pk=pk)
    try:
        guest_consent_withdraw(guest=guest, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Consent withdrawn: %(name)s will receive no more greetings.") % {
            "name": guest.display_name})  # fmt: skip
    return redirect("guests:profile", pk=guest.pk)


@permission_required(PERMISSIONS, raise_exception=True)
@require_GET
def data_download(request, pk):
    """Everything held about the guest, for a request under the right of access; logged."""
    guest = get_object_or_404(Guest, pk=pk, anonymised_at__isnull=True)
    return _xlsx_response(guest_data_export(actor=request.user, guest=guest), f"客人数据-{guest.card_no}.xlsx")
