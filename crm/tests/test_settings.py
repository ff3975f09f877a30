import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "crm.settings.production",
    "DJANGO_SECRET_KEY": "x7#kQ9!vZ2@pL5$wR8^tY3&nB6*mC1(dF4)gH0-jK9_sA2+eU7=oI5~lP8",
    "DJANGO_ALLOWED_HOSTS": "keshi.example.com",
    "DATABASE_URL": "postgres://keshi@db.internal:5432/keshi",
    "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_refuse_to_start_without_a_database():
    env = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}
    result = manage("check", env=env)
    assert result.returncode != 0 and "DATABASE_URL" in result.stderr
