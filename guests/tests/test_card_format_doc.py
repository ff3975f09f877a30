"""docs/card-format.md is the project's description of the card and the register: it must name
everything the code reads and writes, so that it cannot drift from the code unnoticed."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from guests.cards import fields as F
from guests.models import RelatedPerson

DOC = Path(__file__).resolve().parents[2] / "docs" / "card-format.md"
LABELLED = F.FIELDS + F.FIGURES + F.SECTIONS + F.TABLES + F.PEOPLE_COLUMNS + F.VISIT_COLUMNS + F.COMPLAINT_COLUMNS
WITH_CHOICES = [(field, None) for field in F.FIELDS] + [(F.PEOPLE_COLUMNS[1], RelatedPerson)]


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _choices(field, model, language):
    with translation.override(language):
        return F.choice_list(field, **({"model": model} if model else {}), lang="en" if language == "en" else "zh")


def test_the_doc_names_every_field_section_and_table_column_in_both_languages(doc):
    missing = [f"{field.zh} / {field.en}" for field in LABELLED if field.zh not in doc or field.en not in doc]
    assert missing == []
    assert F.TITLE in doc


def test_the_doc_gives_every_other_name_an_import_reads_a_field_by(doc):
    folded = doc.casefold()
    assert [alias for field in F.FIELDS for alias in field.aliases if alias.casefold() not in folded] == []


def test_the_doc_lists_every_fixed_choice_in_chinese_and_english(doc):
    missing = [
        (field.key, choice)
        for field, model in WITH_CHOICES
        for language in ("zh-hans", "en")
        for choice in _choices(field, model, language)
        if choice not in doc
    ]
    assert missing == []


def test_the_doc_names_every_field_the_blank_template_offers_as_a_drop_down(doc):
    section = doc.split("### The drop-downs", 1)[1].split("\n## ", 1)[0]
    offered = [field.zh for field, model in WITH_CHOICES if _choices(field, model, "zh-hans")]
    assert offered and [name for name in offered if name not in section] == []


def test_the_doc_gives_each_import_limit_with_its_setting_and_value(doc):
    for name in ("KESHI_IMPORT_MAX_BYTES", "KESHI_IMPORT_MAX_UNCOMPRESSED", "KESHI_IMPORT_MAX_ENTRIES",
                 "KESHI_IMPORT_MAX_RATIO", "KESHI_IMPORT_MAX_ROWS", "KESHI_IMPORT_MAX_COLUMNS"):  # fmt: skip
        value = getattr(settings, name)
        shown = f"{value // 2**20} MB" if name.endswith(("BYTES", "UNCOMPRESSED")) else f"{value:,}"
        line = next((line for line in doc.splitlines() if name in line), "")
        assert re.search(rf"(?<![\d,]){re.escape(shown)}(?![\d,])", line), f"{name} = {shown} not on its line"


def test_the_doc_stands_on_its_own(doc):
    assert "CARD.md" not in doc and "../shared" not in doc
