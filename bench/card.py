"""Cards and the register in Excel at archive scale, on PostgreSQL.

    .venv/bin/python bench/card.py                       # 100,000 guests, 20,000-row import, 3 runs each
    .venv/bin/python bench/card.py --guests 20000 --import-rows 5000 --repeat 5

Guests come from bench/seed.py into their own database (skipped when the count matches).
Each measurement runs in a child process of its own, so its peak RSS is its own; every
timing is taken --repeat times and the median is compared with the target:
1. register export of every guest (guests.cards.export.write_register: write-only mode,
   rows fetched in id chunks) against a bare openpyxl write-only workbook of the same
   cells (materialised beforehand, not timed: phone numbers as text cells, quoted text,
   money formatted, as the register writes them); the ratio to a write of the bare values
   (phone numbers as General cells) is printed too. Targets: ≤ 1.2× the bare write of the
   same cells, peak RSS ≤ 250 MB.
2. the bare parse of a 20,000-row register file with openpyxl read-only and with
   python-calamine; the faster is the baseline.
3. register import of that file end to end: guests.cards.importer.plan_import (safety
   scan, parse, match, compare, convert, validate) on the exported file, where every row is
   unchanged; then the full import (check, then write through the bulk guest services) of
   a copy whose rows are all new guests, and of a copy where every guest's taste changed,
   each rolled back afterwards. Target ≤ 1.5× the bare parse.
Results also go to bench/results/card-<guests>-<rows>.txt. Exit status 0 only if every target is met.
"""

import argparse
import io
import multiprocessing
import resource
import statistics
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
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing; the median counts")
    parser.add_argument("--only", choices=("export", "import"), help="measure one side only")
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


def bare_write(path, same_cells: bool):
    """openpyxl's write-only mode given the register's values, materialised first (not timed):
    as plain values, or as the same cells the register holds, where a phone number is a text
    cell, text that starts like a formula is quoted and money has its format (each value that
    needs it made a styled WriteOnlyCell, the way openpyxl's documentation does it)."""
    from decimal import Decimal

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from guests.cards.cells import FORMULA_START, PHONE_KINDS, put
    from guests.cards.export import register_fields, register_rows

    fields = register_fields(confidential=True)
    header = [field.label for field in fields]
    rows = list(register_rows(confidential=True))
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("Register")
    if same_cells:
        for row in rows:
            for i, (value, field) in enumerate(zip(row, fields, strict=True)):
                if (isinstance(value, str) and (field.kind in PHONE_KINDS or value.startswith(FORMULA_START))) or (
                    isinstance(value, Decimal)
                ):
                    row[i] = put(WriteOnlyCell(ws), value, kind=field.kind)
    started = time.perf_counter()
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


def safety_scan(data):
    from guests.cards.safety import inspect

    started = time.perf_counter()
    inspect(data)
    return None, time.perf_counter() - started


def plan_unchanged(data):
    from guests.cards.importer import plan_import

    started = time.perf_counter()
    plan = plan_import(data, actor=None)
    elapsed = time.perf_counter() - started
    kinds = {kind: plan.count(kind) for kind in ("unchanged", "update", "create")}
    return kinds, len(plan.problems), elapsed


def import_all(data):
    """Check and write every row through the services, then roll it all back."""
    from django.db import transaction

    from guests.cards.importer import plan_import
    from guests.cards.services import _apply
    from guests.models import CardTransfer

    started = time.perf_counter()
    plan = plan_import(data, actor=None)
    checked = time.perf_counter() - started
    with transaction.atomic():
        if not plan.problems:
            # The write marks its transfer done in the same transaction; it is rolled back with the rest.
            transfer = CardTransfer.objects.create(kind=CardTransfer.Kind.IMPORT, status=CardTransfer.Status.IMPORTING)
            _apply(plan, actor=None, reason="bench", transfer=transfer)
        transaction.set_rollback(True)
    kinds = {kind: plan.count(kind) for kind in ("unchanged", "update", "create")}
    return kinds, len(plan.problems), checked, time.perf_counter() - started


def edited_copy(rows: int, how: str) -> bytes:
    """The first `rows` guests as register rows, edited: "new" (no card number, an unused mobile: all
    new guests) or "taste" (every guest's taste changed)."""
    from guests.cards.export import register_fields, register_rows, write_register

    keys = [field.key for field in register_fields(confidential=True)]
    card, mobile, taste = keys.index("card_no"), keys.index("mobile"), keys.index("taste")

    def edited():
        for n, row in enumerate(register_rows(confidential=True, limit=rows)):
            if how == "new":
                row[card], row[mobile] = None, f"170{n:08d}"
            else:
                row[taste] = f"{row[taste] or ''}偏辣".strip()
            yield row

    out = io.BytesIO()
    write_register(out, confidential=True, rows=edited())
    return out.getvalue()


def repeated(times: int, function, *args):
    """function(*args) in a child `times` times: the results, and the largest peak RSS."""
    runs = [in_child(function, *args) for _ in range(times)]
    return [result for result, _rss in runs], max(rss for _result, rss in runs)


def _times(values) -> str:
    return f"{statistics.median(values):.2f} s (runs: {', '.join(f'{v:.2f}' for v in values)})"


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
    from guests.models import Guest

    call_command("migrate", interactive=False, verbosity=0)
    existing = Guest.objects.count()
    if existing != args.guests:
        log(f"Seeding {args.guests:,} guests (found {existing:,}) ...")
        seed.seed(connection=connection, count=args.guests, seed=args.seed, log=log)
        with connection.cursor() as cursor:  # hint bits and the visibility map set now, not in the first export
            cursor.execute(f"VACUUM (ANALYZE) {Guest._meta.db_table}")
    connections.close_all()
    tmp = RESULTS / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    ok = True

    if args.only != "import":
        ok &= measure_export(args, log, tmp)
    if args.only != "export":
        ok &= measure_import(args, log)
    for path in tmp.iterdir():
        path.unlink()
    tmp.rmdir()
    (RESULTS / f"card-{args.guests}-{args.import_rows}.txt").write_text("\n".join(log.lines) + "\n")
    return 0 if ok else 1


def measure_export(args, log, tmp) -> bool:
    from django.db import connection

    ok = True
    log(f"== Register export, {args.guests:,} guests (PostgreSQL {connection.settings_dict['NAME']}, "
        f"openpyxl {'with' if openpyxl_lxml() else 'without'} lxml), median of {args.repeat}")  # fmt: skip
    exports, export_rss, same, plain = [], 0.0, [], []
    for _ in range(args.repeat):  # alternated, so a busy moment on the machine slows all three alike
        (count, seconds), rss = in_child(export_register, tmp / "register.xlsx")
        exports, export_rss = exports + [seconds], max(export_rss, rss)
        same.append(in_child(bare_write, tmp / "bare.xlsx", True)[0][1])
        plain.append(in_child(bare_write, tmp / "bare.xlsx", False)[0][1])
    size = (tmp / "register.xlsx").stat().st_size / 2**20
    log(f"write_register                      {_times(exports)}  peak RSS {export_rss:.0f} MB  {count:,} rows, "
        f"{size:.1f} MB")  # fmt: skip
    log(f"bare write-only, the same cells     {_times(same)}  (materialised first)")
    log(f"bare write-only, plain values       {_times(plain)}  (phone numbers as General cells: not the same file)")
    log(f"  export / bare plain values: {statistics.median(exports) / statistics.median(plain):.2f}x")
    ok &= _target(log, "export / bare write of the same cells", statistics.median(exports) / statistics.median(same),
                  EXPORT_RATIO, "x")  # fmt: skip
    ok &= _target(log, "export peak RSS", export_rss, EXPORT_RSS_MB, " MB")
    return ok


def measure_import(args, log) -> bool:
    from django.db import connections

    from guests.cards.export import write_register

    ok = True
    log(f"== Register import, {args.import_rows:,} rows, median of {args.repeat}")
    out = io.BytesIO()
    write_register(out, confidential=True, limit=args.import_rows)
    same = out.getvalue()
    new, changed = edited_copy(args.import_rows, "new"), edited_copy(args.import_rows, "taste")
    connections.close_all()
    openpyxl_s, calamine_s, scans, plans, plan_rss = [], [], [], [], 0.0
    for _ in range(args.repeat):  # alternated, so a busy moment on the machine slows the parse and the import alike
        (rows_o, seconds), _rss = in_child(bare_parse_openpyxl, same)
        openpyxl_s.append(seconds)
        (rows_c, seconds), _rss = in_child(bare_parse_calamine, same)
        calamine_s.append(seconds)
        (_none, seconds), _rss = in_child(safety_scan, same)
        scans.append(seconds)
        (kinds, problems, seconds), rss = in_child(plan_unchanged, same)
        plans, plan_rss = plans + [seconds], max(plan_rss, rss)
    bare = min(statistics.median(openpyxl_s), statistics.median(calamine_s))
    faster = "calamine" if statistics.median(calamine_s) <= statistics.median(openpyxl_s) else "openpyxl"
    log(f"bare parse openpyxl read-only {_times(openpyxl_s)}  ({rows_o:,} rows incl. header)")
    log(f"bare parse python-calamine    {_times(calamine_s)}  ({rows_c:,} rows incl. header)")
    log(f"  {faster} is the faster safe reader, and the baseline: "
        f"openpyxl / calamine = {statistics.median(openpyxl_s) / statistics.median(calamine_s):.1f}x")  # fmt: skip
    log(f"safety scan alone (extent, formulas, XML declarations) {_times(scans)}")
    log(f"import of the exported file (all unchanged) {_times(plans)}  peak RSS {plan_rss:.0f} MB  {kinds} "
        f"problems={problems}")  # fmt: skip
    ok &= _target(log, "unchanged import / bare parse", statistics.median(plans) / bare, IMPORT_RATIO, "x")
    for label, data in (("new guests", new), ("changed guests (taste)", changed)):
        runs, rss = repeated(args.repeat, import_all, data)
        kinds, problems = runs[0][0], runs[0][1]
        checks, totals = [run[2] for run in runs], [run[3] for run in runs]
        written = max(kinds["create"] + kinds["update"], 1)
        log(f"import of {label}: check {_times(checks)}, check + write {_times(totals)} "
            f"({statistics.median(totals) / written * 1000:.2f} ms per guest)  peak RSS {rss:.0f} MB  {kinds} "
            f"problems={problems}")  # fmt: skip
        ok &= _target(log, f"{label} import / bare parse", statistics.median(totals) / bare, IMPORT_RATIO, "x")
    return ok


def openpyxl_lxml() -> bool:
    import openpyxl.xml

    return openpyxl.xml.LXML


def _target(log, what, value, target, unit) -> bool:
    met = value <= target
    log(f"  {what}: {value:.2f}{unit} (target ≤ {target}{unit}) {'met' if met else 'MISSED'}")
    return met


if __name__ == "__main__":
    sys.exit(main())
