"""Workbooks shared by the import tests: the base sheets, writers for .xlsx and CSV, and
a runner of `salesdesk import`."""

import copy
import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

from django.core.management import CommandError, call_command
from openpyxl import Workbook

from salesdesk.lib import uscc

_rng = random.Random(7)
CREDIT_CODES = [uscc.generate(_rng, "310115") for _ in range(5)]


# A small valid workbook: every sheet, a few rows, blank cells that take defaults.
BASE = {
    "plants": [["code", "name"], ["PL01", "一号搅拌站"], ["PL02", "二号搅拌站"]],
    "users": [
        ["username", "name", "roles", "manager", "plant", "email"],
        ["mgr", "王经理", "manager，sales", None, "PL01", "mgr@example.com"],
        ["s1", "李销售", "sales", "mgr", "PL01", None],
        ["s2", "赵销售", "sales", "mgr", "PL02", None],
    ],
    "customers": [
        ["code", "name", "credit_code", "owner", "tier", "credit_rating", "business_score"],
        ["C1", "华东建工有限公司", CREDIT_CODES[0], "s1", "strategic", "A", 80],
        ["C2", "江南路桥有限公司", CREDIT_CODES[1], "s2", "key", "b", None],
        ["C3", "北方市政有限公司", None, "s1", None, None, None],
    ],
    "contacts": [
        ["customer", "name", "title", "role", "decision_authority"],
        ["C1", "张伟", "总经理", "decision_maker", "是"],
        ["C1", "刘洋", "采购", "procurement", "no"],
    ],
    "projects": [
        ["code", "customer", "name", "plant", "owner", "payment_terms_days"],
        ["P1", "C1", "浦东商业综合体", "PL01", None, None],
        ["P2", "C2", "沿江高速三标段", None, "mgr", None],
        ["P3", "C3", "市政管网", "PL02", None, 45],
    ],
    "deliveries": [
        ["ticket", "project", "date", "product", "quantity", "unit_price", "plant"],
        ["T1", "P1", "2025-01-05", "C30 混凝土", "10.5", "420", None],
        ["T2", "P2", "2025-01-06", "C35 混凝土", "20", "450.50", "PL02"],
    ],
    "invoices": [
        ["number", "project", "date", "due_date", "amount"],
        ["INV-1", "P1", "2025-01-31", None, "4410.00"],
        ["INV-2", "P2", "2025-01-31", "2025-02-28", "9010"],
        ["INV-3", "P3", "2025-02-01", None, "1000"],
    ],
    "payments": [
        ["reference", "project", "date", "amount", "method"],
        ["PAY-1", "P1", "2025-02-15", "4410", None],
        ["PAY-2", "P2", "2025-03-01", "5000", "bill"],
    ],
    "expenses": [
        ["reference", "salesperson", "project", "date", "amount", "category"],
        ["EXP-1", "s1", "P1", "2025-01-10", "120.50", "差旅"],
        ["EXP-2", "s2", None, "2025-01-12", "80", None],
    ],
}


def base_sheets(*names: str) -> dict[str, list[list]]:
    """A deep copy of BASE, or of the named sheets of it."""
    sheets = copy.deepcopy(BASE)
    return {name: sheets[name] for name in names} if names else sheets


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def write_csvs(folder: Path, sheets: dict[str, list[list]], encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        buffer = io.StringIO()
        csv.writer(buffer).writerows(["" if v is None else v for v in row] for row in rows)
        (folder / f"{name}.csv").write_bytes(buffer.getvalue().encode(encoding))
    return folder


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line]

    @property
    def out_lines(self) -> list[str]:
        return [line for line in self.out.splitlines() if line]


def run_import(path, *args: str) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        err.write(f"{exc}\n")
        return Outcome(exc.returncode, out.getvalue(), err.getvalue())
    return Outcome(0, out.getvalue(), err.getvalue())
