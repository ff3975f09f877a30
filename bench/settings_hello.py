"""The bench's production settings with /bench/hello/ mounted (bench/urls_hello.py), for bench/lookup.py's
throughput run: one gunicorn worker serves the lookup and the hello view alike."""

from crm.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls_hello"
