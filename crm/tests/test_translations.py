"""The Simplified Chinese catalogue is complete: every marked string, translated, placeholders intact."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}")
SOURCES = ("crm", "staff", "webhooks", "guests", "visits", "bookings", "calls", "followups", "reports", "templates")


def live_entries(po):
    return [entry for entry in po if not entry.obsolete]


def test_every_message_in_the_catalogue_has_a_chinese_translation():
    po = polib.pofile(str(CATALOGUE))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []


def test_translations_keep_every_placeholder_of_their_message():
    po = polib.pofile(str(CATALOGUE))
    wrong = []
    for entry in live_entries(po):
        wanted = set(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            if set(PLACEHOLDER.findall(translation)) != wanted:
                wrong.append((entry.msgid, translation))
    assert wrong == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_every_string_marked_in_code_and_templates_is_in_the_catalogue(tmp_path):
    """makemessages over a copy of the sources finds no message the catalogue lacks."""
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    (tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES").mkdir(parents=True)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "zh_Hans", "--no-location"],
        cwd=tmp_path,
        env=environment,
        check=True,
        capture_output=True,
    )
    found = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    known = {(entry.msgctxt, entry.msgid) for entry in live_entries(polib.pofile(str(CATALOGUE)))}
    missing = sorted(entry.msgid for entry in live_entries(found) if (entry.msgctxt, entry.msgid) not in known)
    assert missing == []
