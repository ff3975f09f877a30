"""Requests per second of one gunicorn sync worker serving the lookup fragment.

The server is started on 127.0.0.1 only, on a free port, and stopped by its process
id when the run ends; the load comes from a bounded number of client threads for a
bounded time, each sending one request at a time over a fresh loopback connection
(a sync worker closes every connection after its response).
"""

import math
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

HOST = "127.0.0.1"


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def request_bytes(query: str, session: str, path: str | None = None) -> bytes:
    """The lookup fragment's request for `query`, or a GET of `path` with the same session and headers."""
    target = path or f"/?q={quote(query)}"
    return (
        f"GET {target} HTTP/1.1\r\nHost: {HOST}\r\nHX-Request: true\r\n"
        f"Cookie: sessionid={session}\r\nConnection: close\r\n\r\n"
    ).encode()


def fetch(port: int, payload: bytes, timeout: float = 10.0) -> tuple[int, bytes]:
    """Send one request and read the whole response; returns (status, body)."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(payload)
        parts = []
        while chunk := sock.recv(65536):
            parts.append(chunk)
    response = b"".join(parts)
    status_line, _sep, rest = response.partition(b"\r\n")
    _headers, _sep, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), body


def start_gunicorn(*, root: Path, port: int, env: dict, log, workers: int = 1) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "crm.wsgi:application", "--workers", str(workers), "--worker-class", "sync",
        "--bind", f"{HOST}:{port}", "--log-level", "warning", "--timeout", "30",
    ]  # fmt: skip
    log(f"  starting: {' '.join(command[1:])}")
    server = subprocess.Popen(command, cwd=root, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise RuntimeError("gunicorn did not start listening within 30 s")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _client(port: int, payloads: list[bytes], offset: int, deadline: float, load: Load) -> None:
    i = offset
    while time.perf_counter() < deadline:
        payload = payloads[i % len(payloads)]
        i += 1
        started = time.perf_counter()
        try:
            status, _body = fetch(port, payload)
            error = None if status == 200 else f"HTTP {status}"
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        with load.lock:
            if error:
                load.errors.append(error)
            else:
                load.latencies.append(elapsed)


def _drive(port: int, payloads: list[bytes], clients: int, seconds: float) -> dict:
    warm = Load()
    _client(port, payloads, 0, time.perf_counter() + 2, warm)  # connections, caches, bytecode
    load = Load()
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    threads = [
        threading.Thread(target=_client, args=(port, payloads, n * 997, deadline, load), daemon=True)
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - started
    latencies = sorted(load.latencies)
    return {
        "port": port,
        "clients": clients,
        "seconds": elapsed,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "median_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "max_ms": (latencies[-1] if latencies else 0) * 1000,
        "errors": len(load.errors),
        "first_errors": sorted(set(load.errors))[:5],
    }


def run(
    *, root: Path, queries: list[str], session: str, clients: int, seconds: float, settings_module: str, log,
    hello_path: str | None = None,
) -> dict:  # fmt: skip
    """Start the worker, check one lookup, drive it, stop it; returns the figures. With `hello_path` (a
    view answering a few bytes through the same middleware, bench/urls_hello.py), the same worker is then
    driven as long with that view, Django's floor: its figures are under "hello"."""
    port = free_port()
    env = os.environ | {"DJANGO_SETTINGS_MODULE": settings_module, "PYTHONWARNINGS": "ignore:No directory at"}
    server = start_gunicorn(root=root, port=port, env=env, log=log)
    try:
        payloads = [request_bytes(query, session) for query in queries]
        status, body = fetch(port, payloads[0])
        if status != 200 or b'id="results"' not in body:
            raise RuntimeError(f"the lookup fragment did not come back (HTTP {status}): {body[:300]!r}")
        figures = _drive(port, payloads, clients, seconds)
        if hello_path:
            hello = [request_bytes("", session, hello_path)]
            status, body = fetch(port, hello[0])
            if status != 200:
                raise RuntimeError(f"the hello view answered HTTP {status}: {body[:300]!r}")
            figures["hello"] = _drive(port, hello, clients, seconds)
    finally:
        stop(server)
    return figures


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered), max(1, math.ceil(len(ordered) * q))) - 1]
