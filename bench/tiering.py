"""Benchmark: the tiering preview of 100,000 active customers with a year of invoices.

    python bench/tiering.py --engine postgres|sqlite [--customers 100000]
                            [--as-of 2025-12-31] [--repeat 3] [--rebuild]

Builds (once; re-runs reuse it) a database `bench_tiering_100k`: `salesdesk synth
--customers N --projects-per-customer 1`, every customer made active, current tiers drawn
2:3:5 (a tenth untiered, one in two hundred locked), then a few invoices per project over
the 15 months up to the as-of date (so the 12-month window cuts some off), some reversed,
loaded by COPY on PostgreSQL and executemany on SQLite.

Times, median of `--repeat` after a warm-up: `propose(tiering_rows(as_of), policy)` (the
preview, split into its query and its Python part), `tiers_report(as_of=...)`, and the
preview page `/customers/tiering/` (manager1, page 1, SQL queries counted). Target: the
preview under 5 s on PostgreSQL.
"""

import argparse
import datetime as dt
import os
import random
import sqlite3
import statistics
import time

from _ledger_data import INVOICE_COLUMNS, POSTED_AT, money
from _setup import database_url, django_setup, salesdesk

TARGET_SECONDS = 5.0
INVOICE_PREFIX = "BTI"  # bench tiering invoice
SEED = 20251231
WINDOW_DAYS = 456  # about 15 months: the oldest quarter falls outside the 12-month window
LOCK_REASON = "bench lock"


def database_name(customers: int) -> str:
    return "bench_tiering_100k" if customers == 100_000 else f"bench_tiering_{customers}"


def seconds(fn, repeat: int) -> tuple[float, list[float], float]:
    """Median and all wall-clock timings in seconds, after one warm-up call, and the
    median CPU time of this process (without the database server's): on a busy machine
    the wall clock measures the neighbours too."""
    fn()
    samples, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(samples), samples, statistics.median(cpu)


# Data --------------------------------------------------------------------------------------


def invoice_rows(projects: list[tuple[int, int]], as_of: dt.date):
    """(project_id, date, number, due_date, amount) for a few invoices per project: most
    projects bill 1-8 times, a tenth not at all; amounts vary by a project's size."""
    rng = random.Random(SEED)
    for project_id, terms in projects:
        if rng.random() < 0.1:
            continue
        level = int(rng.lognormvariate(11.0, 1.0) * 100)  # cents; ~60,000.00 typical
        for seq in range(rng.randint(1, 8)):
            day = as_of - dt.timedelta(days=rng.randrange(WINDOW_DAYS))
            cents = max(100, int(level * rng.uniform(0.3, 1.7)))
            yield (
                project_id, day, f"{INVOICE_PREFIX}{project_id:08d}-{seq}",
                day + dt.timedelta(days=terms), cents,
            )  # fmt: skip


def load_invoices(engine: str, url: str, rows) -> int:
    count = 0
    if engine == "postgres":
        import psycopg

        columns = INVOICE_COLUMNS.removeprefix("id, ")
        with psycopg.connect(url) as conn:
            with conn.cursor().copy(f"COPY ledger_invoice ({columns}) FROM STDIN") as copy:
                chunk = []
                for project, day, number, due, cents in rows:
                    chunk.append(f"{project}\t{day}\t{number}\t{due}\t{money(cents)}\t{POSTED_AT}\t\\N\n")  # fmt: skip
                    count += 1
                    if len(chunk) >= 50_000:
                        copy.write("".join(chunk))
                        chunk.clear()
                copy.write("".join(chunk))
            conn.commit()
        return count
    from django.db import connection

    connection.close()
    conn = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        conn.execute("BEGIN")
        sql = "INSERT INTO ledger_invoice (project_id, date, number, due_date, amount, posted_at, posted_by_id) VALUES (?,?,?,?,?,?,NULL)"  # fmt: skip
        posted_at = POSTED_AT.replace("+00:00", "")
        batch = []
        for project, day, number, due, cents in rows:
            batch.append((project, day.isoformat(), number, due.isoformat(), money(cents), posted_at))  # fmt: skip
            count += 1
            if len(batch) >= 100_000:
                conn.executemany(sql, batch)
                batch = []
        conn.executemany(sql, batch)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return count


def ensure(engine: str, url: str, customers: int, as_of: dt.date) -> None:
    """Fill the benchmark database unless it already holds the data set."""
    from django.db import connection, transaction

    from salesdesk.customers.models import Customer, Project
    from salesdesk.ledger.models import Invoice, InvoiceReversal

    have = Customer.objects.count()
    if have < customers:
        started = time.perf_counter()
        salesdesk(
            url, "synth", "--customers", str(customers - have), "--projects-per-customer", "1"
        )
        print(f"synth: {customers - have} customers in {time.perf_counter() - started:.1f} s")
    if Invoice.objects.filter(number__startswith=INVOICE_PREFIX).exists():
        print(f"reusing {connection.settings_dict['NAME']}")
        return

    started = time.perf_counter()
    rng = random.Random(SEED + 1)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    tiers = rng.choices(["strategic", "key", "general", ""], weights=[18, 27, 45, 10], k=len(ids))
    by_tier: dict[str, list[int]] = {}
    locked = []
    for pk, tier in zip(ids, tiers, strict=True):
        by_tier.setdefault(tier, []).append(pk)
        if tier and rng.random() < 0.005:
            locked.append(pk)
    with transaction.atomic():
        Customer.objects.update(status="active", tier="", tier_locked=False, tier_lock_reason="")
        for tier, pks in by_tier.items():
            for start in range(0, len(pks), 5000):
                Customer.objects.filter(pk__in=pks[start : start + 5000]).update(tier=tier)
        Customer.objects.filter(pk__in=locked).update(
            tier_locked=True, tier_lock_reason=LOCK_REASON
        )
    print(
        f"made {len(ids)} customers active with current tiers ({len(locked)} locked) "
        f"in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    projects = list(Project.objects.order_by("pk").values_list("pk", "payment_terms_days"))
    count = load_invoices(engine, url, invoice_rows(projects, as_of))
    # A few invoices reversed, some before the as-of date (they drop out), some after.
    with transaction.atomic(), connection.cursor() as cursor:
        reversed_on = (as_of - dt.timedelta(days=30), as_of + dt.timedelta(days=30))
        for n, day in enumerate(reversed_on):
            cursor.execute(
                "INSERT INTO ledger_invoicereversal (invoice_id, date, reason, created_at, "
                "reversed_by_id) SELECT id, %s, 'bench reversal', %s, NULL FROM ledger_invoice "
                "WHERE number LIKE %s AND id %% 500 = %s",
                [day, POSTED_AT, f"{INVOICE_PREFIX}%", n],
            )
    if engine == "postgres":
        connection.close()
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            for table in ("ledger_invoice", "ledger_invoicereversal", "customers_project",
                          "customers_customer"):  # fmt: skip
                conn.execute(f"VACUUM ANALYZE {table}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"loaded {count} invoices for {len(projects)} projects "
        f"({InvoiceReversal.objects.count()} reversed) in {time.perf_counter() - started:.1f} s"
    )


# Timing ------------------------------------------------------------------------------------


def count_queries(fn) -> int:
    from django.db import connection

    executed = []

    def record(run, sql, *rest):
        executed.append(sql)
        return run(sql, *rest)

    with connection.execute_wrapper(record):
        fn()
    return len(executed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2025, 12, 31))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="drop the data set and load again")
    args = parser.parse_args()

    name = database_name(args.customers)
    url = database_url(args.engine, name)
    if args.rebuild:
        from _ledger_data import drop

        drop(args.engine, url)
        url = database_url(args.engine, name)
    salesdesk(url, "migrate", "--verbosity", "0")
    django_setup(url)
    ensure(args.engine, url, args.customers, args.as_of)

    from django.test import Client

    from salesdesk.core.models import User
    from salesdesk.core.policy import policy_as_of
    from salesdesk.tiering.ranking import propose, quotas
    from salesdesk.tiering.reports import tiers_report
    from salesdesk.tiering.selectors import tiering_rows

    as_of = args.as_of
    policy = policy_as_of(as_of)
    rows = tiering_rows(as_of)
    proposals = propose(rows, policy)
    changes = sum(1 for p in proposals if p.changes)
    invoiced = sum(1 for r in rows if r.invoiced)
    load = os.getloadavg()[0]
    print(
        f"tiering benchmark: {args.engine}, {os.cpu_count()} CPUs, load {load:.1f}; "
        f"{len(rows)} active customers ({invoiced} invoiced in "
        f"the 12 months to {as_of}), places {list(quotas(len(rows), policy).values())}, "
        f"{sum(r.locked for r in rows)} locked, {changes} changes; median of {args.repeat}"
    )

    page_client = Client()
    page_client.force_login(
        User.objects.get(username="manager1"), backend="django.contrib.auth.backends.ModelBackend"
    )
    page_url = f"/customers/tiering/?as_of={as_of}&show=changes"

    def page():
        response = page_client.get(page_url)
        assert response.status_code == 200, response.status_code

    timings = [
        ("tiering_rows (the query)", lambda: tiering_rows(as_of), True),
        ("propose (Python)", lambda: propose(rows, policy), False),
        ("preview: propose(tiering_rows)", lambda: propose(tiering_rows(as_of), policy), True),
        ("tiers_report", lambda: tiers_report(as_of=as_of), True),
        ("page /customers/tiering/", page, True),
    ]
    print(f"{'what':<32} {'median s':>9} {'samples':>18} {'cpu s':>6} {'ratio to 5 s':>13}")
    results = {}
    for label, fn, against_target in timings:
        median, samples, cpu = seconds(fn, args.repeat)
        results[label] = median
        ratio = f"{median / TARGET_SECONDS:>13.2f}" if against_target else f"{'':>13}"
        shown = " ".join(f"{s:.2f}" for s in samples)
        print(f"{label:<32} {median:>9.2f} {shown:>18} {cpu:>6.2f} {ratio}")
    print(f"page queries: {count_queries(page)}")
    preview = results["preview: propose(tiering_rows)"]
    print(
        f"preview {preview:.2f} s; target {TARGET_SECONDS:.0f} s; "
        f"ratio {preview / TARGET_SECONDS:.2f}"
    )


if __name__ == "__main__":
    main()
