"""The archive review over the whole bench archive, on PostgreSQL.

    .venv/bin/python bench/review.py            # the archive bench/followups.py seeded (1M guests, 10M visits)

Deletes the bench database's reviews, then times one review run the way the Celery task
does it (`review_start` + `review_compute`, chunks of `reports.review.CHUNK` guests), and
a second run for the same period (must change nothing). Prints the time per chunk
(median, p95), the total, the proposals found, and the peak memory of this process,
which plays the worker. Targets: ≤ 60 s, peak memory ≤ 500 MB.
"""

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lookup import Tee, configure  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/keshi_bench_1m")
    args = parser.parse_args(argv)
    if "bench" not in urlsplit(args.database_url).path:
        sys.exit("Refusing to run: the database name must contain 'bench'.")
    log = Tee()
    configure(args.database_url)
    import django

    django.setup()
    from django.db import connection, transaction

    from guests.models import Guest
    from reports import review as engine
    from reports.models import Review, ReviewLine
    from visits.models import Visit

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reports_reviewline, reports_review CASCADE")
    guests, visits = Guest.objects.count(), Visit.objects.count()
    chunks = []
    original = transaction.atomic

    class Timed:
        """Notes when each chunk's transaction ends."""

        def __init__(self, *args, **kwargs):
            self.inner = original(*args, **kwargs)

        def __enter__(self):
            return self.inner.__enter__()

        def __exit__(self, *exc):
            result = self.inner.__exit__(*exc)
            chunks.append(time.perf_counter())
            return result

    transaction.atomic = Timed
    started = time.perf_counter()
    review, _created = engine.review_start()
    try:
        review = engine.review_compute(review_id=review.pk)
    finally:
        transaction.atomic = original
    total = time.perf_counter() - started
    steps = [b - a for a, b in zip([started, *chunks], chunks, strict=False)]
    again_started = time.perf_counter()
    same, created = engine.review_start()
    engine.review_compute(review_id=same.pk)
    again = time.perf_counter() - again_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    changes = engine.review_changes(review=review)
    log(f"Archive review over {guests:,} guests and {visits:,} visits, chunks of {engine.CHUNK:,} guests")
    log(f"  total {total:.1f} s (target <= 60 s: {'met' if total <= 60 else 'MISSED'}); "
        f"{ReviewLine.objects.filter(review=review).count():,} lines")  # fmt: skip
    if len(steps) > 1:
        steps.sort()
        log(f"  per chunk: median {statistics.median(steps):.2f} s, p95 {steps[int(0.95 * (len(steps) - 1))]:.2f} s, "
            f"{len(steps)} chunks")  # fmt: skip
    log(f"  proposals awaiting approval {changes['pending']:,}; up {changes['up']:,}, down {changes['down']:,}, "
        f"at risk {changes['at_risk']:,}, lost {changes['lost']:,}, growing {changes['growing']:,}")  # fmt: skip
    log(f"  second run for the same period: {again:.2f} s, same review: {same.pk == review.pk and not created}")
    log(f"  peak memory of this process (the worker's share): {peak:.0f} MB (target <= 500 MB: "
        f"{'met' if peak <= 500 else 'MISSED'})")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"review-{guests}.txt").write_text("\n".join(log.lines) + "\n")
    return 0 if total <= 60 and peak <= 500 and Review.objects.count() == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
