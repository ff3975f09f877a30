import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm.paging import PER_PAGE, page_keyset, page_of
from guests.models import Guest
from staff.submissions import submitted_once

from .complaints import STEPS, complaint_record, complaint_steps_for, complaint_transition
from .filters import ComplaintFilter, VisitFilter
from .forms import ComplaintForm, ComplaintStepForm, VisitForm
from .models import Complaint, Visit
from .selectors import complaint_figures, visit_list_totals, visit_suggestions
from .services import visit_can_correct, visit_correct, visit_record

_FORM_FIELD_FOR = {"companions": "companion_cards", "guest": None}


def _report(form, error: ValidationError) -> None:
    """Put the service's verdict on the form fields the person can see."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages_ in error.message_dict.items():
        target = _FORM_FIELD_FOR.get(field, field)
        form.add_error(target if target in form.fields else None, messages_)


@permission_required("visits.add_visit", raise_exception=True)
@require_http_methods(["GET", "POST"])
@submitted_once
def create(request, guest_pk):
    guest = get_object_or_404(Guest, pk=guest_pk)
    form = VisitForm(request.POST or None, user=request.user, guest=guest)
    if request.method == "POST" and form.is_valid():
        try:
            visit_record(
                actor=request.user,
                guest=guest,
                fields=form.service_fields(),
                companions=form.cleaned_data["companion_cards"],
                observations=form.cleaned_data["observations"],
            )
        except ValidationError as error:
            _report(form, error)
        else:
            messages.success(request, _("Visit of %(name)s logged.") % {"name": guest.display_name})
            return redirect("guests:profile", pk=guest.pk)
    outlet_id = form["outlet"].value()
    suggestions = visit_suggestions(guest=guest, outlet_id=int(outlet_id) if str(outlet_id or "").isdigit() else None)
    return render(request, "visits/form.html", {"form": form, "guest": guest, "suggestions": suggestions})


@require_http_methods(["GET", "POST"])
def edit(request, pk):
    visit = get_object_or_404(Visit.objects.select_related("guest"), pk=pk)
    if not request.user.has_perm("visits.add_visit") or not visit_can_correct(actor=request.user, visit=visit):
        raise PermissionDenied
    form = VisitForm(request.POST or None, instance=visit, user=request.user, correcting=True)
    if request.method == "POST" and form.is_valid():
        # The stored visit, locked until commit: nobody else corrects it between the comparison and ours.
        changed = form.changes_since(Visit.objects.select_for_update().get(pk=visit.pk))
        if changed is not None:
            fields, companions = form.service_changes(changed)
            try:
                visit_correct(actor=request.user, visit=visit, fields=fields, companions=companions)
            except ValidationError as error:
                _report(form, error)
            else:
                messages.success(request, _("Visit corrected."))
                return redirect("guests:profile", pk=visit.guest_id)
    return render(request, "visits/form.html", {"form": form, "guest": visit.guest, "visit": visit})


@permission_required("visits.view_visit", raise_exception=True)
def visit_list(request):
    visits = Visit.objects.select_related("guest", "outlet", "room", "served_by")
    filterset = VisitFilter(_with_default_window(request.GET), queryset=visits)
    valid = filterset.is_valid()
    rows = filterset.qs if valid else visits.none()
    whole_archive = valid and all(value in (None, "") for value in filterset.form.cleaned_data.values())
    limit = getattr(settings, "KESHI_VISIT_LIST_COUNT_LIMIT", VISIT_LIST_COUNT_LIMIT)
    totals = visit_list_totals(rows=rows, limit=limit, whole_archive=whole_archive)
    page = page_keyset(request, rows, order=VISIT_LIST_ORDER, salt=VISIT_LIST_CURSOR_SALT, per_page=VISIT_LIST_PER_PAGE)
    return render(request, "visits/list.html", {"filter": filterset, "page": page, "totals": totals})


# Newest first; the id orders the visits logged at the same minute, and pages are read by where
# the last one stopped in this order (crm.paging.page_keyset), however deep.
VISIT_LIST_ORDER = ("-visited_at", "-id")
VISIT_LIST_PER_PAGE = PER_PAGE
VISIT_LIST_CURSOR_SALT = "visits.list"
# The list counts and sums at most this many visits (settings.KESHI_VISIT_LIST_COUNT_LIMIT overrides it):
# beyond, it reads "more than 2,000".
VISIT_LIST_COUNT_LIMIT = 2_000
VISIT_LIST_DEFAULT_DAYS = 30


def _with_default_window(params):
    """Without any date in the request, the list shows the last 30 days rather than counting
    the whole archive. An emptied date field (present but blank) asks for every date."""
    if "date_from" in params or "date_to" in params:
        return params
    params = params.copy()
    params["date_from"] = (timezone.localdate() - datetime.timedelta(days=VISIT_LIST_DEFAULT_DAYS - 1)).isoformat()
    return params


def _can_see_complaint(user, complaint) -> bool:
    return user.has_perm("visits.view_complaint") or complaint.assignee_id == user.pk


@permission_required("visits.add_complaint", raise_exception=True)
@require_http_methods(["GET", "POST"])
@submitted_once
def complaint_create(request, guest_pk):
    guest = get_object_or_404(Guest, pk=guest_pk)
    form = ComplaintForm(request.POST or None, guest=guest)
    if request.method == "POST" and form.is_valid():
        try:
            complaint_record(actor=request.user, guest=guest, fields=form.service_fields())
        except ValidationError as error:
            _report(form, error)
        else:
            messages.success(request, _("Complaint recorded; the first answer is due within 24 hours."))
            return redirect("guests:profile", pk=guest.pk)
    return render(request, "visits/complaint_form.html", {"form": form, "guest": guest})


@permission_required("visits.view_complaint", raise_exception=True)
def complaint_list(request):
    complaints = Complaint.objects.select_related("guest", "outlet", "assignee")
    filterset = ComplaintFilter(request.GET, queryset=complaints)
    rows = filterset.qs if filterset.is_valid() else complaints.none()
    page = page_of(request, rows.order_by("-received_at", "-id"))
    context = {
        "filter": filterset,
        "page": page,
        "by_category": complaint_figures(queryset=rows),
        "now": timezone.now(),
    }
    return render(request, "visits/complaint_list.html", context)


@require_http_methods(["GET", "POST"])
def complaint_detail(request, pk):
    complaint = get_object_or_404(Complaint.objects.select_related("guest", "visit", "outlet", "assignee"), pk=pk)
    if not _can_see_complaint(request.user, complaint):
        raise PermissionDenied
    form = ComplaintStepForm(request.POST or None, complaint=complaint)
    if request.method == "POST" and form.is_valid():
        # Locked until commit: no other step lands between the comparison and this one.
        data = form.changes_since(Complaint.objects.select_for_update().get(pk=complaint.pk))
        if data is not None:
            action = form.cleaned_data["action"]
            try:
                complaint_transition(actor=request.user, complaint=complaint, action=action, data=data)
            except ValidationError as error:
                _report(form, error)
            except PermissionDenied as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("Complaint updated."))
                return redirect("visits:complaint", pk=complaint.pk)
    steps = [(name, STEPS[name]) for name in complaint_steps_for(actor=request.user, complaint=complaint)]
    context = {"complaint": complaint, "events": complaint.events.select_related("actor"), "steps": steps,
               "form": form, "now": timezone.now()}  # fmt: skip
    return render(request, "visits/complaint_detail.html", context)
