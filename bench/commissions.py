"""Benchmark: one month's commission statements for every salesperson over 1,000,000
invoices and 1,000,000 payments (the aging benchmark's ledger).

    python bench/commissions.py --engine postgres|sqlite [--month 2025-11] [--salespeople 50]
                               [--invoices 1000000 --payments 1000000 --projects 20000]

Builds (once; re-runs reuse it) the synthetic ledger of bench/aging.py in a database of its
own (bench_comp_*), hands its projects to `--salespeople` salespeople, then times the
open computation of the month (`month_statements`, median of 3 after a warm-up) and its
finalisation (in a transaction rolled back, so every run finalises afresh), counts the
queries of each, and checks them against one DuckDB query over the same records exported
to Parquet: the month's slices, priced, summed (only the query is timed); lines and
earned must be equal to the cent. Targets: under 5 s on PostgreSQL, within 5x DuckDB,
queries independent of the number of salespeople.
"""

import argparse
import datetime as dt
import statistics
import time
from decimal import Decimal

from _ledger_data import PROJECT_PREFIX, Sizes, drop, ensure, export_parquet
from _setup import OUT, database_url, django_setup, salesdesk, timed

TARGET_SECONDS = 5.0
TARGET_RATIO = 5.0

# DOMAIN §7 as one query: each project's payments (date, id) and invoices (allocation
# order) as running sums in cents, their overlaps (the slices) dated in the month, priced
# with the default policy (no tasks in this data set, no legal cases): base rate by tier
# in tenths of a per cent plus the old-debt bonus; earned in cents, half up per slice.
DUCKDB_SQL = """
WITH
inv_rev AS (SELECT invoice_id FROM read_parquet('{dir}/invoice_reversals.parquet')
            WHERE date <= $last),
pay_rev AS (SELECT payment_id FROM read_parquet('{dir}/payment_reversals.parquet')
            WHERE date <= $last),
pays AS (
    SELECT id, project_id, date, CAST(amount * 100 AS BIGINT) AS cents,
           SUM(CAST(amount * 100 AS BIGINT)) OVER (PARTITION BY project_id ORDER BY date, id
                                                  ROWS UNBOUNDED PRECEDING) AS running
    FROM read_parquet('{dir}/payments.parquet')
    WHERE date <= $last AND id NOT IN (SELECT payment_id FROM pay_rev)
),
ordered AS (
    SELECT id, project_id, date, due_date, CAST(amount * 100 AS BIGINT) AS cents,
           SUM(CAST(amount * 100 AS BIGINT)) OVER (PARTITION BY project_id
               ORDER BY due_date, date, number ROWS UNBOUNDED PRECEDING) AS running
    FROM read_parquet('{dir}/invoices.parquet')
    WHERE date <= $last AND id NOT IN (SELECT invoice_id FROM inv_rev)
),
slices AS (
    SELECT py.project_id, greatest(py.date, o.date) AS day, o.due_date,
           least(py.running, o.running) - greatest(py.running - py.cents, o.running - o.cents)
               AS cents
    FROM pays py JOIN ordered o ON o.project_id = py.project_id
     AND o.running - o.cents < py.running AND py.running - py.cents < o.running
    WHERE greatest(py.date, o.date) BETWEEN $first AND $last
),
priced AS (
    SELECT s.cents,
           CASE t.tier WHEN 'strategic' THEN 15 WHEN 'key' THEN 20 ELSE 25 END
           + CASE WHEN s.day - s.due_date > 365 THEN 10
                  WHEN s.day - s.due_date > 181 THEN 5 ELSE 0 END AS tenths
    FROM slices s JOIN read_parquet('{dir}/tiers.parquet') t USING (project_id)
)
SELECT count(*), sum(cents), sum((cents * tenths + 500) // 1000) FROM priced
"""


def database_name(sizes: Sizes) -> str:
    if (sizes.invoices, sizes.payments, sizes.projects) == (1_000_000, 1_000_000, 20_000):
        return "bench_comp_1m"
    return f"bench_comp_{sizes.invoices}_{sizes.payments}_{sizes.projects}"


def spread_owners(count: int) -> None:
    """The bench projects handed round-robin to `count` salespeople (bench_sales_NN)."""
    from django.db import transaction

    from salesdesk.core.models import User, UserRole
    from salesdesk.customers.models import Project

    with transaction.atomic():
        people = []
        for n in range(count):
            user, created = User.objects.get_or_create(
                username=f"bench_sales_{n:03d}", defaults={"name": f"Bench {n}"}
            )
            if created:
                user.set_unusable_password()
                user.save()
            UserRole.objects.get_or_create(user=user, role="sales")
            people.append(user.pk)
        ids = list(
            Project.objects.filter(code__startswith=PROJECT_PREFIX)
            .order_by("code")
            .values_list("pk", flat=True)
        )
        for n, person in enumerate(people):
            Project.objects.filter(pk__in=ids[n::count]).update(owner_id=person)


def export_tiers(directory) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from salesdesk.customers.models import Project

    rows = list(Project.objects.values_list("pk", "customer__tier"))
    table = pa.table(
        {"project_id": [pk for pk, _t in rows], "tier": [tier or "general" for _pk, tier in rows]}
    )
    pq.write_table(table, directory / "tiers.parquet")


def duckdb_reference(directory, first: dt.date, last: dt.date, repeat: int = 3):
    import duckdb

    con = duckdb.connect()
    sql = DUCKDB_SQL.format(dir=directory.as_posix())
    run = lambda: con.execute(sql, {"first": first, "last": last}).fetchone()  # noqa: E731
    run()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - start)
    count, collected, earned = result
    return (
        (count, Decimal(int(collected or 0)).scaleb(-2), Decimal(int(earned or 0)).scaleb(-2)),
        statistics.median(samples),
    )


def counted(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = fn()
    return result, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=4_000)
    parser.add_argument("--salespeople", type=int, default=50)
    parser.add_argument("--month", default="2025-11")
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

    from django.db import transaction

    from salesdesk.collections.cycle import month_end
    from salesdesk.compensation.services import month_finalise
    from salesdesk.compensation.statements import month_statements
    from salesdesk.ledger.models import Invoice, Payment
    from salesdesk.lib.dates import parse_month

    loaded = ensure(args.engine, url, sizes)
    spread_owners(args.salespeople)
    parquet = OUT / f"{name}_{args.engine}_parquet"
    if loaded or not (parquet / "payment_reversals.parquet").exists():
        start = time.perf_counter()
        counts = export_parquet(args.engine, url, parquet)
        print(f"exported to {parquet} in {time.perf_counter() - start:.1f} s: {counts}")
    export_tiers(parquet)

    first = parse_month(args.month)
    last = month_end(first)
    print(
        f"commissions benchmark: {args.engine} ({name}), month {args.month}: "
        f"{Invoice.objects.count()} invoices, {Payment.objects.count()} payments, "
        f"{args.projects} projects, {args.salespeople} salespeople"
    )

    statements, queries = counted(lambda: month_statements(first))
    ours_ms, samples = timed(lambda: month_statements(first), args.repeat)
    lines = sum(len(s.lines) for s in statements.values())
    collected = sum((s.total("collected") for s in statements.values()), Decimal(0))
    earned = sum((s.total("earned") for s in statements.values()), Decimal(0))

    def finalise_rolled_back():
        with transaction.atomic():
            start = time.perf_counter()
            result, n = counted(
                lambda: month_finalise(actor=None, month=first, today=last + dt.timedelta(days=1))
            )
            seconds = time.perf_counter() - start
            transaction.set_rollback(True)
        return result, n, seconds

    finalised, finalise_queries, finalise_seconds = finalise_rolled_back()

    reference, duck = duckdb_reference(parquet, first, last, args.repeat)
    ours = (lines, collected, earned)
    same = ours == reference
    print(f"ours:   lines={lines} collected={collected} earned={earned}")
    print(f"duckdb: lines={reference[0]} collected={reference[1]} earned={reference[2]}")
    print(f"equal to the cent: {'yes' if same else 'NO'}")
    seconds = ours_ms / 1000
    print(
        f"open computation (month_statements): {seconds:.2f} s median of {args.repeat} "
        f"({', '.join(f'{s / 1000:.2f}' for s in samples)}), {queries} queries"
    )
    print(
        f"finalise (computation + storing {finalised.statements} statements, {lines} lines): "
        f"{finalise_seconds:.2f} s, {finalise_queries} queries"
    )
    print(f"duckdb reference query: {duck:.3f} s median of {args.repeat}")
    ratio = seconds / duck
    print(f"ratio ours/duckdb: {ratio:.1f}x")
    if args.engine == "postgres":
        print(
            f"target under {TARGET_SECONDS:.0f} s on PostgreSQL: "
            f"{'met' if seconds < TARGET_SECONDS else 'NOT met'}"
        )
    print(
        f"target within {TARGET_RATIO:.0f}x of DuckDB: "
        f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}"
    )
    if not same:
        raise SystemExit("results differ from the reference")


if __name__ == "__main__":
    main()
