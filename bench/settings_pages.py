"""Production settings for the benchmarks that render whole pages (bench/visits.py, bench/load_visits.py).

Pages extend base.html, whose {% static %} tags need the manifest that `collectstatic`
writes; production runs it at deploy time into STATIC_ROOT. The benchmarks collect into
bench/results/staticfiles (git-ignored) instead of the project's staticfiles/, and change
nothing else: same storage, middleware, sessions, ATOMIC_REQUESTS.
"""

from pathlib import Path

from crm.settings.production import *  # noqa: F403

STATIC_ROOT = Path(__file__).resolve().parent / "results" / "staticfiles"
