"""Benchmark: `salesdesk import` of a 100,000-row workbook into a fresh database.

    python bench/import_workbook.py [--engine sqlite|postgres] [--invoices 20000] [--payments 80000]

Generates bench/out/import_<rows>.xlsx (openpyxl write-only): plants, users, customers,
projects, then the invoices and payments that make up most of the rows. Imports it into a
fresh database (`salesdesk migrate` first) in a subprocess, as a user would, and prints
rows, seconds and rows per second; then imports it again and prints the time of the
run that changes nothing. The ratio is against the 180-second target.
"""

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import time

from _setup import OUT, PG_ADMIN_URL, ROOT
from openpyxl import Workbook

from salesdesk.lib import uscc
from salesdesk.lib.spreadsheet import xlsx_append

TARGET_SECONDS = 180.0
PROJECTS_PER_CUSTOMER = 2
SALESPEOPLE = 20


def generate(path, invoices: int, payments: int) -> int:
    """Write the workbook; returns its number of data rows."""
    rng = random.Random(20261129)
    projects = max(1, invoices // 5)
    customers = max(1, projects // PROJECTS_PER_CUSTOMER)
    book = Workbook(write_only=True)
    rows = 0

    def sheet(name, header, records):
        nonlocal rows
        ws = book.create_sheet(name)
        xlsx_append(ws, header)
        for record in records:
            xlsx_append(ws, record)
            rows += 1

    sheet("plants", ["code", "name"], [[f"PL{i:02d}", f"{i}号搅拌站"] for i in range(1, 4)])
    sheet(
        "users",
        ["username", "name", "roles", "manager", "plant"],
        [["boss", "总经理", "manager", None, "PL01"]]
        + [[f"sales{i:02d}", f"业务员{i}", "sales", "boss", "PL01"] for i in range(SALESPEOPLE)],
    )
    codes = set()
    while len(codes) < customers:
        codes.add(uscc.generate(rng))
    sheet(
        "customers",
        ["code", "name", "credit_code", "owner", "region", "tier"],
        (
            [f"C{i:06d}", f"测试建设{i}有限公司", code, f"sales{i % SALESPEOPLE:02d}", "上海",
             ("strategic", "key", "general")[i % 3]]
            for i, code in enumerate(sorted(codes))
        ),
    )  # fmt: skip
    sheet(
        "projects",
        ["code", "customer", "name", "plant"],
        (
            [f"P{i:06d}", f"C{i // PROJECTS_PER_CUSTOMER:06d}", f"工程{i}", f"PL{i % 3 + 1:02d}"]
            for i in range(projects)
        ),
    )
    start = dt.date(2024, 1, 1)
    sheet(
        "invoices",
        ["number", "project", "date", "amount"],
        (
            [f"INV{i:07d}", f"P{i % projects:06d}", start + dt.timedelta(days=i % 700),
             round(rng.uniform(1000, 500000), 2)]
            for i in range(invoices)
        ),
    )  # fmt: skip
    sheet(
        "payments",
        ["reference", "project", "date", "amount", "method"],
        (
            [f"PAY{i:07d}", f"P{i % projects:06d}", start + dt.timedelta(days=i % 700),
             round(rng.uniform(100, 100000), 2), "bank" if i % 10 else "bill"]
            for i in range(payments)
        ),
    )  # fmt: skip
    book.save(path)
    return rows


def fresh_database(engine: str, name: str) -> str:
    if engine == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            (OUT / f"{name}.sqlite3{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{OUT / (name + '.sqlite3')}"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def salesdesk(url: str, *args: str) -> tuple[float, str]:
    """Run a salesdesk command; returns (seconds, its standard output)."""
    env = {**os.environ, "DATABASE_URL": url, "SALESDESK_HOME": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "salesdesk", *args], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"salesdesk {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--payments", type=int, default=80_000)
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"import_{args.invoices + args.payments}.xlsx"
    started = time.perf_counter()
    rows = generate(path, args.invoices, args.payments)
    print(f"workbook: {path.relative_to(ROOT)}, {rows:,} rows, "
          f"{path.stat().st_size / 1e6:.1f} MB, written in {time.perf_counter() - started:.1f} s")  # fmt: skip

    url = fresh_database(args.engine, "bench_import")
    salesdesk(url, "migrate", "--verbosity", "0")

    first, output = salesdesk(url, "import", str(path))
    print(output.strip())
    print(f"import ({args.engine}): {rows:,} rows in {first:.1f} s = {rows / first:,.0f} rows/s")
    again, output = salesdesk(url, "import", str(path))
    print(output.strip().splitlines()[-1])
    print(f"re-import (nothing changes): {again:.1f} s = {rows / again:,.0f} rows/s")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of an import process: {peak:.0f} MB")
    print(f"target {TARGET_SECONDS:.0f} s; ratio {first / TARGET_SECONDS:.2f}")


if __name__ == "__main__":
    main()
