"""Text that starts like a formula is written as text, by one rule (guests.cards.cells), in every
xlsx the product writes: a text cell with Excel's quote prefix, which a spreadsheet program opens as
the literal text and keeps as text when someone edits the cell."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from guests.tests.card_helpers import download, with_manager_role
from guests.tests.factories import GuestFactory
from guests.tests.test_card_libreoffice import convert, soffice  # noqa: F401 (soffice: the fixture, by name)
from reports.models import Review, ReviewLine

pytestmark = pytest.mark.django_db

LIKE_FORMULAS = ['=HYPERLINK("http://example.com","点我")', "+1", "-2", "@x", "\tx", "\rx"]


@pytest.fixture
def guests():
    """Guests named like a formula, and companies of every kind (a name loses its surrounding
    whitespace to the guest service, a company keeps it)."""
    return [GuestFactory(name=text if text.strip() == text else f"客人{n}", company=text, tier="A")
            for n, text in enumerate(LIKE_FORMULAS)]  # fmt: skip


EXPECTED = 4 + len(LIKE_FORMULAS)  # the names, and the companies


@pytest.fixture
def vip_review(guests):
    review = Review.objects.create(period="2026-11", as_of=timezone.localdate(), status="ready",
                                   thresholds={"at_risk_days": 60})  # fmt: skip
    for n, guest in enumerate(guests):
        ReviewLine.objects.create(review=review, guest=guest, visits_12m=1, spend_12m=Decimal(100_000 + n),
                                  visits_prev=0, spend_prev=Decimal("0"), open_complaints=0, tier="A",
                                  proposed_tier="A")  # fmt: skip
    return review


def formula_like_cells(workbook) -> list:
    """Every cell of the workbook whose value is one of LIKE_FORMULAS, as read back (XML reads a
    carriage return as a line break)."""
    found = []
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            found += [cell for cell in row if cell.value in LIKE_FORMULAS or cell.value == "\nx"]
    return found


def assert_all_text(content: bytes, expected: int) -> None:
    cells = formula_like_cells(openpyxl.load_workbook(io.BytesIO(content)))
    assert len(cells) == expected
    for cell in cells:
        assert (cell.data_type, cell.quotePrefix) == ("s", True), (cell.coordinate, cell.value)
    assert not any(cell.data_type == "f" for ws in openpyxl.load_workbook(io.BytesIO(content)).worksheets
                   for row in ws.iter_rows() for cell in row)  # fmt: skip


def texts_as_opened(request, tmp_path, content: bytes) -> set[str]:
    """The cells' text as LibreOffice shows it, saved as CSV (UTF-8)."""
    data = convert(
        request.getfixturevalue("soffice"),
        tmp_path,
        content,
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false",
    )
    return {value for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for value in row}


def test_a_report_download_writes_text_that_starts_like_a_formula_as_quoted_text(
    client_for,
    manager,
    vip_review,
    request,
    tmp_path,
):
    response = client_for(manager).get(reverse("reports:vip"), {"format": "xlsx"})
    assert response.status_code == 200
    content = download(response)
    assert_all_text(content, EXPECTED)
    opened = texts_as_opened(request, tmp_path, content)
    assert {'=HYPERLINK("http://example.com","点我")', "+1", "-2", "@x", "\tx"} <= opened


def test_the_register_writes_text_that_starts_like_a_formula_as_quoted_text(
    client_for,
    admin_user,
    guests,
    request,
    tmp_path,
):
    with_manager_role(admin_user)
    response = client_for(admin_user).get(reverse("guests:register_export"))
    assert response.status_code == 200
    content = download(response)
    assert_all_text(content, EXPECTED)
    opened = texts_as_opened(request, tmp_path, content)
    assert {'=HYPERLINK("http://example.com","点我")', "+1", "-2", "@x", "\tx"} <= opened


def test_report_and_register_downloads_share_the_cards_rule():
    from guests.cards import cells
    from reports import exports

    assert exports.text_cell is cells.text_cell and exports.needs_text_cell is cells.needs_text_cell
    assert not hasattr(exports, "FORMULA_START")
    assert cells.starts_like_formula("=1") and not cells.starts_like_formula("1=1")
