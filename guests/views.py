import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.db import replica_reads
from crm.paging import wants_fragment
from staff.submissions import submitted_once

from .cards.forms import CardExportFilter, CardImportForm
from .cards.safety import Refused
from .cards.services import (
    card_export,
    card_import_confirm,
    card_import_retry,
    card_import_upload,
    card_template_export,
    cards_export,
    register_export,
    transfer_progress,
)
from .forms import (
    AnonymiseForm,
    GuestForm,
    GuestPreferencesForm,
    MergeForm,
    QuickAddForm,
    RelatedPeopleFormSet,
    people_after,
)
from .models import CardTransfer, Guest
from .profile import profile_panels, profile_timeline
from .rendering import guest_rows, masked_contact
from .selectors import guest_duplicates, guest_history, guest_profile, guest_search
from .services import (
    guest_anonymise,
    guest_create,
    guest_merge,
    guest_quick_add,
    guest_update,
    related_people_replace,
)


@transaction.non_atomic_requests  # read-only and the busiest page: no BEGIN/COMMIT round trips
@permission_required("guests.view_guest", raise_exception=True)
def lookup(request):
    # PostgreSQL refuses a NUL character in text: a pasted one is dropped, not a server error.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:50]
    results = list(guest_search(query=query)) if query else []
    context = {"query": query, "results": results, "rows": guest_rows(results)}
    template = "partials/guest_results.html" if wants_fragment(request) else "guests/lookup.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@permission_required("guests.view_guest", raise_exception=True)
def profile(request, pk):
    try:
        guest = guest_profile(guest_id=pk)
    except Guest.DoesNotExist:
        raise Http404 from None
    history = None
    if request.user.has_perm("guests.view_guest_history"):
        history = guest_history(guest=guest, confidential=request.user.has_perm("guests.view_confidential"))
    timeline = profile_timeline(guest=guest, page=request.GET.get("page"), actor=request.user)
    # Whoever may change the record sees the contacts whole; a waiter masked, the mobile as the lookup shows it.
    contact = masked_contact(guest, whole=request.user.has_perm("guests.change_guest"))
    context = {"guest": guest, "history": history, "timeline": timeline, "now": timezone.now(), "contact": contact,
               "today": timezone.localdate(), **profile_panels(guest=guest, actor=request.user)}  # fmt: skip
    return render(request, "guests/profile.html", context)


@permission_required("guests.view_guest_history", raise_exception=True)
def history(request, pk):
    guest = get_object_or_404(Guest, pk=pk)
    history = guest_history(guest=guest, limit=200, confidential=request.user.has_perm("guests.view_confidential"))
    return render(request, "guests/history.html", {"guest": guest, "history": history})


def _duplicates_block(form, exclude_id=None):
    """Duplicates to warn about, unless the user already confirmed they are someone else."""
    if form.cleaned_data.get("confirm_duplicate"):
        return []
    data = form.cleaned_data
    found = list(
        guest_duplicates(
            mobile=data.get("mobile", ""), name=data.get("name", ""), company=data.get("company", ""),
            exclude_id=exclude_id,
        )
    )  # fmt: skip
    if found:
        form.data = form.data.copy()
        form.data[form.add_prefix("confirm_duplicate")] = "on"
    return found


@permission_required("guests.add_guest", raise_exception=True)
@require_http_methods(["GET", "POST"])
@submitted_once
def create(request):
    form = GuestForm(request.POST or None, user=request.user)
    people = RelatedPeopleFormSet(request.POST or None, prefix="people")
    duplicates = []
    if request.method == "POST" and form.is_valid() and people.is_valid():
        duplicates = _duplicates_block(form)
        if not duplicates:
            try:
                guest = guest_create(actor=request.user, fields=form.service_fields(),
                                     tags=form.cleaned_data["tag_names"], related_people=people_after([], people.forms))  # fmt: skip
            except ValidationError as error:  # e.g. more related people than a guest may have
                form.add_error(None, error)
            else:
                messages.success(request, _("Guest %(name)s saved as card %(card)s.") % {
                    "name": guest.display_name, "card": guest.card_no})  # fmt: skip
                return redirect("guests:profile", pk=guest.pk)
    return render(request, "guests/form.html", {"form": form, "people": people, "duplicates": duplicates})


@permission_required("guests.add_guest", raise_exception=True)
@require_http_methods(["GET", "POST"])
@submitted_once
def quick_add(request):
    form = QuickAddForm(request.POST or None)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        duplicates = _duplicates_block(form)
        if not duplicates:
            data = form.cleaned_data
            guest = guest_quick_add(
                actor=request.user, surname=data["surname"], honorific=data["honorific"], mobile=data["mobile"]
            )
            messages.success(request, _("%(name)s is in the archive as card %(card)s.") % {
                "name": guest.display_name, "card": guest.card_no})  # fmt: skip
            return redirect("guests:profile", pk=guest.pk)
    return render(request, "guests/quick_add.html", {"form": form, "duplicates": duplicates})


@require_http_methods(["GET", "POST"])
def edit(request, pk):
    guest = get_object_or_404(Guest, pk=pk, anonymised_at__isnull=True)
    user = request.user
    if user.has_perm("guests.change_guest"):
        form_class, people = GuestForm, RelatedPeopleFormSet(request.POST or None, instance=guest, prefix="people")
    elif user.has_perm("guests.change_guest_preferences"):
        form_class, people = GuestPreferencesForm, None
    else:
        raise PermissionDenied
    form = form_class(request.POST or None, instance=guest, user=user, people=people)
    if request.method == "POST" and form.is_valid() and (people is None or people.is_valid()):
        # The stored guest, locked until commit: nobody else saves between the comparison and ours.
        stored = Guest.objects.select_for_update().get(pk=guest.pk)
        changed = form.changes_since(stored)
        if changed is not None:
            fields, tags = form.service_changes(changed)
            try:
                with transaction.atomic():  # the guest's changes are kept only with its related people's
                    saved = guest_update(guest=guest, actor=user, fields=fields, tags=tags)
                    if people is not None:
                        related_people_replace(guest=saved, actor=user, people=form.people_after(changed, stored))
            except ValidationError as error:  # e.g. someone added related people meanwhile, up to the limit
                form.add_error(None, error)
            else:
                messages.success(request, _("Changes to %(name)s saved.") % {"name": saved.display_name})
                return redirect("guests:profile", pk=saved.pk)
    return render(request, "guests/form.html", {"form": form, "people": people, "guest": guest})


@permission_required("guests.merge_guests", raise_exception=True)
@require_http_methods(["GET", "POST"])
def merge(request, pk):
    keep = get_object_or_404(Guest, pk=pk, anonymised_at__isnull=True)
    form = MergeForm(request.POST or None, keep=keep)
    if request.method == "POST" and form.is_valid():
        other = form.cleaned_data["other_card"]
        if not form.cleaned_data["confirm"]:
            return render(request, "guests/merge.html", {"form": form, "guest": keep, "other": other})
        guest_merge(keep=keep, other=other, actor=request.user)
        messages.success(request, _("Card %(other)s was merged into %(card)s.") % {
            "other": other.card_no, "card": keep.card_no})  # fmt: skip
        return redirect("guests:profile", pk=keep.pk)
    return render(request, "guests/merge.html", {"form": form, "guest": keep})


@permission_required("guests.anonymise_guest", raise_exception=True)
@require_http_methods(["GET", "POST"])
def anonymise(request, pk):
    guest = get_object_or_404(Guest, pk=pk, anonymised_at__isnull=True)
    form = AnonymiseForm(request.POST or None, guest=guest)
    if request.method == "POST" and form.is_valid():
        try:
            guest_anonymise(guest=guest, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:  # e.g. a card file is being read right now
            form.add_error(None, error)
        else:
            messages.success(request, _("Card %(card)s was anonymised.") % {"card": guest.card_no})
            return redirect("guests:profile", pk=guest.pk)
    return render(request, "guests/anonymise.html", {"form": form, "guest": guest})


# ---- the card and the register in Excel (guests.cards) ----------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_ARCHIVE = "guests.import_archive"


def _xlsx_response(workbook, filename):
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX)


@require_GET
def card_template(request):
    """The blank card, for outlets that still fill cards on paper or in Excel; anyone logged in."""
    return _xlsx_response(card_template_export(actor=request.user), "客户信息卡-空白.xlsx")


@permission_required("guests.export_card", raise_exception=True)
@require_GET
@replica_reads
def card_download(request, pk):
    guest = get_object_or_404(Guest, pk=pk, anonymised_at__isnull=True)
    return _xlsx_response(card_export(actor=request.user, guest=guest), f"客户信息卡-{guest.card_no}.xlsx")


@permission_required("guests.export_archive", raise_exception=True)
@require_GET
@replica_reads
def cards_download(request):
    filterset = CardExportFilter(request.GET or None, queryset=Guest.objects.filter(anonymised_at__isnull=True))
    if "download" in request.GET and filterset.is_valid():
        try:
            workbook = cards_export(actor=request.user, guests=filterset.qs.order_by("card_no"),
                                    description=filterset.describe())  # fmt: skip
        except Refused as refused:
            messages.error(request, refused.message)
        else:
            return _xlsx_response(workbook, f"客户信息卡-{timezone.localdate():%Y%m%d}.xlsx")
    return render(request, "cards/export.html", {"filter": filterset})


@permission_required("guests.export_archive", raise_exception=True)
@require_GET
@replica_reads
def register_download(request):
    out = tempfile.TemporaryFile()  # written in write-only mode, then streamed from disk
    register_export(actor=request.user, out=out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"客史档案-{timezone.localdate():%Y%m%d}.xlsx",
                        content_type=XLSX)  # fmt: skip


@permission_required(IMPORT_ARCHIVE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def card_import(request):
    form = CardImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        transfer = card_import_upload(actor=request.user, upload=form.cleaned_data["file"])
        return redirect("guests:card_transfer", pk=transfer.pk)
    transfers = CardTransfer.objects.select_related("actor").defer("data")[:20]
    return render(request, "cards/import.html", {"form": form, "transfers": transfers})


def _transfer(pk):
    """The import without its file bytes, but knowing whether they are still stored (for a retry)."""
    transfers = CardTransfer.objects.defer("data").annotate(
        has_file=ExpressionWrapper(Q(data__isnull=False), output_field=BooleanField())
    )
    return get_object_or_404(transfers, pk=pk, kind=CardTransfer.Kind.IMPORT)


@permission_required(IMPORT_ARCHIVE, raise_exception=True)
@require_GET
def card_transfer(request, pk):
    transfer = _transfer(pk)
    done, total = transfer_progress(transfer)
    return render(request, "cards/transfer.html", {"transfer": transfer, "done": done, "total": total})


@permission_required(IMPORT_ARCHIVE, raise_exception=True)
@require_GET
def card_transfer_progress(request, pk):
    """The progress bar, polled by htmx; when the check or the import has finished the page reloads."""
    transfer = _transfer(pk)
    done, total = transfer_progress(transfer)
    response = render(request, "cards/transfer_progress.html", {"transfer": transfer, "done": done, "total": total})
    if not transfer.in_progress:
        response["HX-Refresh"] = "true"
    return response


@permission_required(IMPORT_ARCHIVE, raise_exception=True)
@require_POST
def card_transfer_confirm(request, pk):
    transfer = _transfer(pk)
    if card_import_confirm(actor=request.user, transfer=transfer):
        messages.success(request, _("The import has started."))
    else:
        messages.info(request, _("This file is not waiting to be imported."))
    return redirect("guests:card_transfer", pk=transfer.pk)


@permission_required(IMPORT_ARCHIVE, raise_exception=True)
@require_POST
def card_transfer_retry(request, pk):
    """Send a waiting check or import to the worker again, or retry one a dead worker left failed."""
    transfer = _transfer(pk)
    try:
        card_import_retry(actor=request.user, transfer=transfer)
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
    else:
        messages.success(request, _("The file has been sent to the background worker again."))
    return redirect("guests:card_transfer", pk=transfer.pk)
