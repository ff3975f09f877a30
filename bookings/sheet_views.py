"""Today's service sheet, its xlsx download and the kitchen slips. Each view reads the outlet, day and meal
period asked for (or the defaults), calls bookings.sheet, renders; a bad choice is told, never a 500."""

import datetime
import tempfile
from dataclasses import dataclass

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from guests.cards.cells import text_cell
from staff.models import Outlet
from visits.models import MealPeriod

from .board import default_outlet, outlets_for
from .sheet import columns_for, kitchen_slips, next_meal_period, service_sheet


@dataclass
class Choice:
    outlets: list
    outlet: Outlet | None
    day: datetime.date
    meal_period: str
    errors: list


def sheet_choice(request) -> Choice:
    """The outlet, day and meal period asked for, with a message for each one that cannot be read.
    An outlet that exists but is not the person's is refused outright."""
    outlets, errors = list(outlets_for(request.user)), []
    outlet, wanted = None, request.GET.get("outlet", "").strip()
    if wanted:
        outlet = next((each for each in outlets if wanted.isdigit() and each.pk == int(wanted)), None)
        if outlet is None:
            if wanted.isdigit() and Outlet.objects.filter(pk=int(wanted), is_active=True).exists():
                raise PermissionDenied(_("This outlet's service sheet is only for its own staff."))
            errors.append(_("There is no outlet %(outlet)s. Choose one from the list.") % {"outlet": wanted[:20]})
    else:
        outlet = default_outlet(request.user, outlets)
    day = timezone.localdate()
    if request.GET.get("date", "").strip():
        try:
            day = parse_date(request.GET["date"].strip()) or None
        except ValueError:
            day = None
        if day is None:
            errors.append(_("Enter the date as YYYY-MM-DD, for example 2026-12-31."))
            day = timezone.localdate()
    meal_period = request.GET.get("meal", "").strip() or next_meal_period()
    if meal_period not in MealPeriod.values:
        errors.append(_("There is no meal period %(meal)s. Choose one from the list.") % {"meal": meal_period[:20]})
        meal_period = next_meal_period()
    return Choice(outlets, outlet, day, meal_period, errors)


def sheet_context(request, choice: Choice) -> tuple[dict, int]:
    """The service sheet's rows for the choice, with the status to answer: 400 while the choice has errors."""
    rows = []
    if choice.outlet is not None and not choice.errors:
        rows = service_sheet(outlet=choice.outlet, day=choice.day, meal_period=choice.meal_period, actor=request.user)
    context = {"choice": choice, "rows": rows, "columns": columns_for(request.user), "meals": MealPeriod.choices,
               "meal_label": MealPeriod(choice.meal_period).label, "query": request.GET.urlencode()}  # fmt: skip
    return context, 400 if choice.errors else 200


@require_GET
@permission_required("bookings.view_booking", raise_exception=True)
def sheet(request):
    context, status = sheet_context(request, sheet_choice(request))
    return render(request, "service/sheet.html", context, status=status)


@require_GET
@permission_required("bookings.view_booking", raise_exception=True)
def kitchen(request):
    context, status = sheet_context(request, sheet_choice(request))
    context["slips"] = kitchen_slips(context["rows"])
    return render(request, "service/kitchen.html", context, status=status)


@require_GET
@permission_required("bookings.view_booking", raise_exception=True)
def sheet_xlsx(request):
    choice = sheet_choice(request)
    context, status = sheet_context(request, choice)
    if status != 200 or choice.outlet is None:
        return render(request, "service/sheet.html", context, status=status if status != 200 else 400)
    workbook = Workbook(write_only=True)
    title = f"{choice.day:%Y-%m-%d} {context['meal_label']}"
    worksheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header = []
    for column in context["columns"]:
        cell = text_cell(worksheet, str(column.label))
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for row in context["rows"]:
        # Every value as text: a name like "=1+1" or a phone with a leading zero stays what it is.
        worksheet.append([text_cell(worksheet, value) for _, value in row.cells])
    output = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
    workbook.save(output)
    output.seek(0)
    filename = f"service-sheet-{choice.outlet.pk}-{choice.day:%Y%m%d}-{choice.meal_period}.xlsx"
    return FileResponse(output, as_attachment=True, filename=filename,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
