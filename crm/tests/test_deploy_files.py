"""deploy/: what the systemd units, gunicorn's configuration, keshi-manage and the nginx site promise.

The production smoke test (.ci/smoke.py) runs these files end to end; these tests pin the
properties it cannot see without systemd: the user, the sandbox, the one environment file.
"""

import re
import runpy
from pathlib import Path

import pytest
from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"
UNITS = ("keshi-web", "keshi-worker", "keshi-worker-batch", "keshi-beat")


def unit(name: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / f"{name}.service").read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            fields.setdefault(key.strip(), []).append(value.strip())
    return fields


def gunicorn_config(monkeypatch, **environ) -> dict:
    for name in ("KESHI_BIND", "KESHI_WEB_WORKERS", "KESHI_TRUSTED_PROXIES", "KESHI_LOG_LEVEL", "TIME_ZONE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_gunicorn_listens_on_the_loopback_unless_keshi_bind_says_otherwise(monkeypatch):
    assert gunicorn_config(monkeypatch)["bind"] == "127.0.0.1:8000"
    assert gunicorn_config(monkeypatch, KESHI_BIND="127.0.0.1:8123")["bind"] == "127.0.0.1:8123"


def test_gunicorn_runs_two_workers_a_core_plus_one_at_most_eight_unless_keshi_web_workers_says(monkeypatch):
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 2)
    assert gunicorn_config(monkeypatch)["workers"] == 5
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 16)
    assert gunicorn_config(monkeypatch)["workers"] == 8
    assert gunicorn_config(monkeypatch, KESHI_WEB_WORKERS="3")["workers"] == 3


def test_gunicorn_believes_forwarded_headers_from_the_proxies_django_believes(monkeypatch):
    default = gunicorn_config(monkeypatch)["forwarded_allow_ips"]
    assert default.split(",") == ["127.0.0.1", "::1"]
    configured = gunicorn_config(monkeypatch, KESHI_TRUSTED_PROXIES="10.0.0.5,192.168.0.0/24")
    assert configured["forwarded_allow_ips"] == "10.0.0.5,192.168.0.0/24"


def test_gunicorn_leaves_the_access_log_to_django_and_logs_in_the_projects_format(monkeypatch):
    config = gunicorn_config(monkeypatch, TIME_ZONE="Europe/Paris")
    assert config["accesslog"] is None
    formatter = config["logconfig_dict"]["formatters"]["keshi"]
    assert formatter == {"()": "crm.logs.KeshiFormatter", "time_zone": "Europe/Paris"}


@pytest.mark.parametrize("name", UNITS)
def test_every_unit_runs_as_keshi_with_the_one_environment_file(name):
    fields = unit(name)
    assert fields["User"] == ["keshi"] and fields["Group"] == ["keshi"]
    assert fields["EnvironmentFile"] == ["/etc/keshi/keshi.env"]
    assert fields["WorkingDirectory"] == ["/srv/keshi/app"]
    assert fields["Restart"] == ["on-failure"]
    assert fields["ExecStart"][0].startswith("/srv/keshi/venv/bin/")


@pytest.mark.parametrize("name", UNITS)
def test_every_unit_is_sandboxed_and_writes_only_under_var_lib_keshi(name):
    fields = unit(name)
    assert fields["NoNewPrivileges"] == ["yes"]
    assert fields["ProtectSystem"] == ["strict"]
    assert fields["PrivateTmp"] == ["yes"]
    assert fields["ReadWritePaths"] == ["/var/lib/keshi"]
    assert fields["StateDirectory"] == ["keshi keshi/static keshi/media keshi/locale"]


def test_each_unit_names_its_process_for_the_log_and_joins_keshi_target():
    roles = {name: unit(name)["Environment"] for name in UNITS}
    assert roles == {
        "keshi-web": ["KESHI_PROCESS_ROLE=web"],
        "keshi-worker": ["KESHI_PROCESS_ROLE=worker"],
        "keshi-worker-batch": ["KESHI_PROCESS_ROLE=worker"],
        "keshi-beat": ["KESHI_PROCESS_ROLE=beat"],
    }
    assert all(unit(name)["WantedBy"] == ["keshi.target"] for name in UNITS)


def test_keshi_manage_runs_commands_with_the_units_user_environment_and_state_folders():
    script = (DEPLOY / "keshi-manage").read_text()
    web = unit("keshi-web")
    assert "--uid=keshi --gid=keshi" in script
    assert f"-p EnvironmentFile={web['EnvironmentFile'][0]}" in script
    assert f'-p "StateDirectory={web["StateDirectory"][0]}"' in script
    assert "-p ProtectSystem=strict" in script


def test_nginx_takes_the_largest_card_import_the_application_accepts():
    site = (DEPLOY / "nginx" / "keshi.conf").read_text()
    size = re.search(r"client_max_body_size (\d+)m;", site)
    assert size and int(size.group(1)) * 1024 * 1024 > settings.KESHI_IMPORT_MAX_BYTES


def test_nginx_serves_static_files_from_a_state_folder_and_never_the_media():
    site = (DEPLOY / "nginx" / "keshi.conf").read_text()
    static = re.search(r"location /static/ \{\s*alias (\S+);", site)
    assert static and static.group(1) == "/var/lib/keshi/static/"
    assert re.search(r"location /media/ \{\s*return 404;", site)
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "server 127.0.0.1:8000;" in site
