"""The desk's side of the phone system: the caller's card pops up on whatever KeShi page the desk has
open (htmx polls `latest` twice a second: one indexed query), and the missed calls wait for a call-back."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bookings.phone import Match, caller_card

from .models import PhoneCall
from .services import call_back_done

DESK = "bookings.add_booking"
# A call older than this no longer pops up (the desk opened the page later).
FRESH = datetime.timedelta(minutes=2)
MISSED_DAYS = 7


@permission_required(DESK, raise_exception=True)
@require_GET
def latest(request):
    """The poller again, with the newest call since the last one it showed; a known caller's card with it."""
    after = request.GET.get("after", "")
    since = request.GET.get("since", "")
    calls = PhoneCall.objects.filter(created_at__gte=timezone.now() - FRESH)
    if after.isdigit():
        calls = calls.filter(pk__gt=int(after))
    elif since.isdigit():
        calls = calls.filter(created_at__gt=datetime.datetime.fromtimestamp(int(since), tz=datetime.UTC))
    else:
        return HttpResponse(status=400)
    # Every open desk asks twice a second and nearly always hears nothing: the newest call's id alone first,
    # from the calls' own index (a join with the guest and the related person costs more to plan than to
    # run), and the call with whom it is only when there is one.
    newest = calls.order_by("-pk").values_list("pk", flat=True).first()
    if newest is None:
        return HttpResponse(status=204)  # htmx leaves the poller as it is
    call = PhoneCall.objects.select_related("guest", "person").filter(pk=newest).first()
    if call is None:  # deleted in between (the call log's sweep): nothing to show
        return HttpResponse(status=204)
    card = caller_card(Match(call.guest, call.person)) if call.guest_id else None
    return render(request, "calls/_poller.html", {"call": call, "card": card, "after": call.pk})


@permission_required(DESK, raise_exception=True)
@require_GET
def missed(request):
    since = timezone.now() - datetime.timedelta(days=MISSED_DAYS)
    calls = PhoneCall.objects.filter(answered=False, called_back_at__isnull=True, at__gte=since)
    known = list(calls.filter(guest__isnull=False, guest__anonymised_at__isnull=True).select_related("guest", "person"))
    context = {"calls": known, "unknown": calls.filter(guest__isnull=True).count(), "days": MISSED_DAYS}
    return render(request, "calls/missed.html", context)


@permission_required(DESK, raise_exception=True)
@require_POST
def called_back(request, pk):
    call = get_object_or_404(PhoneCall, pk=pk, answered=False)
    try:
        call_back_done(actor=request.user, call=call)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Marked as called back."))
    return redirect("calls:missed")
