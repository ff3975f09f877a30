"""Cards and the register in Excel at archive scale, on PostgreSQL.

    .venv/bin/python bench/card.py                       # 100,000 guests, 20,000-row import
    .venv/bin/python bench/card.py --guests 20000 --import-rows 5000

Guests come from bench/seed.py into their own database (skipped when the count matches).
Each measurement runs in a child process of its own, so its peak RSS is its own:
1. register export of every guest (guests.cards.export.write_register: write-only mode,
   rows fetched in id chunks) against a bare openpyxl write-only workbook of the same
   cell values (materialised beforehand, not timed). Targets: ≤ 1.2× the bare write,
   peak RSS ≤ 250 MB.
2. the bare parse of a 20,000-row register file with openpyxl read-only and with
   python-calamine; the faster is the baseline.
3. register import of that file end to end: guests.cards.importer.plan_import (safety
   scan, parse, convert, match, diff) on the exported file, where every row is unchanged,
   and the full import (check, then every row written through guest_create) of a copy
   whose rows are all new guests, rolled back afterwards. Target ≤ 1.5× the bare parse.
Results also go to bench/results/card-<guests>-<rows>.txt. Exit status 0 only if every target is met.
"""

import argparse
import io
import multiprocessing
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lookup import Tee, configure, ensure_database  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/keshi_bench_cards"
EXPORT_RATIO, EXPORT_RSS_MB, IMPORT_RATIO = 1.2, 250, 1.5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guests", type=int, default=100_000)
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def in_child(function, *args):
    """Run function(*args) in a forked child; returns (its result, its peak RSS in MB)."""
    parent, child = multiprocessing.Pipe()

    def target():
        from django.db import connections

        connections.close_all()  # the child opens its own connection
        result = function(*args)
        child.send((result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

    process = multiprocessing.get_context("fork").Process(target=target)
    process.start()
    result = parent.recv()
    process.join()
    return result


def export_register(path):
    from guests.cards.export import write_register

    started = time.perf_counter()
    count = write_register(path, confidential=True)
    return count, time.perf_counter() - started


def bare_write(path):
    from openpyxl import Workbook

    from guests.cards.export import register_fields, register_rows

    header = [field.label for field in register_fields(confidential=True)]
    rows = [[value for _field, value in row] for row in register_rows(confidential=True)]
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("Register")
    ws.append(header)
    for row in rows:
        ws.append(row)
    workbook.save(path)
    return len(rows), time.perf_counter() - started


def bare_parse_openpyxl(data):
    import openpyxl

    started = time.perf_counter()
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return rows, time.perf_counter() - started


def bare_parse_calamine(data):
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = len(workbook.get_sheet_by_index(0).to_python(skip_empty_area=False))
    return rows, time.perf_counter() - started


def plan_unchanged(data):
    from guests.cards.importer import plan_import

    started = time.perf_counter()
    plan = plan_import(data, actor=None)
    elapsed = time.perf_counter() - started
    kinds = {kind: plan.count(kind) for kind in ("unchanged", "update", "create")}
    return kinds, len(plan.problems), elapsed


def import_new(data):
    """Check and write every row as a new guest through the services, then roll it all back."""
    from django.db import transaction

    from guests.cards.importer import plan_import
    from guests.cards.services import _apply

    started = time.perf_counter()
    plan = plan_import(data, actor=None)
    checked = time.perf_counter() - started
    with transaction.atomic():
        created = _apply(plan, actor=None, reason="bench", transfer_id=0) if not plan.problems else []
        transaction.set_rollback(True)
    return len(created), len(plan.problems), checked, time.perf_counter() - started


def new_guest_copy(rows: int) -> bytes:
    """The first `rows` guests as register rows with no card number and an unused mobile: all new."""
    from guests.cards.export import register_fields, register_rows, write_register

    fields = register_fields(confidential=True)
    card, mobile = (
        fields.index(next(f for f in fields if f.key == "card_no")),
        fields.index(next(f for f in fields if f.key == "mobile")),
    )

    def edited():
        for n, row in enumerate(register_rows(confidential=True, limit=rows)):
            row = list(row)
            row[card] = (row[card][0], None)
            row[mobile] = (row[mobile][0], f"170{n:08d}")
            yield row

    out = io.BytesIO()
    write_register(out, confidential=True, rows=edited())
    return out.getvalue()


def main(argv=None) -> int:
    args = parse_args(argv)
    if "bench" not in urlsplit(args.database_url).path:
        sys.exit("Refusing to run: the database name must contain 'bench' (the seed truncates the guest archive).")
    log = Tee()
    configure(args.database_url)
    ensure_database(args.database_url, log)

    import django

    django.setup()
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    from django.core.management import call_command
    from django.db import connection, connections

    from bench import seed
    from guests.cards.export import write_register
    from guests.models import Guest

    call_command("migrate", interactive=False, verbosity=0)
    existing = Guest.objects.count()
    if existing != args.guests:
        log(f"Seeding {args.guests:,} guests (found {existing:,}) ...")
        seed.seed(connection=connection, count=args.guests, seed=args.seed, log=log)
    connections.close_all()
    tmp = RESULTS / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    ok = True

    log(f"== Register export, {args.guests:,} guests (PostgreSQL {connection.settings_dict['NAME']})")
    (count, export_s), export_rss = in_child(export_register, tmp / "register.xlsx")
    (_n, bare_s), bare_rss = in_child(bare_write, tmp / "bare.xlsx")
    size = (tmp / "register.xlsx").stat().st_size / 2**20
    ratio = export_s / bare_s
    log(f"write_register          {export_s:7.1f} s   peak RSS {export_rss:6.0f} MB   {count:,} rows, {size:.1f} MB")
    log(f"bare openpyxl write-only {bare_s:6.1f} s   peak RSS {bare_rss:6.0f} MB (rows held in memory first)")
    ok &= _target(log, "export / bare write", ratio, EXPORT_RATIO, "x")
    ok &= _target(log, "export peak RSS", export_rss, EXPORT_RSS_MB, " MB")

    log(f"== Register import, {args.import_rows:,} rows")
    out = io.BytesIO()
    write_register(out, confidential=True, limit=args.import_rows)
    same = out.getvalue()
    connections.close_all()
    (rows_o, openpyxl_s), _ = in_child(bare_parse_openpyxl, same)
    (rows_c, calamine_s), _ = in_child(bare_parse_calamine, same)
    bare = min(openpyxl_s, calamine_s)
    log(f"bare parse openpyxl read-only {openpyxl_s:6.2f} s  ({rows_o:,} rows incl. header)")
    log(f"bare parse python-calamine    {calamine_s:6.2f} s  ({rows_c:,} rows incl. header) "
        f"→ {'calamine' if calamine_s <= openpyxl_s else 'openpyxl'} is the baseline")  # fmt: skip
    (kinds, problems, plan_s), plan_rss = in_child(plan_unchanged, same)
    log(f"import of the exported file (all unchanged) {plan_s:6.2f} s  peak RSS {plan_rss:.0f} MB  {kinds} "
        f"problems={problems}")  # fmt: skip
    ok &= _target(log, "unchanged import / bare parse", plan_s / bare, IMPORT_RATIO, "x")
    new = new_guest_copy(args.import_rows)
    connections.close_all()
    (created, problems, check_s, total_s), new_rss = in_child(import_new, new)
    log(f"import of {created:,} new guests: check {check_s:.2f} s, check + write {total_s:.1f} s "
        f"({total_s / max(created, 1) * 1000:.2f} ms per guest)  peak RSS {new_rss:.0f} MB  problems={problems}")  # fmt: skip
    ok &= _target(log, "new-guest import / bare parse", total_s / bare, IMPORT_RATIO, "x")
    for path in tmp.iterdir():
        path.unlink()
    tmp.rmdir()
    (RESULTS / f"card-{args.guests}-{args.import_rows}.txt").write_text("\n".join(log.lines) + "\n")
    return 0 if ok else 1


def _target(log, what, value, target, unit) -> bool:
    met = value <= target
    log(f"  {what}: {value:.2f}{unit} (target ≤ {target}{unit}) {'met' if met else 'MISSED'}")
    return met


if __name__ == "__main__":
    sys.exit(main())
