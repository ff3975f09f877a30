"""`python3 dev.py test` (and so CI) runs every app's tests: pytest.ini's testpaths name each folder that
holds tests. An app added without its folder there would have its tests never run."""

import configparser
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_every_folder_with_tests_is_in_the_testpaths():
    ini = configparser.ConfigParser()
    ini.read(ROOT / "pytest.ini")
    listed = set(ini["pytest"]["testpaths"].split())
    with_tests = {path.parent.parent.name for path in ROOT.glob("*/tests/__init__.py")} | {"e2e"}
    assert with_tests <= listed, sorted(with_tests - listed)
