"""Follow-up rules and greeting selection at archive scale, on PostgreSQL.

    .venv/bin/python bench/followups.py                                   # 1,000,000 guests, 10,000,000 visits
    .venv/bin/python bench/followups.py --guests 100000 --visits 1000000 --database-url postgres://…/keshi_bench

Guests come from bench/seed.py (skipped when the count matches). This script then gives
them birthdays (solar and ~15 % lunar, some in leap months), anniversaries, consent to
greetings (~40 %) and recent creation for ~1 %, and fills the visits table in SQL
(generate_series, each visit with its host's tier) when its size differs from --visits,
then rebuilds the day totals of visits the reports read. It then times, with the
follow-up and greeting tables emptied first:
- the daily rules run (`followups.rules.rules_run`), each rule apart, twice: the first run
  of a day, and the idempotent re-run;
- the greeting selection (`followups.greetings.greetings_prepare`) over every guest;
and prints the peak memory of this process (the work is set-based SQL in PostgreSQL).
Targets: rules ≤ 60 s, greeting selection ≤ 10 s. Results also go to bench/results/.
"""

import argparse
import datetime
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lookup import Tee, configure, ensure_database  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/keshi_bench_1m"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guests", type=int, default=1_000_000)
    parser.add_argument("--visits", type=int, default=10_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def prepare_guests(cursor, log):
    started = time.perf_counter()
    cursor.execute("SELECT setseed(0.2026)")
    cursor.execute(
        """
        UPDATE guests_guest SET
            birth_month = 1 + floor(random() * 12)::int,
            birth_day = 1 + floor(random() * 28)::int,
            birthday_lunar = random() < 0.15,
            birthday_leap_month = false,
            anniversary = CASE WHEN random() < 0.2
                THEN DATE '1990-01-01' + floor(random() * 11000)::int END,
            greeting_consent = random() < 0.4
        WHERE anonymised_at IS NULL
        """
    )
    cursor.execute(
        "UPDATE guests_guest SET birthday_leap_month = true WHERE birthday_lunar AND birth_month = 6 AND id % 10 = 0"
    )
    cursor.execute("UPDATE guests_guest SET created_at = now() - (random() * interval '40 days') WHERE id % 100 = 0")
    # The updates left a dead copy of every row; a real archive's table is compact.
    cursor.execute("VACUUM FULL ANALYZE guests_guest")
    log(f"Birthdays, anniversaries, consent and new guests set in {time.perf_counter() - started:.1f} s.")


def seed_visits(cursor, *, guests: int, visits: int, log):
    from staff.models import Outlet

    outlets = [Outlet.objects.get_or_create(name=name)[0].pk for name in ("中餐厅", "宴会厅", "大堂吧")]
    started = time.perf_counter()
    cursor.execute("TRUNCATE visits_visit_companions, visits_complaintevent, visits_complaint, visits_visit CASCADE")
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'visits_visit' AND indexname NOT LIKE '%%pkey'"
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute(
        """
        INSERT INTO visits_visit (guest_id, outlet_id, visited_at, meal_period, party_size, dishes, drinks,
                                  spend, payment_method, notes, created_at, host_tier)
        SELECT s.*, g.tier FROM (
            SELECT 1 + floor(random() * %(guests)s)::int AS guest_id,
                   (%(outlets)s::int[])[1 + floor(random() * 3)::int],
                   now() - random() * interval '1095 days',
                   (ARRAY['breakfast','lunch','tea','dinner','late'])[1 + floor(random() * 5)::int],
                   1 + floor(random() * 12)::int, '烤鸭、清蒸石斑鱼', '茅台', round((100 + random() * 5000)::numeric, 2),
                   'mobile', '', now()
            FROM generate_series(1, %(visits)s)
        ) s JOIN guests_guest g ON g.id = s.guest_id
        """,
        {"guests": guests, "visits": visits, "outlets": outlets},
    )
    for _name, definition in indexes:
        cursor.execute(definition)
    cursor.execute(
        """
        UPDATE guests_guest g SET last_visit_at = v.last, last_seen_at = greatest(g.created_at, v.last)
        FROM (SELECT guest_id, max(visited_at) AS last FROM visits_visit GROUP BY guest_id) v
        WHERE v.guest_id = g.id
        """
    )
    cursor.execute("ANALYZE visits_visit")
    cursor.execute("ANALYZE guests_guest")
    log(f"{visits:,} visits seeded in {time.perf_counter() - started:.1f} s.")


def new_guests(cursor, log):
    """Recent guests whose visits fall where the thank-you and courtesy-call rules look."""
    cursor.execute(
        """
        WITH moved AS (
            UPDATE visits_visit v SET visited_at = now() - CASE WHEN v.guest_id % 200 = 0
                THEN interval '3 days' ELSE interval '10 days' END
            FROM guests_guest g
            WHERE g.id = v.guest_id AND g.id % 100 = 0
            RETURNING v.guest_id, v.visited_at
        )
        UPDATE guests_guest g SET created_at = m.at - interval '1 day', last_visit_at = m.at, last_seen_at = m.at
        FROM (SELECT guest_id, max(visited_at) AS at FROM moved GROUP BY guest_id) m WHERE g.id = m.guest_id
        """
    )
    log(f"{cursor.rowcount:,} new guests with a first visit 3 or 10 days ago.")


def timed(function, **kwargs):
    started = time.perf_counter()
    result = function(**kwargs)
    return result, time.perf_counter() - started


def main(argv=None) -> int:
    args = parse_args(argv)
    if "bench" not in urlsplit(args.database_url).path:
        sys.exit("Refusing to run: the database name must contain 'bench'.")
    log = Tee()
    configure(args.database_url)
    ensure_database(args.database_url, log)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import seed
    from followups import rules
    from followups.greetings import greetings_prepare
    from followups.models import FollowUp, Greeting, GreetingAttempt
    from guests.models import Guest
    from visits.models import Visit
    from visits.totals import visit_totals_rebuild

    call_command("migrate", interactive=False, verbosity=0)
    if Guest.objects.count() != args.guests:
        log(f"Seeding {args.guests:,} guests ...")
        seed.seed(connection=connection, count=args.guests, seed=args.seed, log=log)
    with connection.cursor() as cursor:
        if Guest.objects.filter(birth_month__isnull=False).count() < args.guests // 2:
            prepare_guests(cursor, log)
        else:
            log("Reusing the birthdays and consent already set.")
        if Visit.objects.count() != args.visits:
            seed_visits(cursor, guests=args.guests, visits=args.visits, log=log)
        else:
            log(f"Reusing the {args.visits:,} visits already there.")
        new_guests(cursor, log)
        cursor.execute("TRUNCATE followups_greetingattempt, followups_greeting, followups_followup")
    started = time.perf_counter()
    totals = visit_totals_rebuild()
    log(f"{totals:,} day totals of visits rebuilt in {time.perf_counter() - started:.1f} s.")

    settings = rules.RuleSettings.current()
    tracemalloc.start()
    log("")
    log(f"Follow-up rules over {Guest.objects.count():,} guests and {Visit.objects.count():,} visits (target <= 60 s)")
    totals = []
    for label in ("first run of the day", "second run (idempotent)"):
        total, lines = 0.0, []
        for kind, rule in rules.RULES.items():
            created, seconds = timed(rule, today=rules.timezone.localdate(), settings=settings)
            total += seconds
            lines.append(f"    {kind:<17} {created:>9,} follow-ups  {seconds:7.2f} s")
        totals.append(total)
        log(f"  {label}: {total:.1f} s {'met' if total <= 60 else 'MISSED'}")
        for line in lines:
            log(line)
    log(f"  follow-ups in the table: {FollowUp.objects.count():,}")
    spring_festival_eve = datetime.date(2027, 2, 3)  # 春节 falls on 2027-02-06
    created, seconds = timed(rules.rule_holidays, today=spring_festival_eve, settings=settings)
    log(f"  holiday rule on a day it fires ({spring_festival_eve}, Spring Festival within "
        f"{settings.holiday_lead_days} days): {created:,} follow-ups in {seconds:.2f} s")  # fmt: skip
    rules_peak = tracemalloc.get_traced_memory()[1] / 2**20
    log("")
    GreetingAttempt.objects.all().delete()
    Greeting.objects.all().delete()
    prepared, seconds = timed(greetings_prepare)
    again, seconds_again = timed(greetings_prepare)
    log(
        f"Greeting selection over {Guest.objects.count():,} guests (target <= 10 s): {prepared:,} greetings claimed "
        f"in {seconds:.2f} s {'met' if seconds <= 10 else 'MISSED'}; re-run {again} new in {seconds_again:.2f} s"
    )
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    log(f"Peak Python memory while the rules ran: {rules_peak:.1f} MB; with the greeting selection: {peak:.1f} MB "
        f"(the rows never come to Python). Process peak RSS, seeding included: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB.")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"followups-{args.guests}-{args.visits}.txt").write_text("\n".join(log.lines) + "\n")
    return 0 if max(totals) <= 60 and seconds <= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
