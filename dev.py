#!/usr/bin/env python3
"""The two commands of the README, with nothing but python3 on the machine.

    python3 dev.py run    virtualenv, install, migrate, translations, demo data, serve
    python3 dev.py test   virtualenv, install, translations, the whole test suite

Both honour DATABASE_URL and CELERY_BROKER_URL; without them the app uses SQLite and
runs Celery tasks eagerly.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"


def sh(*args, **kwargs):
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=True, **kwargs)


def ensure_venv(requirements: str) -> None:
    if not PYTHON.exists():
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # Debian without python3-venv has no ensurepip
            sys.exit(f"Could not create {VENV}: {exc}\nInstall the venv module (e.g. apt-get install python3-venv).")
    stamp = VENV / f".installed-{requirements}"
    wanted = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in ("requirements.txt", requirements))).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        sh(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        sh(PYTHON, "-m", "pip", "install", "--quiet", "-r", requirements)
        stamp.write_text(wanted)


def manage(*args, settings=None):
    env = dict(os.environ)
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = settings
    sh(PYTHON, "manage.py", *args, env=env)


def run(argv):
    ensure_venv("requirements.txt")
    manage("migrate", "--noinput")
    manage("compiletranslations")
    manage("setup_schedules")
    manage("seed_demo")
    address = argv[0] if argv else "127.0.0.1:8000"
    print(f"\nKeShi is at http://{address}/ — log in with one of the demo users above.\n", flush=True)
    manage("runserver", address)


def test(argv):
    ensure_venv("requirements-dev.txt")
    manage("compiletranslations", settings="crm.settings.test")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="crm.settings.test")
    return subprocess.run([str(PYTHON), "-m", "pytest", *argv], cwd=ROOT, env=env).returncode


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        sys.exit(__doc__)
    command, argv = sys.argv[1], sys.argv[2:]
    try:
        if command == "run":
            run(argv)
        else:
            sys.exit(test(argv))
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
