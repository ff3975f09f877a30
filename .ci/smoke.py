#!/usr/bin/env python3
"""Production smoke test: KeShi installed the way docs/deployment.md says, then used through nginx.

Run as root (CI is): `python3 .ci/smoke.py`. Python's standard library only. In a temporary folder it

1. copies the code (the files git knows, as a release would bring them) and builds a fresh virtualenv
   from requirements.txt alone, so a package only the dev requirements bring fails here;
2. writes the environment file from .env.example with real values: production settings, a random
   secret, a fresh database keshi_smoke, Redis databases 4 (broker) and 5 (cache), the static, media
   and locale roots in the temporary folder;
3. runs migrate, compiletranslations, collectstatic, setup_schedules and createsuperuser as an
   unprivileged user (nobody stands in for keshi), and checks that none of them wrote into the code;
4. starts gunicorn, one worker and one beat with the ExecStart lines of deploy/systemd/*.service (paths
   substituted), as that user, and nginx with deploy/nginx/keshi.conf and a self-signed certificate;
5. as a person would, over https: waits for /health/, logs in through the login page, adds an outlet
   in the admin, creates a guest, logs their first visit and sees the worker write the thank-you
   follow-up, uploads a filled blank card, confirms it and sees the worker import it; checks the
   http redirect, the static files, that uploads are not public, and that X-Forwarded-Proto sent
   straight to gunicorn from an address outside KESHI_TRUSTED_PROXIES is not believed;
6. stops everything it started and drops the database, also on failure.

It stops at the first failure, naming the step, with the end of each process's log.
Environment: KESHI_SMOKE_PYTHON (the interpreter for the virtualenv, default /usr/bin/python3),
KESHI_SMOKE_PG (default postgres://postgres@127.0.0.1:5432), KESHI_SMOKE_REDIS (default
redis://127.0.0.1:6379), KESHI_SMOKE_KEEP=1 keeps the temporary folder, KESHI_SMOKE_VENV=<folder> reuses a virtualenv
built earlier from requirements.txt (to iterate locally; CI always builds a fresh one).
"""

import atexit
import http.client
import http.cookiejar
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import smoke_services
from smoke_services import (  # noqa: I001 (the script's folder is on sys.path, not a package)
    ADMIN_PASSWORD,
    ADMIN_USER,
    BROKER_DB,
    CACHE_DB,
    DB_NAME,
    LOG_LINE,
    PG,
    REDIS,
    RUN_AS,
    THANK_YOU,
    UNITS,
    SmokeFailure,
    check,
    code_snapshot,
    copy_code,
    free_port,
    logs,
    nginx_config,
    require_running,
    run,
    show_logs,
    start,
    started,
    step,
    stop_all,
    unit_command,
    write_env_file,
)
from smoke_web import Browser, all_forms, fill, form_with, page_title, poll

FILL_CARD = """
import sys
from openpyxl import load_workbook

book = load_workbook(sys.argv[1])
sheet = book.worksheets[0]
wanted = {"姓名": sys.argv[3], "姓氏": sys.argv[4], "手机": sys.argv[5]}  # labels read "姓名 Name"
filled = set()
for row in sheet.iter_rows():
    for cell in row:
        words = str(cell.value).split() if cell.value is not None else []
        if words and words[0] in wanted and words[0] not in filled:
            column = cell.column
            for merged in sheet.merged_cells.ranges:
                if cell.coordinate in merged:
                    column = merged.max_col
            sheet.cell(row=cell.row, column=column + 1).value = wanted[words[0]]
            filled.add(words[0])
if len(filled) != 3:
    sys.exit(f"the blank card has no cell for name, surname or mobile (filled {sorted(filled)})")
book.save(sys.argv[2])
"""


# --- the test --------------------------------------------------------------------------------------------


def main() -> None:
    check(os.geteuid() == 0, "run as root: it starts the services as an unprivileged user")
    root = Path(tempfile.mkdtemp(prefix="keshi-smoke-"))
    root.chmod(0o755)
    app, venv, state, log_dir, web_root = root / "app", root / "venv", root / "state", root / "logs", root / "nginx"
    for folder in (app, log_dir, web_root):
        folder.mkdir()
    keep = os.environ.get("KESHI_SMOKE_KEEP") == "1"
    atexit.register(cleanup, root, keep)
    account = pwd.getpwnam(RUN_AS)

    step("copy the code as a release would bring it")
    copy_code(app)

    if os.environ.get("KESHI_SMOKE_VENV"):
        step(f"virtualenv {os.environ['KESHI_SMOKE_VENV']} reused (KESHI_SMOKE_VENV: local iteration only)")
        venv = Path(os.environ["KESHI_SMOKE_VENV"])
    else:
        step("fresh virtualenv from requirements.txt only")
        python = os.environ.get("KESHI_SMOKE_PYTHON", "/usr/bin/python3")
        run(python, "-m", "venv", venv)
        run(venv / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check", "-r", app / "requirements.txt")

    step("state folders and a fresh database")
    for name in ("static", "media", "locale"):
        (state / name).mkdir(parents=True)
    for folder in (state, *state.iterdir()):
        os.chown(folder, account.pw_uid, account.pw_gid)
        folder.chmod(0o750)
    psql = ("psql", f"{PG}/postgres", "-v", "ON_ERROR_STOP=1", "-qc")
    run(*psql, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    run(*psql, f"CREATE DATABASE {DB_NAME}")
    for db in (BROKER_DB, CACHE_DB):
        run("redis-cli", "-u", f"{REDIS}/{db}", "FLUSHDB")

    step("environment file from .env.example")
    web_port, https_port, http_port = free_port(), free_port(), free_port()
    env_file = root / "keshi.env"
    values = write_env_file(
        env_file,
        {
            "DJANGO_SETTINGS_MODULE": "crm.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "localhost",
            "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://localhost:{https_port}",
            "DATABASE_URL": f"{PG}/{DB_NAME}",
            "CELERY_BROKER_URL": f"{REDIS}/{BROKER_DB}",
            "CACHE_URL": f"{REDIS}/{CACHE_DB}",
            "DJANGO_STATIC_ROOT": str(state / "static"),
            "DJANGO_MEDIA_ROOT": str(state / "media"),
            "KESHI_LOCALE_ROOT": str(state / "locale"),
            "KESHI_TRUSTED_PROXIES": "127.0.0.1",
            "KESHI_TRUSTED_PROXY_COUNT": "1",
            "KESHI_BIND": f"127.0.0.1:{web_port}",
            "KESHI_WEB_WORKERS": "2",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "DJANGO_ADMINS": "",
            "SENTRY_DSN": "",
        },
    )
    # What systemd gives a service: its EnvironmentFile and almost nothing else.
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": account.pw_dir, **values}

    step("release commands as the unprivileged user: check --deploy, migrate, compiletranslations, "
         "collectstatic, setup_schedules, createsuperuser")  # fmt: skip
    before = code_snapshot(app)
    manage = (venv / "bin" / "python", app / "manage.py")
    manage_env = dict(env, KESHI_PROCESS_ROLE="manage")
    warnings = run(*manage, "check", "--deploy", "--fail-level", "WARNING", user=RUN_AS, env=manage_env, cwd=app)
    run(*manage, "migrate", "--noinput", user=RUN_AS, env=manage_env, cwd=app)
    run(*manage, "compiletranslations", user=RUN_AS, env=manage_env, cwd=app)
    check(list((state / "locale").rglob("*.mo")), f"compiletranslations wrote no .mo under {state / 'locale'}")
    run(*manage, "collectstatic", "--noinput", user=RUN_AS, env=manage_env, cwd=app)
    check((state / "static" / "staticfiles.json").exists(), "collectstatic wrote no manifest into the static root")
    run(*manage, "setup_schedules", user=RUN_AS, env=manage_env, cwd=app)
    run(*manage, "createsuperuser", "--noinput", "--username", ADMIN_USER, "--email", "it@example-hotel.cn",
        user=RUN_AS, env=dict(manage_env, DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD), cwd=app)  # fmt: skip
    check(code_snapshot(app) == before, "a release command wrote into the code folder")
    print(f"  check --deploy: {warnings.strip() or 'no output'}", flush=True)

    step("gunicorn, worker and beat from the systemd units' ExecStart, as the unprivileged user")
    paths = {"/srv/keshi/venv": str(venv), "/srv/keshi/app": str(app), "/var/lib/keshi": str(state)}
    for unit in UNITS:
        args, unit_env, workdir = unit_command(unit, paths)
        start(unit, args, env={**env, **unit_env}, cwd=workdir, user=RUN_AS, log_dir=log_dir)

    step("nginx with deploy/nginx/keshi.conf and a self-signed certificate")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost", "-keyout", web_root / "key.pem", "-out", web_root / "cert.pem")  # fmt: skip
    config = nginx_config(web_root, https_port=https_port, http_port=http_port, web_port=web_port, state=state)
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin")
    check(nginx, "nginx is not installed")
    run(nginx, "-t", "-q", "-p", web_root, "-c", config, "-e", "stderr")
    start("nginx", [nginx, "-p", str(web_root), "-c", str(config), "-e", "stderr"], env=env, cwd=str(web_root),
          log_dir=log_dir)  # fmt: skip

    browser = Browser(f"https://localhost:{https_port}", web_root / "cert.pem")

    step("GET /health/ until the database, Redis and a worker answer")

    def healthy():
        try:
            _s, _f, content, _i = browser.request("/health/", expect=(200, 503))
        except (SmokeFailure, OSError) as error:
            return False, str(error)
        report = json.loads(content)
        return all(report.get(k) == "ok" for k in ("database", "cache", "broker", "workers")), report

    report = poll("health", healthy, timeout=60)
    print(f"  /health/: {report}", flush=True)

    step("log in through the login page")
    _final, page = browser.page("/accounts/login/")
    form = form_with(page, "password")
    final, page = browser.page(
        "/accounts/login/", data=fill(form, {"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    )
    check(final != "/accounts/login/", "the login page came back: the login was refused")
    check(any(c.name == "sessionid" and c.secure for c in browser.cookies), "no secure session cookie after login")

    step("add an outlet in the admin")
    _final, page = browser.page("/admin/staff/outlet/add/")
    form = form_with(page, "name")
    final, page = browser.page(
        "/admin/staff/outlet/add/", data=fill(form, {"name": "Smoke Restaurant", "_save": "Save"})
    )
    check(final == "/admin/staff/outlet/", f"the outlet was not saved (ended on {final}: {page_title(page)})")

    step("create a guest through the guest form")
    _final, page = browser.page("/guests/new/")
    form = form_with(page, "mobile")
    final, page = browser.page(
        "/guests/new/",
        data=fill(form, {"name": "冒烟测试", "surname": "冒", "honorific": "冒总", "mobile": "13800138000"}),
    )
    found = re.fullmatch(r"/guests/(\d+)/", final)
    check(found, f"the guest form did not lead to the guest's profile (ended on {final}: {page_title(page)})")
    guest = found.group(1)
    check(THANK_YOU not in page, "the new guest's profile shows a thank-you follow-up before any visit")

    step("log the guest's first visit through the visit form")
    _final, page = browser.page(f"/guests/{guest}/visits/new/")
    form = form_with(page, "outlet")
    outlet = next((v for v in form["options"].get("outlet", []) if v), None)
    check(outlet, "the visit form offers no outlet")
    final, page = browser.page(
        f"/guests/{guest}/visits/new/", data=fill(form, {"outlet": outlet, "party_size": "2", "spend": "688"})
    )
    check(final != f"/guests/{guest}/visits/new/", f"the visit was not saved: {page_title(page)}")

    step("the worker writes the first visit's thank-you follow-up")

    def thanked():
        _final, page = browser.page(f"/guests/{guest}/")
        return THANK_YOU in page, "no thank-you follow-up on the profile yet"

    poll("thank-you follow-up", thanked, timeout=60)

    step("upload a filled blank card, confirm it, and the worker imports it")
    _s, _f, blank, _i = browser.request("/cards/template.xlsx")
    (root / "blank.xlsx").write_bytes(blank)
    run(venv / "bin" / "python", "-c", FILL_CARD, root / "blank.xlsx", root / "card.xlsx", "卡片导入", "卡",
        "13900139000")  # fmt: skip
    _final, page = browser.page("/cards/import/")
    form = form_with(page, "file")
    final, page = browser.page(
        "/cards/import/",
        data=fill(form, {}),
        files={"file": ("card.xlsx", (root / "card.xlsx").read_bytes(),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
    )  # fmt: skip
    found = re.fullmatch(r"/cards/import/(\d+)/", final)
    check(found, f"the upload did not lead to its import page (ended on {final}: {page_title(page)})")
    transfer = f"/cards/import/{found.group(1)}/"

    def reached(marker):
        def probe():
            _final, page = browser.page(transfer)
            for bad in ('data-testid="refused"', 'data-testid="failed"', 'data-testid="expired"'):
                check(bad not in page, f"the import ended {bad}: {re.sub(r'<[^>]+>', ' ', page)[-1500:]}")
            return marker in page, page_title(page)

        return probe

    poll("the worker checks the file", reached('data-testid="confirm-import"'), timeout=60)
    _final, page = browser.page(transfer)
    confirm = [f for f in all_forms(page) if f["action"].endswith("/confirm/")]
    check(confirm, "the checked import offers no confirm button")
    browser.page(confirm[0]["action"], data=fill(confirm[0], {}))
    poll("the worker imports the file", reached('data-testid="done"'), timeout=60)
    _final, page = browser.page("/?q=13900139000")
    check("卡片导入" in page, "the imported guest is not found by their mobile")

    step("plain http redirects to https; static files are cached; uploads are not public")
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    connection.request("GET", "/accounts/login/", headers={"Host": "localhost"})
    response = connection.getresponse()
    check(response.status == 301 and response.getheader("Location", "").startswith("https://"),
          f"http answered {response.status} {response.getheader('Location')}")  # fmt: skip
    connection.close()
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', browser.page("/")[1])
    check(stylesheet, "the login page links no stylesheet under /static/")
    _s, _f, _c, headers = browser.request(stylesheet.group(1))
    # nginx's own header, not WhiteNoise's (whose is similar): the file came from disk, not through gunicorn.
    nginx_cache = re.search(
        r'location /static/ \{[^}]*add_header Cache-Control "([^"]+)"', config.with_name("keshi.conf").read_text()
    )
    check(nginx_cache, "deploy/nginx/keshi.conf sets no Cache-Control for /static/")
    check(headers.get("Cache-Control") == nginx_cache.group(1), f"static file not served by nginx: {headers}")
    browser.request("/media/anything.xlsx", expect=(404,))

    step("X-Forwarded-Proto straight to gunicorn is believed from a trusted proxy only")
    check(
        forwarded_proto_status(web_port, source="127.0.0.1") == 200,
        "from 127.0.0.1 (a trusted proxy) X-Forwarded-Proto: https was not believed",
    )
    status = forwarded_proto_status(web_port, source="127.0.0.2")
    check(status == 301, f"from 127.0.0.2 (not a trusted proxy) a forged X-Forwarded-Proto got HTTP {status}")

    step("one log format for web, worker and beat; no phone number in any log")
    require_running()
    for unit, role in (("keshi-web", "web"), ("keshi-worker", "worker"), ("keshi-worker-batch", "worker"),
                       ("keshi-beat", "beat")):  # fmt: skip
        text = logs[unit].read_text(errors="replace")
        line = LOG_LINE.format(role=role, logger=r"[\w.]+")
        check(re.search(line, text, re.M), f"{unit}: no line in the format `<local time +zone> LEVEL {role}[pid] …`")
        if role == "web":
            check(
                re.search(LOG_LINE.format(role=role, logger="keshi.access") + "POST /guests/new/ 302", text, re.M),
                "no access log line for /guests/new/",
            )
    for name, path in {**logs, "nginx access log": web_root / "keshi.access.log"}.items():
        text = path.read_text(errors="replace")
        check(not re.search(r"1380013\d{4}|1390013\d{4}", text), f"{name}: a guest's phone number is in the log")

    step("every process is still running")
    require_running()
    print(f"SMOKE OK in {time.monotonic() - started:.0f} s", flush=True)


def forwarded_proto_status(port: int, *, source: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    connection.request("GET", "/accounts/login/", headers={"Host": "localhost", "X-Forwarded-Proto": "https"})
    status = connection.getresponse().status
    connection.close()
    return status


def cleanup(root: Path, keep: bool) -> None:
    stop_all()
    try:
        run("psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        for db in (BROKER_DB, CACHE_DB):
            run("redis-cli", "-u", f"{REDIS}/{db}", "FLUSHDB")
    except SmokeFailure as error:
        print(f"cleanup: {error}", flush=True)
    if keep:
        print(f"kept {root}", flush=True)
    else:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    except SmokeFailure as failure:
        show_logs()
        print(f"\nSMOKE FAILED at step “{smoke_services.current_step}”:\n{failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except Exception:
        show_logs()
        print(
            f"\nSMOKE FAILED at step “{smoke_services.current_step}” with an unexpected error:",
            file=sys.stderr,
            flush=True,
        )
        raise
