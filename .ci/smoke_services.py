"""The smoke test's processes: commands, the environment file, the units' ExecStart lines, nginx.

Part of .ci/smoke.py (see its docstring); standard library only."""

import grp
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DB_NAME = "keshi_smoke"
PG = os.environ.get("KESHI_SMOKE_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("KESHI_SMOKE_REDIS", "redis://127.0.0.1:6379")
BROKER_DB, CACHE_DB = 4, 5  # CI's test run uses 0 and 1
RUN_AS = "nobody"  # stands in for the keshi user of the deployment guide
ADMIN_USER, ADMIN_PASSWORD = "smoke-admin", secrets.token_urlsafe(16)
UNITS = ("keshi-web", "keshi-worker", "keshi-worker-batch", "keshi-beat")
LOG_LINE = r"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{{4}} [A-Z]+ {role}\[\d+\] {logger}: "
THANK_YOU = "Thank-you after the first visit"  # followups.models.FollowUp.Kind.THANK_YOU in English

started = time.monotonic()
processes: dict[str, subprocess.Popen] = {}
logs: dict[str, Path] = {}
current_step = "start"


class SmokeFailure(Exception):
    pass


def step(name: str) -> None:
    global current_step
    current_step = name
    print(f"[{time.monotonic() - started:6.1f}s] {name}", flush=True)


def check(condition, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def run(*args, user=None, env=None, cwd=None, input=None) -> str:
    """A command that must succeed; its output is shown only when it fails."""
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, input=input, capture_output=True, text=True, **_as(user)
    )
    if result.returncode != 0:
        raise SmokeFailure(
            f"`{shlex.join(str(a) for a in args)}` exited {result.returncode}\n{result.stdout[-3000:]}"
            f"\n{result.stderr[-3000:]}"
        )
    return result.stdout


def _as(user):
    if user is None:
        return {}
    account = pwd.getpwnam(user)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- install ---------------------------------------------------------------------------------------------


def copy_code(app: Path) -> None:
    listed = run("git", "-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (app / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, app / name)


def code_snapshot(app: Path) -> set:
    return {(str(p.relative_to(app)), p.stat().st_mtime_ns) for p in app.rglob("*") if p.is_file()}


def write_env_file(path: Path, values: dict) -> dict:
    """The deployment's env file: .env.example, every line kept, with the smoke test's values put in."""
    lines, missing = [], dict(values)
    for line in (REPO / ".env.example").read_text().splitlines():
        key = line.split("=", 1)[0].strip() if "=" in line and not line.lstrip().startswith("#") else None
        if key in missing:
            line = f"{key}={missing.pop(key)}"
        lines.append(line)
    for key, value in missing.items():
        print(f"  note: {key} is not in .env.example; added for the smoke test", flush=True)
        lines.append(f"{key}={value}")
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return read_env_file(path)


def read_env_file(path: Path) -> dict:
    """What systemd's EnvironmentFile= makes of the file, for the plain KEY=value lines it holds."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key] = value
    return env


def unit_command(unit: str, paths: dict) -> tuple[list, dict, str]:
    """ExecStart=, Environment= and WorkingDirectory= of a unit, with the deployment's paths replaced."""
    text = (REPO / "deploy" / "systemd" / f"{unit}.service").read_text()
    for deployed, here in paths.items():
        text = text.replace(deployed, here)
    fields: dict[str, list] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            fields.setdefault(key.strip(), []).append(value.strip())
    check(len(fields.get("ExecStart", [])) == 1, f"{unit}.service must have exactly one ExecStart=")
    command = fields["ExecStart"][0]
    # systemd's specifiers are not expanded here: only %% (a literal %, as Celery's -n …@%h wants) may be used.
    check("/srv/keshi" not in command and not re.search(r"%(?!%)", command.replace("%%", "")),
          f"{unit}.service: unexpected path or specifier in {command!r}")  # fmt: skip
    command = command.replace("%%", "%")
    env = {}
    for assignment in fields.get("Environment", []):
        for pair in shlex.split(assignment):
            key, value = pair.split("=", 1)
            env[key] = value
    workdir = fields.get("WorkingDirectory", [paths["/srv/keshi/app"]])[0]
    return shlex.split(command), env, workdir


def start(name: str, args: list, *, env: dict, cwd: str, user=None, log_dir: Path) -> None:
    logs[name] = log_dir / f"{name}.log"
    out = logs[name].open("wb")
    print(f"  {name}: {shlex.join(args)}", flush=True)
    processes[name] = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **_as(user)
    )


def stop_all() -> None:
    for name, process in reversed(list(processes.items())):
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 20
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"  {name} did not stop within 20 s: killed", flush=True)
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
    if processes:
        print(f"  stopped {', '.join(processes)} in {20 - (deadline - time.monotonic()):.1f} s", flush=True)


def show_logs() -> None:
    for name, path in logs.items():
        if path.exists():
            tail = path.read_text(errors="replace").splitlines()[-40:]
            print(f"----- last lines of {name} -----", *tail, sep="\n", flush=True)


def require_running() -> None:
    for name, process in processes.items():
        check(process.poll() is None, f"{name} exited with status {process.returncode}")


def nginx_config(root: Path, *, https_port: int, http_port: int, web_port: int, state: Path) -> Path:
    """deploy/nginx/keshi.conf as shipped, with only its ports, certificate and state folder replaced."""
    site = (REPO / "deploy" / "nginx" / "keshi.conf").read_text()
    replacements = [
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
        ("listen [::]:443 ssl;", ""),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{web_port};"),
        ("/etc/ssl/keshi/fullchain.pem", str(root / "cert.pem")),
        ("/etc/ssl/keshi/privkey.pem", str(root / "key.pem")),
        ("/var/lib/keshi/", f"{state}/"),
        ("/var/log/nginx/", f"{root}/"),
    ]
    for old, new in replacements:
        check(old in site, f"deploy/nginx/keshi.conf no longer contains {old!r}: update .ci/smoke.py with it")
        site = site.replace(old, new)
    (root / "keshi.conf").write_text(site)
    account = pwd.getpwnam(RUN_AS)
    temp = {n: root / n for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    main = f"""
        daemon off;
        user {RUN_AS} {grp.getgrgid(account.pw_gid).gr_name};
        worker_processes 1;
        pid {root}/nginx.pid;
        error_log stderr warn;
        events {{ worker_connections 64; }}
        http {{
            include /etc/nginx/mime.types;
            default_type application/octet-stream;
            client_body_temp_path {temp["client_body"]};
            proxy_temp_path {temp["proxy"]};
            fastcgi_temp_path {temp["fastcgi"]};
            uwsgi_temp_path {temp["uwsgi"]};
            scgi_temp_path {temp["scgi"]};
            include {root}/keshi.conf;
        }}
    """
    (root / "nginx.conf").write_text(main)
    return root / "nginx.conf"


# --- the browser's part ----------------------------------------------------------------------------------
