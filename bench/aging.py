"""Benchmark: the aging report over 1,000,000 invoices and 1,000,000 payments.

    python bench/aging.py --engine postgres|sqlite [--invoices 1000000 --payments 1000000
                          --projects 20000] [--as-of 2025-12-31] [--rebuild]

Builds (once; re-runs reuse it) a synthetic ledger of 20,000 projects over three years,
times `aging_report(as_of=...)` in process (median of 3 after a warm-up) and the CLI
(`salesdesk report aging --format json`) end to end once. The reference is one hand-written
DuckDB query over the same records exported to Parquet (only the query is timed); its
totals must equal ours to the cent. Targets: under 5 s on PostgreSQL, within 5x DuckDB.
"""

import argparse
import datetime as dt
import json
import statistics
import time
from decimal import Decimal

from _ledger_data import Sizes, drop, ensure, export_parquet
from _setup import OUT, database_url, django_setup, salesdesk, timed

TARGET_SECONDS = 5.0
TARGET_RATIO = 5.0
BUCKETS = ("not_due", "1-30", "31-60", "61-90", "91-180", "181-365", "365+")

# DOMAIN §5, as one query: a window SUM over each project's invoices in allocation order,
# the project's payments, and each invoice's settled part, then aging buckets per project.
DUCKDB_SQL = """
WITH
inv_rev AS (SELECT invoice_id FROM read_parquet('{dir}/invoice_reversals.parquet')
            WHERE date <= $as_of),
pay_rev AS (SELECT payment_id FROM read_parquet('{dir}/payment_reversals.parquet')
            WHERE date <= $as_of),
paid AS (
    SELECT project_id, SUM(amount) AS paid
    FROM read_parquet('{dir}/payments.parquet')
    WHERE date <= $as_of AND id NOT IN (SELECT payment_id FROM pay_rev)
    GROUP BY project_id
),
ordered AS (
    SELECT project_id, amount, $as_of - due_date AS days,
           SUM(amount) OVER (PARTITION BY project_id ORDER BY due_date, date, number
                             ROWS UNBOUNDED PRECEDING) AS running
    FROM read_parquet('{dir}/invoices.parquet')
    WHERE date <= $as_of AND id NOT IN (SELECT invoice_id FROM inv_rev)
),
inv AS (
    SELECT o.project_id, o.amount, o.days,
           o.amount - greatest(0, least(o.amount, coalesce(p.paid, 0) - (o.running - o.amount)))
               AS open
    FROM ordered o LEFT JOIN paid p ON p.project_id = o.project_id
),
per_project AS (
    SELECT project_id, SUM(amount) AS billed, SUM(open) AS outstanding,
           SUM(open) FILTER (WHERE days > 0) AS overdue,
           SUM(open) FILTER (WHERE days <= 0) AS b0,
           SUM(open) FILTER (WHERE days BETWEEN 1 AND 30) AS b1,
           SUM(open) FILTER (WHERE days BETWEEN 31 AND 60) AS b2,
           SUM(open) FILTER (WHERE days BETWEEN 61 AND 90) AS b3,
           SUM(open) FILTER (WHERE days BETWEEN 91 AND 180) AS b4,
           SUM(open) FILTER (WHERE days BETWEEN 181 AND 365) AS b5,
           SUM(open) FILTER (WHERE days > 365) AS b6
    FROM inv GROUP BY project_id
)
SELECT coalesce(pp.project_id, paid.project_id) AS project_id,
       coalesce(outstanding, 0), coalesce(overdue, 0),
       greatest(0, coalesce(paid.paid, 0) - coalesce(billed, 0)) AS credit,
       coalesce(b0, 0), coalesce(b1, 0), coalesce(b2, 0), coalesce(b3, 0), coalesce(b4, 0),
       coalesce(b5, 0), coalesce(b6, 0)
FROM per_project pp FULL OUTER JOIN paid ON paid.project_id = pp.project_id
"""


def database_name(sizes: Sizes) -> str:
    if (sizes.invoices, sizes.payments, sizes.projects) == (1_000_000, 1_000_000, 20_000):
        return "bench_aging_1m"
    return f"bench_aging_{sizes.invoices}_{sizes.payments}_{sizes.projects}"


def duckdb_reference(directory, as_of: dt.date, repeat: int = 3):
    """Per-project rows {project_id: (outstanding, overdue, credit, b0..b6)} and the median
    seconds of the query (after a warm-up)."""
    import duckdb

    con = duckdb.connect()
    sql = DUCKDB_SQL.format(dir=directory.as_posix())
    run = lambda: con.execute(sql, {"as_of": as_of}).fetchall()  # noqa: E731
    run()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - start)
    return {row[0]: tuple(Decimal(v) for v in row[1:]) for row in result}, statistics.median(
        samples
    )


def totals_of(per_project: dict) -> dict:
    """The aging report's totals from per-project figures: listed projects only (anything
    outstanding or credit)."""
    listed = [v for v in per_project.values() if v[0] > 0 or v[2] > 0]
    return {
        "rows": len(listed),
        "outstanding": sum((v[0] for v in listed), Decimal(0)),
        "overdue": sum((v[1] for v in listed), Decimal(0)),
        "credit": sum((v[2] for v in listed), Decimal(0)),
        "buckets": {
            name: sum((v[3 + n] for v in listed), Decimal(0)) for n, name in enumerate(BUCKETS)
        },
    }


def report_totals(report) -> dict:
    totals = report.totals
    return {
        "rows": len(report.rows),
        "outstanding": Decimal(totals["outstanding"]),
        "overdue": Decimal(totals["overdue"]),
        "credit": Decimal(totals["credit"]),
        "buckets": {name: Decimal(totals["buckets"][name]) for name in BUCKETS},
    }


def show(label: str, totals: dict) -> None:
    buckets = " ".join(f"{name}={value}" for name, value in totals["buckets"].items())
    print(
        f"  {label:<8} rows={totals['rows']} outstanding={totals['outstanding']} "
        f"overdue={totals['overdue']} credit={totals['credit']}\n  {'':<8} {buckets}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=4_000)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2025, 12, 31))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="drop the data set and load again")
    args = parser.parse_args()

    sizes = Sizes(args.invoices, args.payments, args.projects, min(args.customers, args.projects))
    name = database_name(sizes)
    url = database_url(args.engine, name)
    if args.rebuild:
        drop(args.engine, url)
        url = database_url(args.engine, name)
    salesdesk(url, "migrate", "--verbosity", "0")
    django_setup(url)

    from salesdesk.ledger.allocation import project_balances
    from salesdesk.ledger.models import Invoice, InvoiceReversal, Payment, PaymentReversal
    from salesdesk.ledger.reports import aging_report

    loaded = ensure(args.engine, url, sizes)
    parquet = OUT / f"{name}_{args.engine}_parquet"
    if loaded or not (parquet / "payment_reversals.parquet").exists():
        start = time.perf_counter()
        counts = export_parquet(args.engine, url, parquet)
        print(f"exported to {parquet} in {time.perf_counter() - start:.1f} s: {counts}")

    counts = (Invoice.objects.count(), Payment.objects.count(),
              InvoiceReversal.objects.count(), PaymentReversal.objects.count())  # fmt: skip
    as_of = args.as_of
    print(
        f"aging benchmark: {args.engine} ({name}), as of {as_of}: {counts[0]} invoices, "
        f"{counts[1]} payments, {counts[2]} + {counts[3]} reversals, {args.projects} projects"
    )

    report = aging_report(as_of=as_of)
    ours_ms, samples = timed(lambda: aging_report(as_of=as_of), args.repeat)
    sql_ms, _ = timed(lambda: project_balances(as_of), args.repeat)
    ours = ours_ms / 1000

    tuned = None
    if args.engine == "postgres":
        # What the server's settings cost: JIT compiles this big query for seconds before
        # running it, and the allocation sort spills to disk at the default work_mem (4MB).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
            cursor.execute("SET work_mem = '64MB'")
            tuned, _ = timed(lambda: aging_report(as_of=as_of), args.repeat)
            cursor.execute("RESET jit")
            cursor.execute("RESET work_mem")

    cli_json = OUT / "aging.json"
    start = time.perf_counter()
    salesdesk(url, "report", "aging", "--as-of", as_of.isoformat(), "--format", "json",
              "-o", str(cli_json))  # fmt: skip
    cli_seconds = time.perf_counter() - start
    cli_totals = json.loads(cli_json.read_text(encoding="utf-8"))["totals"]

    reference, duck = duckdb_reference(parquet, as_of, args.repeat)

    # Correctness: totals to the cent, and every project's figures.
    our_totals, duck_totals = report_totals(report), totals_of(reference)
    print("totals (ours = aging_report, duckdb = the reference query):")
    show("ours", our_totals)
    show("duckdb", duck_totals)
    balances = project_balances(as_of)
    mismatched = [
        pk
        for pk in set(balances) | set(reference)
        if pk not in balances
        or pk not in reference
        or (
            balances[pk].outstanding,
            balances[pk].overdue,
            balances[pk].credit,
            *balances[pk].buckets.values(),
        )
        != reference[pk]
    ]
    same = our_totals == duck_totals and cli_totals == report.totals and not mismatched
    print(
        f"totals equal to the cent: {'yes' if our_totals == duck_totals else 'NO'}; "
        f"projects differing: {len(mismatched)} of {len(balances)}; "
        f"CLI totals equal: {'yes' if cli_totals == report.totals else 'NO'}"
    )

    ratio = ours / duck
    print(f"rows listed: {len(report.rows)}")
    print(
        f"ours ({args.engine}) aging_report: {ours:.2f} s median of {args.repeat} "
        f"({', '.join(f'{s / 1000:.2f}' for s in samples)}); "
        f"of which the allocation query (project_balances): {sql_ms / 1000:.2f} s"
    )
    if tuned is not None:
        print(f"  with SET jit = off, work_mem = '64MB': {tuned / 1000:.2f} s median")
    print(f"CLI end to end (salesdesk report aging --format json): {cli_seconds:.2f} s")
    print(f"duckdb reference query: {duck:.3f} s median of {args.repeat}")
    print(f"ratio ours/duckdb: {ratio:.1f}x")
    if args.engine == "postgres":
        print(
            f"target under {TARGET_SECONDS:.0f} s on PostgreSQL: "
            f"{'met' if ours < TARGET_SECONDS else 'NOT met'}"
        )
    print(
        f"target within {TARGET_RATIO:.0f}x of DuckDB: "
        f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}"
    )
    if not same:
        raise SystemExit("results differ from the reference")


if __name__ == "__main__":
    main()
