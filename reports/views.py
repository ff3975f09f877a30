from itertools import islice

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.db import replica_reads
from crm.paging import page_uncounted, query_with

from .catalogue import REPORTS
from .exports import MAX_ROWS, export_xlsx
from .selectors import review_latest, staff_names
from .services import report_download_record

PER_PAGE = 50  # rows of a report page (its download holds them all)

VIEW = "reports.view_review"
EXPORT_CHUNK = 2000


@permission_required(VIEW, raise_exception=True)
def index(request):
    return render(request, "reports/index.html", {"reports": [report() for report in REPORTS.values()]})


@permission_required(VIEW, raise_exception=True)
@replica_reads
def report_page(request, slug):
    """Every report the same way: bind the filters, read the rows, then the page or the download."""
    if slug not in REPORTS:
        raise Http404
    report = REPORTS[slug]()
    review = review_latest() if report.reads_review else None
    filterset = report.filterset_class(request.GET, queryset=report.base(review), review=review)
    valid = filterset.is_valid() and (review is not None or not report.needs_review)
    rows = report.rows(filterset, review) if valid else []
    if request.GET.get("format") == "xlsx":
        if not filterset.is_valid():
            messages.error(request, _("Some filters are not valid: correct them, then download again."))
            return redirect(f"{request.path}?{query_with(request.GET, format=None)}")
        return _download(request, report, rows, filterset)
    page = page_uncounted(request, rows, per_page=PER_PAGE) if report.paginate else None
    shown = list(page["rows"] if page else rows)
    shown = report.present(shown, staff_names(ids=report.owner_ids(shown)))
    context = {
        "report": report,
        "filter": filterset,
        "review": review,
        "review_url": _review_url(),
        "rows": shown,
        "page": page,
        "chart": report.chart(shown) if shown else None,
        "download_query": query_with(request.GET, format="xlsx", page=None),
        **(report.extra(shown) if valid else {}),
    }
    return render(request, "reports/report.html", context)


class TooManyRows(Exception):
    pass


def _download(request, report, rows, filterset):
    filename = f"{report.slug}-{timezone.localdate():%Y%m%d}.xlsx"
    try:
        response, count = export_xlsx(str(report.title), report.columns, _presented(report, rows), filename=filename)
    except TooManyRows:
        messages.error(
            request,
            _("More than %(max)s rows match: narrow the filters, then download again.") % {"max": f"{MAX_ROWS:,}"},
        )
        return redirect(f"{request.path}?{query_with(request.GET, format=None)}")
    # The filters as the manager set them and the form read them, nothing else the query string carried.
    cleaned = filterset.form.cleaned_data
    filters = {
        name: request.GET[name]
        for name in filterset.filters
        if request.GET.get(name) and cleaned.get(name) not in (None, "")
    }
    report_download_record(actor=request.user, slug=report.slug, rows=count, filters=filters)
    return response


def _presented(report, rows):
    """The rows in chunks, streamed from the database, with their owners' names."""
    owners = {}
    iterator = rows.iterator(chunk_size=EXPORT_CHUNK) if hasattr(rows, "iterator") else iter(rows)
    count = 0
    while chunk := list(islice(iterator, EXPORT_CHUNK)):
        count += len(chunk)
        if count > MAX_ROWS:
            raise TooManyRows
        owners |= staff_names(ids=report.owner_ids(chunk) - owners.keys())
        yield from report.present(chunk, owners)


def _review_url() -> str | None:
    try:
        return reverse("review:list")
    except NoReverseMatch:
        return None
