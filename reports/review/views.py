"""The review pages: the list, run, progress, retry, and the lines to approve or reject."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from crm.db import replica_reads

from ..models import Review, ReviewLine
from .decisions import review_approve, review_reject, tier_reason
from .engine import review_changes
from .filters import ReviewLineFilter
from .jobs import RUN, review_request, review_retry


@permission_required(RUN, raise_exception=True)
@replica_reads
def review_list(request):
    reviews = Review.objects.select_related("started_by")[:24]
    return render(request, "reports/review_list.html", {"reviews": reviews})


@permission_required(RUN, raise_exception=True)
@require_POST
def review_run(request):
    review, sent = review_request(actor=request.user)
    period = {"period": review.period}
    if sent:
        messages.success(request, _("The review of period %(period)s has started.") % period)
    elif review.status == Review.Status.QUEUED:
        messages.info(request, _("The review of period %(period)s is waiting for a background worker: if it does "
                                 "not start, send it again from this page.") % period)  # fmt: skip
    elif review.status == Review.Status.RUNNING:
        messages.info(request, _("The review of period %(period)s is running.") % period)
    else:
        messages.info(request, _("The review of period %(period)s already exists.") % period)
    return redirect("review:detail", pk=review.pk)


@permission_required(RUN, raise_exception=True)
@require_POST
def retry_review(request, pk):
    """Send a queued review to the worker again, or retry a failed one (it resumes where it stopped)."""
    review = get_object_or_404(Review, pk=pk)
    try:
        review_retry(actor=request.user, review=review)
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
    else:
        messages.success(request, _("The review has been sent to the background worker again."))
    return redirect("review:detail", pk=review.pk)


@permission_required(RUN, raise_exception=True)
@replica_reads
def review_detail(request, pk):
    review = get_object_or_404(Review.objects.select_related("previous"), pk=pk)
    if review.status != Review.Status.READY:
        return render(request, "reports/review_detail.html", {"review": review})
    lines = ReviewLine.objects.filter(review=review).select_related("guest", "guest__owner", "review")
    filterset = ReviewLineFilter(request.GET, queryset=lines, review=review)
    rows = filterset.qs if filterset.is_valid() else lines.none()
    page = Paginator(rows.order_by("guest__tier", "-spend_12m", "id"), 50).get_page(request.GET.get("page"))
    for line in page:
        line.reason = tier_reason(line)
    context = {"review": review, "filter": filterset, "page": page, "changes": review_changes(review=review)}
    return render(request, "reports/review_detail.html", context)


@permission_required(RUN, raise_exception=True)
def review_progress(request, pk):
    """The progress bar, polled by htmx; once the review is ready the page reloads itself."""
    review = get_object_or_404(Review, pk=pk)
    response = render(request, "reports/review_progress.html", {"review": review})
    if review.status in (Review.Status.READY, Review.Status.FAILED):
        response["HX-Refresh"] = "true"
    return response


@permission_required(RUN, raise_exception=True)
@require_POST
def review_decide(request, pk):
    review = get_object_or_404(Review, pk=pk, status=Review.Status.READY)
    ids = [int(value) for value in request.POST.getlist("line") if value.isdigit()]
    action = request.POST.get("action")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("review:detail", args=[review.pk])
    if not ids or action not in ("approve", "reject"):
        messages.error(request, _("Tick at least one proposal, then approve or reject."))
        return redirect(back)
    if action == "approve":
        count = review_approve(actor=request.user, review=review, line_ids=ids)
        text = ngettext("%(count)s proposal approved.", "%(count)s proposals approved.", count)
    else:
        count = review_reject(actor=request.user, review=review, line_ids=ids)
        text = ngettext("%(count)s proposal rejected.", "%(count)s proposals rejected.", count)
    messages.success(request, text % {"count": count})
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = back
        return response
    return redirect(back)
