"""Production settings: complete from the environment alone, and failing closed at start, with the
variable named, whenever something is missing or contradictory."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "crm.settings.production",
    "DJANGO_SECRET_KEY": "x7#kQ9!vZ2@pL5$wR8^tY3&nB6*mC1(dF4)gH0-jK9_sA2+eU7=oI5~lP8",
    "DJANGO_ALLOWED_HOSTS": "keshi.example.com",
    "DATABASE_URL": "postgres://keshi@db.internal:5432/keshi",
    "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
    "DJANGO_STATIC_ROOT": "/var/lib/keshi/static",
    "DJANGO_MEDIA_ROOT": "/var/lib/keshi/media",
    "KESHI_LOCALE_ROOT": "/var/lib/keshi/locale",
}
OLD_KEYS = (
    "q3!Zr8@Lw1#Vn6$Tb0%Hx5^Km2&Pc9*Gd4(Sj7)Fy3-Ua8_Ee1w",
    "M4+oX9=iN2~uC7|aR5;sW0:dB3<lY8>fK6?hJ1/gT7.pQ2vZ8kLm",
)
# Everything .env.example offers, set as a hotel's IT would.
COMPLETE = PRODUCTION | {
    "DJANGO_SECRET_KEY_FALLBACKS": f"{OLD_KEYS[0]},{OLD_KEYS[1]}",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://keshi.example.com",
    "KESHI_TRUSTED_PROXIES": "127.0.0.1,::1,10.0.0.0/24",
    "EMAIL_HOST": "smtp.example.com",
    "EMAIL_HOST_USER": "keshi@example.com",
    "EMAIL_HOST_PASSWORD": "smtp-password",
    "EMAIL_USE_TLS": "true",
    "EMAIL_TIMEOUT": "7",
    "DJANGO_DEFAULT_FROM_EMAIL": "keshi@example.com",
    "DJANGO_SERVER_EMAIL": "errors@example.com",
    "DJANGO_ADMINS": "IT desk <it@example.com>, 王经理 <wang@example.com>",
    "KESHI_SMS_SENDER": "followups.senders.HttpSmsSender",
    "KESHI_SMS_URL": "https://sms.example.com/send",
    "KESHI_SMS_TOKEN": "sms-token",
    "KESHI_SMS_SIGNATURE": "【某某酒店】",
    "KESHI_LOG_LEVEL": "warning",
}


def clean_environment() -> dict:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "EMAIL_", "KESHI_", "SENTRY_", "CACHE_"))
    }


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean_environment() | env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def settings_of(env, *names):
    """The named settings as a process started with this environment sees them."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean_environment() | env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_settings_with_every_variable_set_pass_the_deploy_check_too():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=COMPLETE)
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


@pytest.mark.parametrize("variable", ["DJANGO_STATIC_ROOT", "DJANGO_MEDIA_ROOT", "KESHI_LOCALE_ROOT"])
def test_production_settings_refuse_to_start_without_a_folder_outside_the_code(variable):
    env = {k: v for k, v in PRODUCTION.items() if k != variable}
    result = manage("check", env=env)
    assert result.returncode != 0 and variable in result.stderr


def test_production_settings_refuse_a_folder_given_as_a_relative_path():
    result = manage("check", env=PRODUCTION | {"DJANGO_STATIC_ROOT": "staticfiles"})
    assert result.returncode != 0
    assert "DJANGO_STATIC_ROOT must be an absolute path, not 'staticfiles'" in result.stderr


def test_production_settings_put_static_files_uploads_and_translations_where_the_environment_says():
    seen = settings_of(PRODUCTION, "STATIC_ROOT", "MEDIA_ROOT", "KESHI_LOCALE_ROOT", "LOCALE_PATHS")
    assert seen == {
        "STATIC_ROOT": "/var/lib/keshi/static",
        "MEDIA_ROOT": "/var/lib/keshi/media",
        "KESHI_LOCALE_ROOT": "/var/lib/keshi/locale",
        "LOCALE_PATHS": ["/var/lib/keshi/locale"],
    }


def test_local_work_keeps_its_folders_in_the_project_folder():
    seen = settings_of({"DJANGO_SETTINGS_MODULE": "crm.settings.local"}, "STATIC_ROOT", "LOCALE_PATHS")
    assert seen == {"STATIC_ROOT": str(ROOT / "staticfiles"), "LOCALE_PATHS": [str(ROOT / "locale")]}


def test_production_reads_the_whole_smtp_configuration():
    seen = settings_of(
        COMPLETE, "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL",
    )  # fmt: skip
    assert seen == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "keshi@example.com",
        "EMAIL_HOST_PASSWORD": "smtp-password",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 7.0,
        "DEFAULT_FROM_EMAIL": "keshi@example.com",
        "SERVER_EMAIL": "errors@example.com",
    }


@pytest.mark.parametrize(
    ("security", "port"), [({}, 25), ({"EMAIL_USE_TLS": "true"}, 587), ({"EMAIL_USE_SSL": "true"}, 465)]
)
def test_the_smtp_port_follows_the_security_unless_given(security, port):
    assert settings_of(PRODUCTION | security, "EMAIL_PORT") == {"EMAIL_PORT": port}
    assert settings_of(PRODUCTION | security | {"EMAIL_PORT": "2525"}, "EMAIL_PORT") == {"EMAIL_PORT": 2525}


def test_production_refuses_starttls_and_implicit_tls_at_once():
    result = manage("check", env=PRODUCTION | {"EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"})
    assert result.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL are both true: choose one" in result.stderr


def test_the_sms_gateway_and_the_log_level_are_read_from_the_environment():
    seen = settings_of(
        COMPLETE, "KESHI_SMS_SENDER", "KESHI_SMS_URL", "KESHI_SMS_TOKEN", "KESHI_SMS_SIGNATURE", "KESHI_SMS_TIMEOUT",
        "SECRET_KEY_FALLBACKS",
    )  # fmt: skip
    assert seen == {
        "KESHI_SMS_SENDER": "followups.senders.HttpSmsSender",
        "KESHI_SMS_URL": "https://sms.example.com/send",
        "KESHI_SMS_TOKEN": "sms-token",
        "KESHI_SMS_SIGNATURE": "【某某酒店】",
        "KESHI_SMS_TIMEOUT": 10.0,
        "SECRET_KEY_FALLBACKS": list(OLD_KEYS),
    }
    code = "import logging, django; django.setup(); print(logging.getLevelName(logging.getLogger().level))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_environment() | COMPLETE,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.stdout.strip() == "WARNING", result.stderr


def test_an_unknown_log_level_stops_the_start_with_its_name():
    result = manage("check", env=PRODUCTION | {"KESHI_LOG_LEVEL": "verbose"})
    assert result.returncode != 0
    assert "KESHI_LOG_LEVEL: 'VERBOSE' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL" in result.stderr


@pytest.mark.django_db
def test_after_rotating_the_secret_key_a_session_signed_with_the_old_one_still_logs_in(client, front_desk):
    with override_settings(SECRET_KEY="the-old-secret-key-3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"):
        client.force_login(front_desk, backend="staff.backends.CachedPermissionBackend")
        assert client.get("/").status_code == 200
    with override_settings(
        SECRET_KEY="the-new-secret-key-a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
        SECRET_KEY_FALLBACKS=["the-old-secret-key-3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"],
    ):
        response = client.get("/")
        assert response.status_code == 200
        assert response.wsgi_request.user == front_desk


@pytest.mark.django_db
def test_without_the_old_key_among_the_fallbacks_the_rotation_logs_everybody_out(client, front_desk):
    with override_settings(SECRET_KEY="the-old-secret-key-3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"):
        client.force_login(front_desk, backend="staff.backends.CachedPermissionBackend")
    with override_settings(SECRET_KEY="the-new-secret-key-a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"):
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_password_reset_link_made_before_the_rotation_stays_valid_with_the_old_key_as_fallback(front_desk):
    with override_settings(SECRET_KEY="the-old-secret-key-3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"):
        token = PasswordResetTokenGenerator().make_token(front_desk)
    with override_settings(
        SECRET_KEY="the-new-secret-key-a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
        SECRET_KEY_FALLBACKS=["the-old-secret-key-3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"],
    ):
        assert PasswordResetTokenGenerator().check_token(front_desk, token)
    with override_settings(SECRET_KEY="the-new-secret-key-a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"):
        assert not PasswordResetTokenGenerator().check_token(front_desk, token)


def test_compiletranslations_writes_the_compiled_catalogue_to_the_locale_root_and_django_reads_it_there(tmp_path):
    source = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
    before = sorted(path.name for path in source.iterdir())
    with override_settings(KESHI_LOCALE_ROOT=tmp_path):
        call_command("compiletranslations", stdout=open(os.devnull, "w"))
    assert (tmp_path / "zh_Hans" / "LC_MESSAGES" / "django.mo").stat().st_size > 0
    assert sorted(path.name for path in source.iterdir()) == before  # nothing new in the code folder

    code = (
        "import django; django.setup(); from django.utils import translation; translation.activate('zh-hans'); "
        "print(translation.gettext('KeShi guest archive'))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "crm.settings.test"}
    compiled = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_environment() | env | {"KESHI_LOCALE_ROOT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    empty = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_environment() | env
                           | {"KESHI_LOCALE_ROOT": str(tmp_path / "nothing")}, capture_output=True, text=True,
                           timeout=60)  # fmt: skip
    assert compiled.stdout.strip() == "客史档案系统", compiled.stderr
    assert empty.stdout.strip() == "KeShi guest archive", empty.stderr
