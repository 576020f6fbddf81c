"""A synthetic receivables ledger for benchmarks: invoices and payments over many projects.

Deterministic (seeded): the same arguments give the same rows on both engines. Projects
behave as real ones do: most pay promptly, many pay late, some pay part, a few never pay
and a few pay in advance (unapplied credit). Records span three years (2023-2025); some
payments land after the end, a few invoices and payments are reversed.

Loading goes around Django for speed: COPY on PostgreSQL, executemany in one transaction
on SQLite. Customers and projects (thousands, not millions) go through the ORM.
"""

import bisect
import datetime as dt
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

START = dt.date(2023, 1, 1)
END = dt.date(2025, 12, 31)
LAST_PAYMENT = dt.date(2026, 6, 30)
POSTED_AT = "2026-01-01 00:00:00+00:00"
CUSTOMER_PREFIX = "BA"  # bench aging
PROJECT_PREFIX = "BAP"

# Behaviour: share of projects, fraction of what is billed they pay, payment lag after
# the due date (days), payments per invoice (weight of the payment count).
BEHAVIOURS = {
    "prompt": (0.45, (1.00, 1.00), (-10, 10), 1.2),
    "late": (0.32, (0.95, 1.00), (30, 240), 1.0),
    "partial": (0.13, (0.40, 0.80), (60, 400), 0.7),
    "never": (0.06, (0.0, 0.0), (0, 0), 0.0),
    "advance": (0.04, (1.03, 1.10), (-60, -20), 1.0),
}


@dataclass
class Sizes:
    invoices: int
    payments: int
    projects: int
    customers: int
    seed: int = 20260101


@dataclass
class Generated:
    invoice_reversals: list[tuple] = field(default_factory=list)  # (invoice_id, date)
    payment_reversals: list[tuple] = field(default_factory=list)  # (payment_id, date)


def _split(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to `weights` that add up to exactly `total`."""
    whole = sum(weights)
    if not whole:
        return [0] * len(weights)
    raw = [total * w / whole for w in weights]
    counts = [int(r) for r in raw]
    short = total - sum(counts)
    by_fraction = sorted(range(len(raw)), key=lambda n: raw[n] - counts[n], reverse=True)
    for n in by_fraction[:short]:
        counts[n] += 1
    return counts


@dataclass
class Plan:
    """Per project: id, terms, behaviour, active span, invoice and payment counts."""

    project_ids: list[int]
    terms: list[int]
    behaviour: list[str]
    spans: list[tuple[int, int]]
    invoice_counts: list[int]
    payment_counts: list[int]
    levels: list[int]  # typical invoice amount in cents


def plan(sizes: Sizes, project_ids: list[int], terms: list[int]) -> Plan:
    if sizes.invoices < len(project_ids):
        raise SystemExit("every project gets an invoice: --invoices must be ≥ --projects")
    rng = random.Random(sizes.seed)
    names = list(BEHAVIOURS)
    shares = [BEHAVIOURS[name][0] for name in names]
    behaviour = rng.choices(names, weights=shares, k=len(project_ids))
    total_days = (END - START).days
    spans, weights, levels = [], [], []
    for _ in project_ids:
        first = rng.randrange(0, total_days - 60)
        length = min(total_days - first, rng.randint(90, total_days))
        spans.append((first, first + length))
        weights.append(length * rng.lognormvariate(0, 0.6))
        levels.append(int(rng.lognormvariate(11.3, 0.8) * 100))  # ~80,000.00 typical
    invoice_counts = _split(sizes.invoices - len(project_ids), weights)
    invoice_counts = [n + 1 for n in invoice_counts]  # every project has an invoice
    payment_weights = [
        invoice_counts[n] * BEHAVIOURS[behaviour[n]][3] for n in range(len(project_ids))
    ]
    payment_counts = _split(sizes.payments, payment_weights)
    return Plan(project_ids, terms, behaviour, spans, invoice_counts, payment_counts, levels)


def _date(days: int) -> dt.date:
    return START + dt.timedelta(days=days)


def rows(sizes: Sizes, the_plan: Plan, generated: Generated) -> Iterator[tuple[str, tuple]]:
    """("invoice", (id, project_id, date, number, due_date, cents)) and
    ("payment", (id, project_id, date, reference, cents, method)) rows, project by project.
    Reversals are collected in `generated`."""
    rng = random.Random(sizes.seed + 1)
    invoice_id = payment_id = 0
    last_payment = (LAST_PAYMENT - START).days
    for n, project_id in enumerate(the_plan.project_ids):
        first, last = the_plan.spans[n]
        count = the_plan.invoice_counts[n]
        days = sorted(rng.randint(first, last) for _ in range(count))
        terms = the_plan.terms[n]
        level = the_plan.levels[n]
        running = 0
        cumulative, dues = [], []
        for seq, day in enumerate(days):
            invoice_id += 1
            cents = max(100, int(level * rng.uniform(0.3, 1.7)))
            due = day + terms
            running += cents
            cumulative.append(running)
            dues.append(due)
            yield "invoice", (invoice_id, project_id, _date(day), f"INV{project_id:06d}-{seq:05d}",
                              _date(due), cents)  # fmt: skip
            if rng.random() < 0.002:
                generated.invoice_reversals.append(
                    (invoice_id, _date(min(day + rng.randint(0, 60), last_payment)))
                )
        kind = the_plan.behaviour[n]
        _share, (low, high), (lag_low, lag_high), _weight = BEHAVIOURS[kind]
        k = the_plan.payment_counts[n]
        if not k:
            continue
        target = int(running * rng.uniform(low, high))
        paid = 0
        for seq in range(k):
            # Payment seq brings the total paid to (seq + 1) / k of the target, around the
            # due date of the invoice where the billed total reached that share.
            goal = target * (seq + 1) // k
            cents = max(1, goal - paid)
            paid += cents
            at = min(bisect.bisect_left(cumulative, goal * running // max(target, 1)), count - 1)
            day = max(0, min(dues[at] + rng.randint(lag_low, lag_high), last_payment))
            payment_id += 1
            method = "bill" if rng.random() < 0.2 else "bank"
            yield "payment", (payment_id, project_id, _date(day), f"PAY{project_id:06d}-{seq:05d}",
                              cents, method)  # fmt: skip
            if rng.random() < 0.003:
                generated.payment_reversals.append(
                    (payment_id, _date(min(day + rng.randint(1, 45), last_payment)))
                )


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# Loading ----------------------------------------------------------------------------------


def drop(engine: str, url: str) -> None:
    """Delete the benchmark database (--rebuild)."""
    if engine == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for name in (path.name, path.name + "-wal", path.name + "-shm"):
            (path.parent / name).unlink(missing_ok=True)
        return
    import psycopg
    from _setup import PG_ADMIN_URL

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ensure(engine: str, url: str, sizes: Sizes, log=print) -> bool:
    """Fill the benchmark database unless it already holds exactly this data set.
    Returns True when it loaded. Django must be set up on `url`."""
    from django.db import connection

    from salesdesk.customers.models import Project
    from salesdesk.ledger.models import Invoice, Payment

    have = (
        Invoice.objects.count(),
        Payment.objects.count(),
        Project.objects.filter(code__startswith=PROJECT_PREFIX).count(),
    )
    if have == (sizes.invoices, sizes.payments, sizes.projects):
        log(f"reusing {connection.settings_dict['NAME']}: {have[0]} invoices, {have[1]} payments")
        return False
    if any(have):
        raise SystemExit(
            f"{connection.settings_dict['NAME']} holds other data {have}; re-run with --rebuild"
        )
    started = time.perf_counter()
    project_ids, terms = _projects(sizes)
    log(f"created {len(project_ids)} projects in {time.perf_counter() - started:.1f} s")
    the_plan = plan(sizes, project_ids, terms)
    generated = Generated()
    started = time.perf_counter()
    if engine == "postgres":
        _load_postgres(url, rows(sizes, the_plan, generated), generated)
    else:
        connection.close()  # leaving WAL mode for the load needs the only connection
        _load_sqlite(connection.settings_dict["NAME"], rows(sizes, the_plan, generated), generated)
    log(
        f"loaded {sizes.invoices} invoices, {sizes.payments} payments, "
        f"{len(generated.invoice_reversals)} + {len(generated.payment_reversals)} reversals "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return True


def _projects(sizes: Sizes) -> tuple[list[int], list[int]]:
    from salesdesk.core.models import Plant, User
    from salesdesk.customers.models import Customer, Project

    rng = random.Random(sizes.seed + 2)
    plant, _ = Plant.objects.get_or_create(code="BENCH", defaults={"name": "基准搅拌站"})
    owner, created = User.objects.get_or_create(username="bench_owner", defaults={"name": "Bench"})
    if created:
        owner.set_unusable_password()
        owner.save()
    customers = Customer.objects.bulk_create(
        [
            Customer(
                code=f"{CUSTOMER_PREFIX}{n:05d}",
                name=f"基准建设{n}有限公司",
                owner=owner,
                status="active",
                region="北京",
                tier=rng.choice(["strategic", "key", "general"]),
            )
            for n in range(sizes.customers)
        ],
        batch_size=2000,
    )
    customer_ids = [c.pk for c in customers] if customers[0].pk else list(
        Customer.objects.filter(code__startswith=CUSTOMER_PREFIX).order_by("code")
        .values_list("pk", flat=True)
    )  # fmt: skip
    Project.objects.bulk_create(
        [
            Project(
                code=f"{PROJECT_PREFIX}{n:06d}",
                customer_id=customer_ids[n % len(customer_ids)],
                name=f"基准工程{n}",
                plant=plant,
                owner=owner,
                payment_terms_days=rng.choice([30, 30, 60, 90]),
            )
            for n in range(sizes.projects)
        ],
        batch_size=2000,
    )
    pairs = list(
        Project.objects.filter(code__startswith=PROJECT_PREFIX)
        .order_by("code")
        .values_list("pk", "payment_terms_days")
    )
    return [pk for pk, _terms in pairs], [terms for _pk, terms in pairs]


INVOICE_COLUMNS = "id, project_id, date, number, due_date, amount, posted_at, posted_by_id"
PAYMENT_COLUMNS = "id, project_id, date, reference, amount, method, posted_at, posted_by_id"
REVERSAL_REASON = "bench reversal"


def _load_postgres(url: str, source, generated: Generated) -> None:
    """COPY invoices and payments at once, over two connections (one COPY each)."""
    import psycopg

    with psycopg.connect(url) as for_invoices, psycopg.connect(url) as for_payments:
        with (
            for_invoices.cursor().copy(f"COPY ledger_invoice ({INVOICE_COLUMNS}) FROM STDIN")
            as invoices,
            for_payments.cursor().copy(f"COPY ledger_payment ({PAYMENT_COLUMNS}) FROM STDIN")
            as payments,
        ):  # fmt: skip
            chunks = {"invoice": [], "payment": []}
            copies = {"invoice": invoices, "payment": payments}
            for kind, row in source:
                if kind == "invoice":
                    i, project, date, number, due, cents = row
                    line = f"{i}\t{project}\t{date}\t{number}\t{due}\t{money(cents)}"
                else:
                    i, project, date, reference, cents, method = row
                    line = f"{i}\t{project}\t{date}\t{reference}\t{money(cents)}\t{method}"
                chunk = chunks[kind]
                chunk.append(f"{line}\t{POSTED_AT}\t\\N\n")
                if len(chunk) >= 50_000:
                    copies[kind].write("".join(chunk))
                    chunk.clear()
            for kind, chunk in chunks.items():
                copies[kind].write("".join(chunk))
        for_invoices.commit()
        for_payments.commit()

    with psycopg.connect(url) as conn:
        for table, column, reversals in (
            ("ledger_invoicereversal", "invoice_id", generated.invoice_reversals),
            ("ledger_paymentreversal", "payment_id", generated.payment_reversals),
        ):
            conn.cursor().executemany(
                f"INSERT INTO {table} ({column}, date, reason, created_at, reversed_by_id)"
                " VALUES (%s, %s, %s, %s, NULL)",
                [(pk, date, REVERSAL_REASON, POSTED_AT) for pk, date in reversals],
            )
        for table in ("ledger_invoice", "ledger_payment"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
        conn.autocommit = True
        for table in ("ledger_invoice", "ledger_payment", "ledger_invoicereversal",
                      "ledger_paymentreversal", "customers_project", "customers_customer"):  # fmt: skip
            conn.execute(f"VACUUM ANALYZE {table}")


def _load_sqlite(path: str, source, generated: Generated) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("BEGIN")
        invoices, payments = [], []
        invoice_sql = f"INSERT INTO ledger_invoice ({INVOICE_COLUMNS}) VALUES (?,?,?,?,?,?,?,NULL)"
        payment_sql = f"INSERT INTO ledger_payment ({PAYMENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,NULL)"
        posted_at = POSTED_AT.replace("+00:00", "")
        for kind, row in source:
            if kind == "invoice":
                i, project, date, number, due, cents = row
                invoices.append((i, project, date.isoformat(), number, due.isoformat(),
                                 money(cents), posted_at))  # fmt: skip
                if len(invoices) >= 100_000:
                    conn.executemany(invoice_sql, invoices)
                    invoices = []
            else:
                i, project, date, reference, cents, method = row
                payments.append((i, project, date.isoformat(), reference, money(cents), method,
                                 posted_at))  # fmt: skip
                if len(payments) >= 100_000:
                    conn.executemany(payment_sql, payments)
                    payments = []
        conn.executemany(invoice_sql, invoices)
        conn.executemany(payment_sql, payments)
        for table, column, reversals in (
            ("ledger_invoicereversal", "invoice_id", generated.invoice_reversals),
            ("ledger_paymentreversal", "payment_id", generated.payment_reversals),
        ):
            conn.executemany(
                f"INSERT INTO {table} ({column}, date, reason, created_at, reversed_by_id)"
                " VALUES (?, ?, ?, ?, NULL)",
                [(pk, date.isoformat(), REVERSAL_REASON, posted_at) for pk, date in reversals],
            )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


# Export for the DuckDB reference -----------------------------------------------------------

EXPORTS = {
    # name: (SELECT ... in both dialects, with {cents} for the amount in cents), arrow schema
    "invoices": "SELECT id, project_id, number, date, due_date, {cents} FROM ledger_invoice",
    "payments": "SELECT id, project_id, date, {cents} FROM ledger_payment",
    "invoice_reversals": "SELECT invoice_id, date FROM ledger_invoicereversal",
    "payment_reversals": "SELECT payment_id, date FROM ledger_paymentreversal",
}


def _schema(name: str):
    import pyarrow as pa

    money_type = pa.decimal128(18, 2)
    return {
        "invoices": pa.schema([("id", pa.int64()), ("project_id", pa.int64()),
                               ("number", pa.string()), ("date", pa.date32()),
                               ("due_date", pa.date32()), ("amount", money_type)]),
        "payments": pa.schema([("id", pa.int64()), ("project_id", pa.int64()),
                               ("date", pa.date32()), ("amount", money_type)]),
        "invoice_reversals": pa.schema([("invoice_id", pa.int64()), ("date", pa.date32())]),
        "payment_reversals": pa.schema([("payment_id", pa.int64()), ("date", pa.date32())]),
    }[name]  # fmt: skip


def export_parquet(engine: str, url: str, directory: Path, chunk: int = 200_000) -> dict[str, int]:
    """Write the ledger tables to Parquet, streaming in chunks. Returns rows per table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    if engine == "postgres":
        import psycopg

        conn = psycopg.connect(url)
        cents = "ROUND(amount * 100)::bigint"
    else:
        from django.db import connection

        conn = sqlite3.connect(connection.settings_dict["NAME"])
        cents = "CAST(ROUND(amount * 100) AS INTEGER)"
    try:
        for name, select in EXPORTS.items():
            schema = _schema(name)
            sql = select.format(cents=cents) + " ORDER BY 1"
            cursor = conn.cursor(name=f"export_{name}") if engine == "postgres" else conn.cursor()
            cursor.execute(sql)
            total = 0
            with pq.ParquetWriter(directory / f"{name}.parquet", schema) as writer:
                while batch := cursor.fetchmany(chunk):
                    columns = list(zip(*batch, strict=True))
                    arrays = []
                    for column, value in zip(schema, columns, strict=True):
                        if pa.types.is_decimal(column.type):
                            arrays.append(
                                pa.array([Decimal(c).scaleb(-2) for c in value], column.type)
                            )
                        elif pa.types.is_date(column.type) and isinstance(value[0], str):
                            arrays.append(pa.array(value, pa.string()).cast(column.type))
                        else:
                            arrays.append(pa.array(value, column.type))
                    writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
                    total += len(batch)
            cursor.close()
            counts[name] = total
    finally:
        conn.close()
    return counts
