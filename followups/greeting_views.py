"""The managers' page for automatic greetings whose outcome is unknown (followups.greetings)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm.paging import page_of

from .greetings import greeting_confirm_sent, greeting_requeue, greetings_unknown
from .models import Greeting

DECISIONS = {"sent": greeting_confirm_sent, "again": greeting_requeue}


@permission_required("followups.resolve_greeting", raise_exception=True)
@require_http_methods(["GET", "POST"])
def greetings_to_check(request):
    """GET lists them; POST settles one: it went out (checked with the gateway) or send it again."""
    if request.method == "POST":
        pk, action = request.POST.get("greeting", ""), request.POST.get("action")
        if not pk.isdigit() or action not in DECISIONS:
            messages.error(request, _("Choose a greeting, then whether it went out or should be sent again."))
            return redirect("followups:greetings")
        greeting = get_object_or_404(Greeting, pk=pk)
        try:
            DECISIONS[action](greeting=greeting, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            text = _("Marked as sent.") if action == "sent" else _("Queued again: the next run sends it.")
            messages.success(request, text)
        return redirect("followups:greetings")
    page = page_of(request, greetings_unknown())
    return render(request, "followups/greetings.html", {"page": page})
