from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from followups.selectors import guest_open_followups
from visits.selectors import guest_figures, guest_timeline

from .forms import AnonymiseForm, GuestForm, GuestPreferencesForm, MergeForm, QuickAddForm, RelatedPeopleFormSet
from .models import Guest
from .rendering import guest_rows
from .selectors import guest_duplicates, guest_history, guest_profile, guest_search
from .services import guest_anonymise, guest_create, guest_merge, guest_quick_add, guest_update, related_people_save


def _wants_fragment(request) -> bool:
    headers = request.headers
    return headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"


@transaction.non_atomic_requests  # read-only and the busiest page: no BEGIN/COMMIT round trips
@permission_required("guests.view_guest", raise_exception=True)
def lookup(request):
    query = request.GET.get("q", "").strip()[:50]
    results = list(guest_search(query=query)) if query else []
    context = {"query": query, "results": results, "rows": guest_rows(results)}
    template = "partials/guest_results.html" if _wants_fragment(request) else "guests/lookup.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@permission_required("guests.view_guest", raise_exception=True)
def profile(request, pk):
    try:
        guest = guest_profile(guest_id=pk)
    except Guest.DoesNotExist:
        raise Http404 from None
    history = guest_history(guest=guest) if request.user.has_perm("guests.view_guest_history") else None
    timeline = guest_timeline(guest=guest, page=request.GET.get("page"), actor=request.user)
    figures = guest_figures(guest=guest)
    context = {"guest": guest, "history": history, "timeline": timeline, "figures": figures, "now": timezone.now(),
               "open_followups": guest_open_followups(guest=guest), "today": timezone.localdate()}  # fmt: skip
    return render(request, "guests/profile.html", context)


@permission_required("guests.view_guest_history", raise_exception=True)
def history(request, pk):
    guest = get_object_or_404(Guest, pk=pk)
    return render(request, "guests/history.html", {"guest": guest, "history": guest_history(guest=guest, limit=200)})


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
def create(request):
    form = GuestForm(request.POST or None, user=request.user)
    people = RelatedPeopleFormSet(request.POST or None, prefix="people")
    duplicates = []
    if request.method == "POST" and form.is_valid() and people.is_valid():
        duplicates = _duplicates_block(form)
        if not duplicates:
            guest = guest_create(actor=request.user, fields=form.service_fields(), tags=form.cleaned_data["tag_names"])
            related_people_save(guest=guest, actor=request.user, formset=people)
            messages.success(request, _("Guest %(name)s saved as card %(card)s.") % {
                "name": guest.display_name, "card": guest.card_no})  # fmt: skip
            return redirect("guests:profile", pk=guest.pk)
    return render(request, "guests/form.html", {"form": form, "people": people, "duplicates": duplicates})


@permission_required("guests.add_guest", raise_exception=True)
@require_http_methods(["GET", "POST"])
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
    form = form_class(request.POST or None, instance=guest, user=user)
    if request.method == "POST" and form.is_valid() and (people is None or people.is_valid()):
        tags = form.cleaned_data.get("tag_names") if form_class is GuestForm else None
        guest = guest_update(guest=guest, actor=user, fields=form.service_fields(), tags=tags)
        if people is not None:
            related_people_save(guest=guest, actor=user, formset=people)
        messages.success(request, _("Changes to %(name)s saved.") % {"name": guest.display_name})
        return redirect("guests:profile", pk=guest.pk)
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
        guest_anonymise(guest=guest, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Card %(card)s was anonymised.") % {"card": guest.card_no})
        return redirect("guests:profile", pk=guest.pk)
    return render(request, "guests/anonymise.html", {"form": form, "guest": guest})
