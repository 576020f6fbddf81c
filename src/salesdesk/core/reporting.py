"""Machine-readable reports (FORMATS.md): one envelope, three output formats.

A report builder returns rows and totals whose values are already in their published
form (money as strings with two decimals, dates as ISO strings). This module wraps them
in the envelope and writes JSON, CSV or XLSX. The registry of reports by name is
`analytics.reports`, above every app that builds one.
"""

import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from salesdesk.lib import spreadsheet


class ReportError(ValueError):
    """The report cannot be produced as asked (unknown name, missing date)."""


@dataclass
class Report:
    name: str
    rows: list[dict]
    totals: dict
    as_of: dt.date | None = None
    month: str | None = None

    def envelope(self) -> dict:
        document = {"report": self.name}
        if self.month is not None:
            document["month"] = self.month
        if self.as_of is not None:
            document["as_of"] = self.as_of.isoformat()
        document["generated_at"] = timezone.now().isoformat(timespec="seconds")
        document["rows"] = self.rows
        document["totals"] = self.totals
        return document


def flatten(row: dict, prefix: str = "") -> dict:
    """{"buckets": {"1-30": "5.00"}} -> {"1-30": "5.00"}: nested objects become columns."""
    flat = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update(flatten(value, prefix))
        else:
            flat[prefix + key] = value
    return flat


def to_json(report: Report) -> str:
    return json.dumps(report.envelope(), ensure_ascii=False, indent=2)


def to_csv(report: Report) -> str:
    rows = [flatten(row) for row in report.rows]
    columns = list(rows[0]) if rows else []
    return spreadsheet.csv_text(columns, ([row.get(c) for c in columns] for row in rows))


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(report.name)
    rows = [flatten(row) for row in report.rows]
    columns = list(rows[0]) if rows else []
    spreadsheet.xlsx_append(sheet, columns)
    for row in rows:
        spreadsheet.xlsx_append(sheet, [_cell(row[column]) for column in columns])
    if rows and report.totals:
        totals = flatten(report.totals)
        spreadsheet.xlsx_append(
            sheet, [_cell(totals[column]) if column in totals else None for column in columns]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


MONEY_TEXT = re.compile(r"-?\d+\.\d{2}")


def _cell(value):
    """Money strings become numbers in a spreadsheet, so users can sum them."""
    if isinstance(value, str) and MONEY_TEXT.fullmatch(value):
        return Decimal(value)
    return value
