"""`.env.example` lists every variable the settings read, so IT never has to read the code to find one,
and nothing else, so IT never sets a variable that nothing reads."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
READ = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")
READ_FROM_OS = re.compile(
    r"""\b(?:os\.environ\.get|os\.getenv|os\.environ\.setdefault|environ\.get)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
)
SHELL_READ = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")
LISTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def variables_read_by_settings() -> set[str]:
    found = set()
    for path in (ROOT / "crm" / "settings").glob("*.py"):
        found |= set(READ.findall(path.read_text(encoding="utf-8")))
    return found


def variables_read_by_the_processes() -> set[str]:
    """Read outside the settings by the web, worker and beat processes: the process role in the log
    format, the settings module, gunicorn's configuration."""
    found = set()
    for path in [*(ROOT / "crm").glob("*.py"), *(ROOT / "deploy").glob("*.py"), ROOT / "manage.py"]:
        found |= set(READ_FROM_OS.findall(path.read_text(encoding="utf-8")))
    return found


def variables_the_deploy_scripts_read() -> set[str]:
    """The operations scripts in deploy/ (backup, restore) read the same file."""
    found = set()
    for path in (ROOT / "deploy").rglob("*"):
        if path.is_file() and path.suffix != ".py":
            found |= set(SHELL_READ.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


def listed_in_env_example() -> set[str]:
    return set(LISTED.findall((ROOT / ".env.example").read_text(encoding="utf-8")))


def test_the_settings_read_variables_this_test_can_see():
    # Guards the pattern itself: if the settings stop reading through env(...), the next test means nothing.
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "CELERY_BROKER_URL"} <= variables_read_by_settings()
    assert {"DJANGO_SETTINGS_MODULE", "KESHI_PROCESS_ROLE"} <= variables_read_by_the_processes()


def test_every_variable_the_settings_read_is_in_the_env_example_with_a_comment():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(LISTED.findall(text))
    assert sorted(variables_read_by_settings() - listed) == []
    # Every variable follows a comment, directly or under the variables its comment introduces.
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if LISTED.match(line) and not line.startswith("#"):
            above = index - 1
            while above >= 0 and LISTED.match(lines[above]) and not lines[above].startswith("#"):
                above -= 1
            assert above >= 0 and lines[above].startswith("#"), line


def test_every_variable_the_processes_read_outside_the_settings_is_in_the_env_example():
    assert sorted(variables_read_by_the_processes() - listed_in_env_example()) == []


def test_every_variable_in_the_env_example_is_read_by_something():
    read = variables_read_by_settings() | variables_read_by_the_processes() | variables_the_deploy_scripts_read()
    assert sorted(listed_in_env_example() - read) == []
