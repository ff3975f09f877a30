"""A worker or beat started without DJANGO_SETTINGS_MODULE refuses to run, as the web process
refuses without its secrets: it must never fall back to the local (DEBUG) settings."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CELERY = [sys.executable, "-m", "celery", "-A", "crm"]


def run(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_"))}
    return subprocess.run(args, cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=60)


def test_a_worker_without_its_settings_module_refuses_to_start():
    result = run(*CELERY, "worker", "--pool", "solo", "--loglevel", "INFO")
    assert result.returncode != 0
    assert "DJANGO_SETTINGS_MODULE" in result.stdout + result.stderr
    assert "celery@" not in result.stdout + result.stderr  # the worker's banner never appeared


def test_beat_without_its_settings_module_refuses_to_start():
    result = run(*CELERY, "beat", "--loglevel", "INFO")
    assert result.returncode != 0
    assert "DJANGO_SETTINGS_MODULE" in result.stdout + result.stderr


def test_a_celery_command_without_its_settings_module_does_not_read_the_local_settings():
    result = run(*CELERY, "inspect", "ping", "--timeout", "1")
    assert result.returncode != 0
    assert "DJANGO_SETTINGS_MODULE" in result.stdout + result.stderr


def test_the_celery_app_reads_the_settings_module_it_is_given():
    code = "from crm.celery import app; print(app.conf.broker_url, app.conf.task_always_eager)"
    result = run(sys.executable, "-c", code, DJANGO_SETTINGS_MODULE="crm.settings.test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["memory://", "True"]


def test_the_web_process_still_defaults_to_the_production_settings():
    # crm/__init__ imports the Celery app before crm.wsgi sets its default: that import must
    # neither fail nor choose the settings.
    code = "import crm.wsgi"
    result = run(sys.executable, "-c", code)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
