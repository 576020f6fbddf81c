"""Benchmark: one daily collections cycle (`cycle_run`) on 1,000,000 invoices.

    python bench/cycle.py [--engine postgres] [--as-of 2025-11-30] [--repeat 3]
                          [--small-projects 5000] [--no-sqlite] [--no-analyze] [--explain]

Uses the synthetic ledger of bench/aging.py (bench/_ledger_data.py): 1,000,000 invoices
and 1,000,000 payments over 20,000 projects of 4,000 customers (database bench_aging_1m,
built once and reused), and a second data set of the same shape with a quarter of the
projects (5,000 projects, 250,000 invoices and payments; built once), to show that the
number of SQL statements does not depend on the number of projects.

Everything happens in one transaction that is rolled back at the end, so the databases
stay as they are and the benchmark can be repeated. First, cycles on seven earlier days
(`prep_days`) put the ledger in the state a daily cycle meets at a month end: letter
sequences under way, customers on hold, tasks drafted for this month, last month's
tasks waiting for assessment. Then the cycle for the month-end day is timed, median of
--repeat dry runs (a dry run does all the work and rolls its own savepoint back):
hold releases, letters, holds, legal recovery, next month's task drafts and last month's
assessment. Statements are counted with connection.execute_wrapper.

Before the timed runs the collections tables are ANALYZEd: the prep cycles inserted
their rows in this same transaction, and with statistics that say "empty" PostgreSQL
plans `last_letters` as a nested loop over every project x every letter (13 s instead of
0.5 s). A database that lives has statistics (autovacuum); --no-analyze shows the cost
of stale ones.

Target: under 10 s on PostgreSQL. Each data set runs in a process of its own (Django
binds one database per process). The SQLite copy of the 1M data set
(bench/out/bench_aging_1m.sqlite3, from `bench/aging.py --engine sqlite`) is timed too
when it exists; it is never built here.
"""

import argparse
import datetime as dt
import json
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from _ledger_data import Sizes, ensure
from _setup import OUT, database_url, django_setup, salesdesk
from aging import database_name

TARGET_SECONDS = 10.0
FULL = Sizes(1_000_000, 1_000_000, 20_000, 4_000)
WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
COLLECTIONS_TABLES = (
    "collections_dunningletter", "collections_supplyhold", "collections_collectiontask",
    "collections_legalcase", "collections_taskdraft", "customers_project",
)  # fmt: skip


def prep_days(as_of: dt.date) -> list[dt.date]:
    """Cycle days before `as_of` (a month end), so its run has every kind of work to do.
    112, 97 and 82 days before: three letters, so holds are placed on the 25th two
    months back (and may be released since); that 25th drafts last month's tasks, which
    wait for their assessment on `as_of` (no run in `as_of`'s month before it); 45 and 30
    days before and the 25th of last month: letter sequences under way, holds due on
    `as_of`, this month's tasks drafted, so `as_of` drafts next month's."""
    first = as_of.replace(day=1)
    last_month = (first - dt.timedelta(days=1)).replace(day=1)
    two_back = (last_month - dt.timedelta(days=1)).replace(day=1)
    days = {as_of - dt.timedelta(days=n) for n in (112, 97, 82, 45, 30)}
    days |= {two_back.replace(day=25), last_month.replace(day=25)}
    return sorted(d for d in days if d < first)


def summary(report) -> dict:
    return {
        "holds_released": len(report.holds_released),
        "letters": len(report.letters),
        "holds_placed": len(report.holds_placed),
        "legal_opened": len(report.legal_opened),
        "tasks_drafted": report.tasks_drafted[1] if report.tasks_drafted else 0,
        "tasks_assessed": sum(n for _month, n in report.tasks_assessed),
    }


def classify(statements: list[str]) -> dict:
    """Reads (SELECT, WITH ... SELECT, savepoints) and writes per table. Bulk writes go
    in batches of 2,000 rows: the only statements whose number grows with the rows."""
    writes = Counter()
    for sql in statements:
        match = WRITE.match(sql)
        if match:
            writes[f"{match.group(1).split()[0].upper()} {match.group(2)}"] += 1
    return {
        "total": len(statements),
        "reads": len(statements) - sum(writes.values()),
        "writes": dict(sorted(writes.items())),
    }


def analyze(engine: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if engine == "postgres":
            cursor.execute(f"ANALYZE {', '.join(COLLECTIONS_TABLES)}")
        else:
            for table in COLLECTIONS_TABLES:
                cursor.execute(f"ANALYZE {table}")


def explain(as_of: dt.date) -> None:
    """EXPLAIN ANALYZE of the statements of a cycle that take over 0.2 s (PostgreSQL)."""
    from django.db import connection

    from salesdesk.collections.cycle import cycle_run

    captured = []

    def record(run, sql, params, many, context):
        start = time.perf_counter()
        try:
            return run(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - start
            if seconds > 0.2 and not WRITE.match(sql):
                captured.append((seconds, sql, params))

    with connection.execute_wrapper(record):
        cycle_run(as_of=as_of, dry_run=True)
    with connection.cursor() as cursor:
        for seconds, sql, params in sorted(captured, key=lambda c: c[0], reverse=True):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
            print(f"\n-- {seconds:.2f} s: {' '.join(sql.split())[:120]}...", file=sys.stderr)
            print("\n".join(plan), file=sys.stderr)


def child(args) -> None:
    """One data set on one engine: prints one JSON line."""
    sizes = Sizes(args.invoices, args.payments, args.projects, args.customers)
    name = database_name(sizes)
    url = database_url(args.engine, name)
    salesdesk(url, "migrate", "--verbosity", "0")
    django_setup(url)

    from django.db import connection, transaction

    from salesdesk.collections.cycle import cycle_run
    from salesdesk.customers.models import Customer, Project
    from salesdesk.ledger.models import Invoice, Payment

    ensure(args.engine, url, sizes, log=lambda *a: print(*a, file=sys.stderr))
    result = {
        "engine": args.engine,
        "database": name,
        "customers": Customer.objects.count(),
        "projects": Project.objects.count(),
        "invoices": Invoice.objects.count(),
        "payments": Payment.objects.count(),
        "as_of": str(args.as_of),
    }
    with transaction.atomic():
        prep = []
        for day in prep_days(args.as_of):
            start = time.perf_counter()
            report = cycle_run(as_of=day)
            prep.append(
                {"day": str(day), "seconds": time.perf_counter() - start, **summary(report)}
            )
        result["prep"] = prep
        if not args.no_analyze:
            analyze(args.engine)
        samples, queries = [], None
        for _ in range(args.repeat):
            statements = []

            def record(run, sql, *rest, statements=statements):
                statements.append(sql)
                return run(sql, *rest)

            with connection.execute_wrapper(record):
                start = time.perf_counter()
                report = cycle_run(as_of=args.as_of, dry_run=True)
                samples.append(time.perf_counter() - start)
            queries = classify(statements)
        result.update(seconds=statistics.median(samples), samples=samples, queries=queries)
        result["did"] = summary(report)
        if args.explain and args.engine == "postgres":
            explain(args.as_of)
        transaction.set_rollback(True)
    print("RESULT " + json.dumps(result))


def run_child(args, engine: str, sizes: Sizes) -> dict:
    command = [
        sys.executable, __file__, "--child", "--engine", engine,
        "--invoices", str(sizes.invoices), "--payments", str(sizes.payments),
        "--projects", str(sizes.projects), "--customers", str(sizes.customers),
        "--as-of", args.as_of.isoformat(), "--repeat", str(args.repeat),
    ] + [f"--{flag}" for flag in ("explain", "no-analyze") if getattr(args, flag.replace("-", "_"))]  # fmt: skip
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
        print(line)
    raise SystemExit(f"the {engine} run of {database_name(sizes)} failed")


def show(result: dict) -> None:
    q = result["queries"]
    print(
        f"{result['engine']:<8} {result['database']:<30} {result['projects']:>8} "
        f"{result['invoices']:>9} {result['seconds']:>8.2f} {q['total']:>10} {q['reads']:>6}"
    )
    print(
        f"  runs {', '.join(f'{s:.2f}' for s in result['samples'])} s; the run did: "
        + ", ".join(f"{k} {v}" for k, v in result["did"].items())
    )
    print(f"  writes (statements per table): {q['writes']}")
    for step in result["prep"]:
        rest = ", ".join(f"{k} {v}" for k, v in step.items() if k not in ("day", "seconds"))
        print(f"  prep cycle {step['day']}: {step['seconds']:.2f} s ({rest})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2025, 11, 30))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--small-projects", type=int, default=5_000)
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite timing")
    parser.add_argument(
        "--no-analyze", action="store_true", help="time with the statistics left stale"
    )
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slow reads (to stderr)"
    )
    # One data set (the parent runs each in a child process).
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--invoices", type=int, default=FULL.invoices, help=argparse.SUPPRESS)
    parser.add_argument("--payments", type=int, default=FULL.payments, help=argparse.SUPPRESS)
    parser.add_argument("--projects", type=int, default=FULL.projects, help=argparse.SUPPRESS)
    parser.add_argument("--customers", type=int, default=FULL.customers, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    scale = args.small_projects / FULL.projects
    small = Sizes(
        int(FULL.invoices * scale), int(FULL.payments * scale), args.small_projects,
        int(FULL.customers * scale),
    )  # fmt: skip
    runs = [(args.engine, FULL), (args.engine, small)]
    sqlite_file = OUT / f"{database_name(FULL)}.sqlite3"
    if args.engine == "postgres" and not args.no_sqlite and Path(sqlite_file).exists():
        runs.append(("sqlite", FULL))
    days = prep_days(args.as_of)
    print(
        f"collections cycle benchmark: cycle_run(as_of={args.as_of}) after {len(days)} earlier "
        f"cycles ({', '.join(map(str, days))}); median of {args.repeat} dry runs; "
        f"statistics {'left stale' if args.no_analyze else 'refreshed'}; all rolled back"
    )
    results = [run_child(args, engine, sizes) for engine, sizes in runs]
    print(
        f"{'engine':<8} {'database':<30} {'projects':>8} {'invoices':>9} {'seconds':>8} "
        f"{'statements':>10} {'reads':>6}"
    )
    for result in results:
        show(result)
    same_engine = [r for r in results if r["engine"] == args.engine]
    reads = {r["queries"]["reads"] for r in same_engine}
    print(
        "reads (SELECT, WITH ... SELECT, savepoints): "
        + " vs ".join(f"{r['queries']['reads']} ({r['projects']} projects)" for r in same_engine)
        + (": the same" if len(reads) == 1 else ": DIFFERENT")
        + "; writes: one statement per table and step, plus one per 2,000 more rows"
    )
    full = same_engine[0]
    if args.engine == "postgres":
        print(
            f"target under {TARGET_SECONDS:.0f} s on PostgreSQL ({full['projects']} projects, "
            f"{full['invoices']} invoices): {full['seconds']:.2f} s, "
            f"{'met' if full['seconds'] < TARGET_SECONDS else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
