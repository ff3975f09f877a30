"""The exported files in a real spreadsheet program: LibreOffice prints them and saves them back.

Without soffice these tests are skipped, unless KESHI_REQUIRE_BROWSER=1 (CI), which makes
a missing LibreOffice a failure (.ci/run installs libreoffice-calc-nogui).
"""

import io
import os
import re
import shutil
import subprocess

import pytest

from guests.cards.export import card_guests, cards_workbook, write_register
from guests.cards.importer import plan_import
from guests.models import Guest
from guests.tests.card_helpers import rich_guests, save, with_manager_role
from visits.tests.factories import record_visit

pytestmark = pytest.mark.django_db

A4_PORTRAIT = (595.3, 841.9)


@pytest.fixture(scope="module")
def soffice():
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        reason = "LibreOffice (soffice) is missing: apt-get install libreoffice-calc-nogui"
        if os.environ.get("KESHI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason} (KESHI_REQUIRE_BROWSER=1, so this is a failure)", pytrace=False)
        pytest.skip(reason)
    return path


def convert(soffice, tmp_path, content: bytes, to: str) -> bytes:
    """soffice --headless --convert-to `to`, with a profile of its own so parallel runs do not collide."""
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir(exist_ok=True)
    out.mkdir(exist_ok=True)
    (source / "book.xlsx").write_bytes(content)
    profile = (tmp_path / "profile").as_uri()
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", to,
         "--outdir", str(out), str(source / "book.xlsx")],
        capture_output=True, timeout=180, check=False,
    )  # fmt: skip
    converted = out / f"book.{to.split(':')[0]}"
    assert result.returncode == 0 and converted.is_file(), result.stderr.decode(errors="replace")
    return converted.read_bytes()


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """The size of every page of a PDF LibreOffice wrote (its page objects are not compressed)."""
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    boxes = [tuple(float(n) for n in box.split()[2:4]) for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)]
    assert pages and boxes
    return [boxes[-1]] * pages if len(set(boxes)) == 1 else boxes[:pages]


@pytest.fixture
def guest(manager):
    guest = rich_guests(manager)[1]
    for days in range(5):
        record_visit(guest, manager, days_ago=days * 30, notes="靠窗")
    return guest


def card_file(guest) -> bytes:
    return save(cards_workbook(card_guests(Guest.objects.filter(pk=guest.pk)), confidential=True))


def test_the_card_prints_on_one_a4_portrait_page(soffice, tmp_path, guest):
    pages = pdf_pages(convert(soffice, tmp_path, card_file(guest), "pdf"))
    assert len(pages) == 1
    width, height = pages[0]
    assert (round(width, 1), round(height, 1)) == A4_PORTRAIT


def test_the_register_converts_to_pdf(soffice, tmp_path, guest):
    out = io.BytesIO()
    write_register(out, confidential=True)
    assert len(pdf_pages(convert(soffice, tmp_path, out.getvalue(), "pdf"))) >= 1


def test_a_card_resaved_by_libreoffice_imports_back_with_no_change(soffice, tmp_path, guest, admin_user):
    resaved = convert(soffice, tmp_path, card_file(guest), "xlsx:Calc MS Excel 2007 XML")
    plan = plan_import(resaved, actor=with_manager_role(admin_user))  # the card holds confidential notes
    assert plan.problems == []
    assert [(a.kind, a.card_no) for a in plan.actions] == [("unchanged", guest.card_no)]


def test_a_register_resaved_by_libreoffice_imports_back_with_no_change(soffice, tmp_path, guest, admin_user):
    out = io.BytesIO()
    write_register(out, confidential=True)
    resaved = convert(soffice, tmp_path, out.getvalue(), "xlsx:Calc MS Excel 2007 XML")
    plan = plan_import(resaved, actor=with_manager_role(admin_user))  # the register holds confidential notes
    assert plan.problems == []
    assert {a.kind for a in plan.actions} == {"unchanged"} and len(plan.actions) == Guest.objects.count()
