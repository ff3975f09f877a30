"""gunicorn for KeShi: `gunicorn -c deploy/gunicorn.conf.py crm.wsgi` (keshi-web.service runs exactly that).

Everything here can be left alone; the two knobs come from the environment file:
KESHI_BIND (default 127.0.0.1:8000 — nginx in front, never a public address) and
KESHI_WEB_WORKERS (default 2 × cores + 1, at most 8).
"""

import multiprocessing
import os

bind = os.environ.get("KESHI_BIND") or "127.0.0.1:8000"
# Sync workers: nginx buffers every request and response, so a slow tablet on the hotel Wi-Fi holds nginx,
# not a gunicorn worker. Past 8 the database, not gunicorn, is what limits a single host.
workers = int(os.environ.get("KESHI_WEB_WORKERS") or min(2 * multiprocessing.cpu_count() + 1, 8))

# X-Forwarded-Proto/-For are believed from these addresses only; the settings' TrustedProxyMiddleware reads
# the same variable, so gunicorn and Django agree on who the proxy is.
forwarded_allow_ips = os.environ.get("KESHI_TRUSTED_PROXIES") or "127.0.0.1,::1"

# Django's keshi.access logger writes one line per request in the project's log format; gunicorn's own
# access log would repeat each request in another format. Its error log (start, stop, worker deaths) goes
# to stderr, which systemd's journal collects.
accesslog = None
errorlog = "-"
loglevel = (os.environ.get("KESHI_LOG_LEVEL") or "INFO").lower()
# gunicorn's own lines (start, stop, a worker killed) in the project's format too, in the restaurants' time
# zone (the same default as crm/settings/base.py).
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "keshi": {"()": "crm.logs.KeshiFormatter", "time_zone": os.environ.get("TIME_ZONE") or "Asia/Shanghai"}
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "keshi", "stream": "ext://sys.stderr"}},
    "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False}},
    "root": {"handlers": []},  # Django's LOGGING sets up the rest in each worker
}

# A 20 MB card upload reaches gunicorn from nginx over the loopback only once nginx has buffered it whole,
# and the view stores it and hands the check to a worker, so even that request takes a second or two; the
# slowest page (a register download of the whole archive) stays well under a minute. 120 s leaves room and
# still frees a worker stuck on a dead database connection.
timeout = 120
graceful_timeout = 30
keepalive = 5

# The workers' heartbeat files on a tmpfs: on a disk-backed /tmp a slow disk makes the arbiter kill healthy
# workers. ProtectSystem=strict leaves /dev/shm writable.
worker_tmp_dir = "/dev/shm"

# Each worker recycles after about a thousand requests, which bounds any slow memory growth.
max_requests = 1000
max_requests_jitter = 100

proc_name = "keshi-web"
# The control socket (for gunicornc) would need a writable home, which the unit does not give; HUP and TERM
# from systemctl reload/stop do what it offers.
control_socket_disable = True
