"""The managers' report pages at archive scale, on PostgreSQL.

    .venv/bin/python bench/reports.py            # the archive bench/followups.py seeded (1M guests, 10M visits)
    .venv/bin/python bench/reports.py --requests 10 --only vip,at-risk

Each report page is requested through django.test.Client as a manager (group
`manager`, user `bench_manager`), i.e. middleware, session, permission check and
template, after two warm-up requests; it prints median and p95 (nearest rank) per
page, the rows shown, and then times the Excel download of the whole VIP list.
Pages whose warm-up already takes more than --slow-seconds are requested
--slow-requests times only. Target: p95 <= 200 ms per page.

The 12-month reports read the latest ready archive review; when the database has
none, the script runs one with the review engine (reports.review) first. When the day
totals of visits (visits.VisitDayTotal) do not add up to the visits (an archive loaded
in bulk without them), it rebuilds them. It changes nothing else in the archive.
Results also go to bench/results/.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lookup import Tee, configure, ensure_database  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/keshi_bench_1m"
TARGET_MS = 200


def pages():
    today = datetime.date.today()
    month_ago = (today - datetime.timedelta(days=30)).isoformat()
    return [
        ("index", "reports:index", {}),
        ("vip (last visit)", "reports:vip", {}),
        ("vip, by spend", "reports:vip", {"order": "spend"}),
        ("vip, page 20", "reports:vip", {"page": 20}),
        ("at-risk", "reports:at_risk", {}),
        ("at-risk, declining", "reports:at_risk", {"reason": "declining"}),
        ("birthdays, week", "reports:birthdays", {}),
        ("birthdays, month", "reports:birthdays", {"window": "month"}),
        ("top spenders, 12 months", "reports:top_spenders", {}),
        ("top spenders, 30 days", "reports:top_spenders", {"date_from": month_ago}),
        # A day more than the 30 kept: a whole day's visits summed on top, as by the evening of a busy day
        # (the seeded archive has no visits of today).
        (
            "top spenders, 31 days",
            "reports:top_spenders",
            {"date_from": (today - datetime.timedelta(days=31)).isoformat()},
        ),
        ("developed", "reports:developed", {}),
        ("complaints", "reports:complaints", {}),
        ("meal x weekday, 13 weeks", "reports:meal_weekday", {}),
        ("spend by tier, 12 months", "reports:spend_by_tier", {}),
    ]


def nearest_rank(values, percent):
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * percent // 100) - 1)]


def manager_client():
    from django.contrib.auth.models import Group
    from django.test import Client

    from staff import roles
    from staff.models import User

    user, created = User.objects.get_or_create(username="bench_manager", defaults={"last_name": "经理"})
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get(name=roles.MANAGER))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user, backend="staff.backends.CachedPermissionBackend")
    return client


def timed_get(client, url, params):
    started = time.perf_counter()
    response = client.get(url, params)
    if hasattr(response, "streaming_content"):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, params, response.status_code)
    return elapsed, response, body


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--slow-requests", type=int, default=5)
    parser.add_argument("--slow-seconds", type=float, default=2.0)
    parser.add_argument("--downloads", type=int, default=3, help="VIP Excel downloads to time")
    parser.add_argument("--only", default="", help="comma-separated page labels (prefix match)")
    args = parser.parse_args(argv)
    if "bench" not in urlsplit(args.database_url).path:
        sys.exit("Refusing to run: the database name must contain 'bench'.")
    log = Tee()
    # Whole pages need the static manifest: the settings bench/visits.py renders pages with.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_pages")
    configure(args.database_url)
    ensure_database(args.database_url, log)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Sum
    from django.urls import reverse

    from guests.models import Guest
    from reports import review as engine
    from reports.models import Review, ReviewLine
    from reports.selectors import review_latest
    from visits.models import Visit, VisitDayTotal
    from visits.recent import recent_spend_rebuild
    from visits.totals import visit_totals_rebuild

    call_command("collectstatic", interactive=False, verbosity=0)
    review = review_latest()
    if review is None:
        log("No ready archive review: running one with the review engine ...")
        started = time.perf_counter()
        review, _created = engine.review_start()
        review = engine.review_compute(review_id=review.pk)
        log(f"  review {review.period} computed in {time.perf_counter() - started:.0f} s")
    guests, visits = Guest.objects.count(), Visit.objects.count()
    if (VisitDayTotal.objects.aggregate(n=Sum("visits"))["n"] or 0) != visits:
        log("The day totals of visits are out of step with the visits: rebuilding them ...")
        started = time.perf_counter()
        log(f"  {visit_totals_rebuild():,} day totals in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    rebuilt = recent_spend_rebuild()  # as the hourly beat task would have, once today
    if rebuilt is not None:
        log(f"Spend over the 30 days before today kept for {rebuilt:,} guests in {time.perf_counter() - started:.1f} s")
    lines = ReviewLine.objects.filter(review=review).count()
    log(f"Report pages over {guests:,} guests, {visits:,} visits; review {review.period} as of {review.as_of} "
        f"({lines:,} lines, {Review.objects.count()} reviews). Target p95 <= {TARGET_MS} ms.")  # fmt: skip
    log("")
    log(f"  {'page':<26} {'n':>3} {'median ms':>10} {'p95 ms':>9} {'rows':>5}  verdict")
    client = manager_client()
    only = [label.strip() for label in args.only.split(",") if label.strip()]
    missed = []
    for label, name, params in pages():
        if only and not any(label.startswith(prefix) for prefix in only):
            continue
        url = reverse(name)
        warm = [timed_get(client, url, params)[0] for _ in range(2)]
        count = args.slow_requests if min(warm) > args.slow_seconds * 1000 else args.requests
        times, rows = [], 0
        for _ in range(count):
            elapsed, _response, body = timed_get(client, url, params)
            times.append(elapsed)
            # Rows of the report table (the meal x weekday matrix rows start with <th>).
            rows = body.count(b"<tr><td") - body.count(b"<tr><td colspan")
        p95 = nearest_rank(times, 95)
        verdict = "met" if p95 <= TARGET_MS else "MISSED"
        if p95 > TARGET_MS:
            missed.append(label)
        log(f"  {label:<26} {count:>3} {statistics.median(times):>10.1f} {p95:>9.1f} {rows:>5}  {verdict}")
    if not only or any("download".startswith(prefix) for prefix in only):
        log("")
        url = reverse("reports:vip")
        a_guests = Guest.objects.filter(tier="A", anonymised_at__isnull=True).count()
        times, size = [], 0
        for _ in range(args.downloads):
            elapsed, _response, body = timed_get(client, url, {"format": "xlsx"})
            times.append(elapsed)
            size = len(body)
        log(f"VIP list Excel download ({a_guests:,} A guests): median {statistics.median(times) / 1000:.1f} s, "
            f"max {max(times) / 1000:.1f} s over {len(times)}, {size / 2**20:.1f} MB")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"reports-{guests}-{visits}.txt").write_text("\n".join(log.lines) + "\n")
    if missed:
        log(f"Missed the target: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
