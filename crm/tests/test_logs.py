"""One log format for the web, the worker and beat, with the local time and its offset, the process and
its pid; one access line per request; no phone number in any of it."""

import logging
import os
import re
import select
import subprocess
import sys
import time
import uuid

import pytest
from django.db import connection
from django_celery_beat.models import PeriodicTask

from crm.logs import KeshiFormatter, logging_config, mask_numbers, process_role
from crm.tests.workers import ROOT, new_queue, require_services, start_worker, stop

# 2026-12-02 10:10:03 UTC
MOMENT = 1796206203.25


def line(time_zone, role="web", message="Internal Server Error: /guests/", name="django.request"):
    record = logging.LogRecord(name, logging.ERROR, __file__, 1, message, None, None)
    record.created = MOMENT
    return KeshiFormatter(time_zone=time_zone, role=role).format(record), record.process


def test_a_line_carries_the_local_time_with_its_offset_the_level_the_process_its_pid_and_the_logger():
    text, pid = line("Asia/Shanghai")
    assert text == f"2026-12-02 18:10:03 +0800 ERROR web[{pid}] django.request: Internal Server Error: /guests/"


def test_the_time_follows_the_time_zone_setting_with_its_own_offset():
    text, _pid = line("Europe/Paris", role="worker")
    assert text.startswith("2026-12-02 11:10:03 +0100 ERROR worker[")


@pytest.mark.parametrize(
    ("argv", "environ", "role"),
    [
        (["/srv/keshi/venv/bin/gunicorn", "-c", "deploy/gunicorn.conf.py", "crm.wsgi"], {}, "web"),
        (["/usr/lib/python3/site-packages/gunicorn/__main__.py", "crm.wsgi"], {}, "web"),
        (["/srv/keshi/venv/bin/celery", "-A", "crm", "worker", "-Q", "interactive"], {}, "worker"),
        (["/srv/keshi/venv/lib/python3.11/site-packages/celery/__main__.py", "-A", "crm", "beat"], {}, "beat"),
        (["/srv/keshi/venv/bin/celery", "-A", "crm", "inspect", "ping"], {}, "manage"),
        (["manage.py", "runserver", "0.0.0.0:8000"], {}, "web"),
        (["manage.py", "migrate"], {}, "manage"),
        (["manage.py", "migrate"], {"KESHI_PROCESS_ROLE": "worker-batch"}, "worker-batch"),
        (["/srv/keshi/venv/bin/gunicorn"], {"KESHI_PROCESS_ROLE": "beat"}, "beat"),
    ],
)
def test_the_role_comes_from_keshi_process_role_or_else_from_the_command_line(argv, environ, role):
    assert process_role(argv, environ) == role


def test_a_role_that_would_garble_the_line_stops_the_start():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="KESHI_PROCESS_ROLE"):
        process_role(["manage.py"], {"KESHI_PROCESS_ROLE": "web server[1]"})


def test_phone_numbers_are_masked_in_messages_and_tracebacks_to_their_last_four_digits():
    text, _pid = line("Asia/Shanghai", message="duplicate key (mobile)=(13812345678), also +8613912345678")
    assert "(mobile)=(*******5678), also *********5678" in text
    assert "13812345678" not in text
    assert mask_numbers("call 138 1234 5678 or 138-1234-5679") == "call *******5678 or *******5679"
    try:
        raise ValueError("Key (mobile)=(13812345678) already exists.")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = KeshiFormatter(time_zone="UTC", role="web").format(record)
    assert "Key (mobile)=(*******5678)" in text and "13812345678" not in text


def test_dates_durations_task_ids_and_hashes_are_left_alone():
    for text in (
        "visit 2026-12-02 18:10 took 1234ms for guest 98765",
        "Task followups.tasks.apply_rules_to_guest[a1232710-d179-4876-ac25-123456783037] succeeded in "
        "0.000123439532s: None",
        "card 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 checked",
    ):
        assert mask_numbers(text) == text


def test_a_phone_next_to_chinese_text_is_masked():
    assert mask_numbers("手机13812345678，座机021-12345678") == "手机*******5678，座机021-****5678"


def test_the_configuration_keeps_sql_quiet_and_django_on_the_one_handler():
    config = logging_config(level="INFO", time_zone="Asia/Shanghai", mail_admins=False)
    assert config["loggers"]["django.db.backends"]["level"] == "WARNING"
    assert config["loggers"]["django"]["handlers"] == []
    assert config["root"] == {"handlers": ["console"], "level": "INFO"}
    assert "mail_admins" not in config["handlers"]


@pytest.mark.django_db
def test_a_lookup_is_one_access_line_without_the_query(client_for, front_desk, caplog):
    client = client_for(front_desk)
    with caplog.at_level(logging.INFO, logger="keshi.access"):
        response = client.get("/?q=13812345678")
    assert response.status_code == 200
    [access] = [r for r in caplog.records if r.name == "keshi.access"]
    assert re.fullmatch(rf"GET / 200 \d+ms user={front_desk.pk}", access.getMessage())
    assert "1381" not in caplog.text and "5678" not in caplog.text


@pytest.mark.django_db
def test_a_phone_in_the_path_is_masked_in_the_access_line(client_for, front_desk, caplog):
    client = client_for(front_desk)
    with caplog.at_level(logging.INFO, logger="keshi.access"):
        client.get("/guests/13812345678/")
    [access] = [r for r in caplog.records if r.name == "keshi.access"]
    text = KeshiFormatter(time_zone="UTC", role="web").format(access)
    assert "GET /guests/*******5678/ 404" in text and "13812345678" not in text


@pytest.mark.django_db
def test_a_request_by_nobody_logged_in_and_a_redirect_are_logged_too(client, caplog):
    with caplog.at_level(logging.INFO, logger="keshi.access"):
        client.get("/reports/")
        client.post("/accounts/login/", {"username": "nobody", "password": "x"})
    messages = [r.getMessage() for r in caplog.records if r.name == "keshi.access"]
    assert re.fullmatch(r"GET /reports/ 302 \d+ms user=-", messages[0])
    assert re.fullmatch(r"POST /accounts/login/ 200 \d+ms user=-", messages[1])


def read_until(process: subprocess.Popen, wanted: re.Pattern, seconds=60) -> list[str]:
    """The process's output lines up to the first that matches."""
    lines, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            text = process.stdout.readline()
            if not text:
                break
            lines.append(text.rstrip("\n"))
            if wanted.search(text):
                return lines
        elif process.poll() is not None:
            break
    pytest.fail(f"never saw {wanted.pattern!r} in:\n" + "\n".join(lines))


def log_line(role: str, pid: int) -> re.Pattern:
    return re.compile(rf"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d \+0800 (INFO|WARNING|ERROR) {role}\[{pid}\] [\w.]+: ")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_logs_in_the_same_format_as_the_web():
    broker = require_services()
    worker = start_worker(broker, new_queue(), KESHI_PROCESS_ROLE="", TIME_ZONE="Asia/Shanghai", KESHI_LOG_LEVEL="INFO")
    try:
        lines = read_until(worker, re.compile(r" ready\.$"))
    finally:
        stop(worker)
    logged = [text for text in lines if re.match(r"^\d{4}-\d\d-\d\d ", text)]
    assert logged and all(log_line("worker", worker.pid).match(text) for text in logged), "\n".join(lines)
    assert re.search(r" INFO worker\[\d+\] celery\.[\w.]+: \S+@test ready\.$", lines[-1])
    assert not [text for text in lines if text.startswith("[20")]  # Celery's own format never shows


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_beat_logs_in_the_same_format_and_applies_the_schedules_when_it_starts(tmp_path):
    broker = require_services()
    db = connection.settings_dict
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KESHI_PROCESS"))} | {
        "DJANGO_SETTINGS_MODULE": "crm.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        "TIME_ZONE": "Asia/Shanghai",
        "KESHI_LOG_LEVEL": "INFO",
    }
    assert not PeriodicTask.objects.exists()
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "beat", "--pidfile", str(tmp_path / "beat.pid"),
         "-s", str(tmp_path / f"schedule-{uuid.uuid4().hex}")],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        # beat_init comes right after "beat: Starting..."; the scheduler then notices the change.
        lines = read_until(beat, re.compile(r" crm\.celery: Schedule Follow-up rules: "))
    finally:
        stop(beat)
    logged = [text for text in lines if re.match(r"^\d{4}-\d\d-\d\d ", text)]
    assert logged and all(log_line("beat", beat.pid).match(text) for text in logged), "\n".join(lines)
    assert any(" celery.beat: beat: Starting..." in text for text in logged), "\n".join(lines)
    assert PeriodicTask.objects.filter(name="Follow-up rules", crontab__timezone="Asia/Shanghai").exists()
