"""What-if settings for the throughput run only: production minus per-request round trips.

Not used by the app. `bench/lookup.py --throughput-settings bench.settings_lean` runs
the gunicorn worker with these to show what the lookup would gain from
- sessions read from Redis instead of PostgreSQL (one query fewer),
- no transaction around read-only requests (BEGIN and COMMIT: two round trips fewer),
- no connection health check at the start of each request (one SELECT 1 fewer).
"""

from crm.settings.production import *  # noqa: F403
from crm.settings.production import DATABASES, env

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("BENCH_CACHE_URL", default="redis://127.0.0.1:6379/1"),
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
