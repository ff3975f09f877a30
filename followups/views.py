import datetime

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from crm.paging import page_of, wants_fragment
from guests.models import Guest
from staff.submissions import submitted_once

from .filters import TeamFollowUpFilter
from .forms import CompleteForm, FollowUpForm, ReassignForm, RescheduleForm
from .models import FollowUp
from .selectors import followup_assignees, my_followup_counts, my_followups, team_counts, team_followups
from .services import followup_complete, followup_create, followup_may_act, followup_reassign, followup_reschedule

PER_PAGE = 50
# The windows of followups.selectors.my_followups, as tabs.
TABS = {
    "today": gettext_lazy("Today"),
    "overdue": gettext_lazy("Overdue"),
    "week": gettext_lazy("This week"),
    "open": gettext_lazy("All open"),
}


def _row_context(request, **extra) -> dict:
    today = timezone.localdate()
    return {"today": today, "tomorrow": today + datetime.timedelta(days=1), **extra}


def _counted_page(request, rows, count):
    return page_of(request, rows, per_page=PER_PAGE, count=count)


@permission_required("followups.view_followup", raise_exception=True)
def mine(request):
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "today"
    counts = my_followup_counts(user=request.user)
    page = _counted_page(request, my_followups(user=request.user, window=tab), counts[tab])
    tabs = [(key, label, counts[key]) for key, label in TABS.items()]
    context = _row_context(request, tab=tab, tabs=tabs, page=page, next=request.get_full_path())
    return render(request, "followups/mine.html", context)


@permission_required("followups.view_all_followups", raise_exception=True)
def team(request):
    filterset = TeamFollowUpFilter(request.GET, queryset=team_followups())
    rows = filterset.qs if filterset.is_valid() else FollowUp.objects.none()
    counts = team_counts(queryset=rows)
    page = _counted_page(request, rows, sum(row.total for row in counts))
    context = _row_context(request, filter=filterset, page=page, counts=counts, team=True,
                           assignees=list(followup_assignees()), next=request.get_full_path())  # fmt: skip
    return render(request, "followups/team.html", context)


@permission_required("followups.add_followup", raise_exception=True)
@require_http_methods(["GET", "POST"])
@submitted_once
def create(request, guest_pk):
    guest = get_object_or_404(Guest, pk=guest_pk)
    form = FollowUpForm(request.POST or None, user=request.user, guest=guest)
    if request.method == "POST" and form.is_valid():
        try:
            followup = followup_create(actor=request.user, guest=guest, fields=form.service_fields())
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Follow-up added for %(owner)s, due %(due)s.") % {"owner": followup.owner, "due": followup.due_on},
            )
            return redirect("guests:profile", pk=guest.pk)
    return render(request, "followups/form.html", {"form": form, "guest": guest})


def _back(request) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("followups:mine")


def _act(request, pk, form_class, action, done_message):
    """Bind the row's form, call the service, answer with the row (htmx) or a redirect back.

    A refusal answers with its message alone, before the form is even read: the row is someone
    else's guest, task and notes (a waiter looping over ids read 87 of them)."""
    followup = get_object_or_404(FollowUp, pk=pk)
    form = form_class(request.POST)
    error, status = None, 200
    try:
        if not followup_may_act(actor=request.user, followup=followup):
            raise PermissionDenied(_("Only the owner or a manager may change this follow-up."))
        if not form.is_valid():
            raise ValidationError([message for errors in form.errors.values() for message in errors])
        followup = action(followup, form.cleaned_data)
    except PermissionDenied as refusal:
        if not wants_fragment(request):
            raise
        context = {"pk": followup.pk, "error": str(refusal) or _("You may not change this follow-up.")}
        return render(request, "followups/partials/refusal.html", context, status=403)
    except ValidationError as invalid:
        error, status = " ".join(invalid.messages), 422
        if not wants_fragment(request):
            messages.error(request, error)
            return redirect(_back(request))
    if not wants_fragment(request):
        messages.success(request, done_message(followup))
        return redirect(_back(request))
    followup = FollowUp.objects.select_related("guest", "owner", "completed_by").get(pk=followup.pk)
    team = request.POST.get("layout") == "team" and request.user.has_perm("followups.view_all_followups")
    context = _row_context(request, followup=followup, error=error, team=team, next=_back(request),
                           assignees=list(followup_assignees()) if team else [])  # fmt: skip
    return render(request, "followups/partials/row.html", context, status=status)


@permission_required("followups.change_followup", raise_exception=True)
@require_POST
def done(request, pk):
    return _act(
        request, pk, CompleteForm,
        lambda followup, data: followup_complete(actor=request.user, followup=followup, outcome=data["outcome"]),
        lambda followup: _("Follow-up done: %(guest)s.") % {"guest": followup.guest.greeting},
    )  # fmt: skip


@permission_required("followups.change_followup", raise_exception=True)
@require_POST
def skip(request, pk):
    return _act(
        request, pk, CompleteForm,
        lambda followup, data: followup_complete(
            actor=request.user, followup=followup, outcome=data["outcome"], skipped=True
        ),
        lambda followup: _("Follow-up skipped: %(guest)s.") % {"guest": followup.guest.greeting},
    )  # fmt: skip


@permission_required("followups.change_followup", raise_exception=True)
@require_POST
def reschedule(request, pk):
    return _act(
        request, pk, RescheduleForm,
        lambda followup, data: followup_reschedule(
            actor=request.user, followup=followup, due_on=data["due_on"], outcome=data["outcome"]
        ),
        lambda followup: _("Follow-up for %(guest)s moved to %(due)s.")
        % {"guest": followup.guest.greeting, "due": followup.due_on.isoformat()},
    )  # fmt: skip


@permission_required("followups.change_followup", raise_exception=True)
@require_POST
def reassign(request, pk):
    return _act(
        request, pk, ReassignForm,
        lambda followup, data: followup_reassign(actor=request.user, followup=followup, owner=data["owner"]),
        lambda followup: _("Follow-up for %(guest)s given to %(owner)s.")
        % {"guest": followup.guest.greeting, "owner": followup.owner},
    )  # fmt: skip
