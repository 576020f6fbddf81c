"""One import: read the sheets in load order, parse each row, apply rows in batches,
collect every problem, and keep the result only if there was none (all or nothing).

Everything happens in one transaction, in one pass. Rows are written as they are
validated, so a later sheet can refer to rows written earlier in the same import; at the
end the transaction is rolled back if anything was wrong, or if it was a dry run.
"""

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import reset_queries, transaction
from django.utils import translation
from openpyxl.utils import get_column_letter

from salesdesk.core.models import User
from salesdesk.core.services import audit_record
from salesdesk.imports import ledger_rows
from salesdesk.imports.models import ImportRun
from salesdesk.imports.parsers import CellError
from salesdesk.imports.readers import Cell, ReaderError, Sheet
from salesdesk.imports.sheets import LATER_SHEETS, SHEETS, SHEETS_BY_NAME
from salesdesk.imports.spec import Column, Problem, Row, Run, SheetRun, SheetSpec

# Rows per batch: big enough that the per-batch queries are few, small enough that a
# batch's records and lookups stay a few megabytes.
BATCH_SIZE = 2000

OUTCOMES = ("created", "updated", "unchanged")


@dataclass
class ImportResult:
    problems: list[Problem]
    warnings: list[Problem]
    counts: dict[str, dict[str, int]]  # {sheet: {created, updated, unchanged}}, load order
    dry_run: bool
    seconds: float = 0.0
    import_run: ImportRun | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def total(self, outcome: str) -> int:
        return sum(counts[outcome] for counts in self.counts.values())

    @property
    def rows(self) -> int:
        return sum(self.total(outcome) for outcome in OUTCOMES)

    @property
    def changed(self) -> bool:
        return self.total("created") + self.total("updated") > 0

    def summary_lines(self) -> list[str]:
        return [
            f"{sheet}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
            for sheet, c in self.counts.items()
        ]

    def outcome_line(self) -> str:
        created, updated, unchanged = (self.total(outcome) for outcome in OUTCOMES)
        if self.problems:
            count = len(self.problems)
            return f"import failed: {count} error{'' if count == 1 else 's'}; nothing was written"
        if self.dry_run:
            return (
                f"dry run: no errors in {self.rows} rows ({created} to create, {updated} to "
                f"update, {unchanged} unchanged); nothing was written"
            )
        if not self.changed:
            return f"nothing changed: {unchanged} rows already up to date"
        return (
            f"imported {self.rows} rows: {created} created, {updated} updated, "
            f"{unchanged} unchanged"
        )


def import_workbook(
    workbook,
    *,
    today: dt.date,
    actor: User | None = None,
    dry_run: bool = False,
    source: str = "",
    progress=None,
) -> ImportResult:
    """Import an opened workbook (see readers.open_workbook). Writes only when the whole
    workbook is valid and it is not a dry run; returns every problem found. `today` is the
    day of the import: no money record may be dated after it, and the order gate's report
    on the deliveries is as of it."""
    started = time.monotonic()
    run = Run(actor=actor, today=today)
    counts: dict[str, dict[str, int]] = {}
    # Messages (ours and the services') are English whatever the user's language: the
    # error lines are a public format that scripts read.
    with translation.override("en"), transaction.atomic():
        sheets = _match_sheets(workbook.sheets, run)
        for spec in SHEETS:
            if spec.name in sheets:
                counts[spec.name] = dict(_load_sheet(run, spec, sheets[spec.name], progress))
        if not run.problems:
            ledger_rows.report_gate_refusals(run)
        result = ImportResult(run.problems, run.warnings, counts, dry_run)
        result.seconds = time.monotonic() - started
        if run.problems or dry_run:
            transaction.set_rollback(True)
        elif result.changed:
            result.import_run = _record(result, actor, source)
    return result


def _match_sheets(sheets: list[Sheet], run: Run) -> dict[str, Sheet]:
    """The workbook's sheets by spec name; reports unknown and repeated sheets."""
    found: dict[str, Sheet] = {}
    for sheet in sheets:
        name = sheet.key
        if name in SHEETS_BY_NAME:
            if name in found:
                run.problems.append(Problem("the sheet appears twice", sheet.name))
            else:
                found[name] = sheet
        elif name in LATER_SHEETS:
            run.warnings.append(Problem("skipped (not supported by this version)", name))
        elif not _is_empty(sheet):
            # An empty "Sheet1" left by Excel is harmless; a sheet with data is a mistake.
            known = ", ".join(SHEETS_BY_NAME)
            run.problems.append(Problem(f"unknown sheet (the sheets are: {known})", sheet.name))
    return found


def _is_empty(sheet: Sheet) -> bool:
    try:
        return next(iter(sheet.rows()), None) is None
    except ReaderError:
        return False


def _load_sheet(run: Run, spec: SheetSpec, sheet: Sheet, progress) -> dict:
    sheet_run = SheetRun(spec, run)
    if not spec.allows(run.actor):
        roles = " or ".join(spec.roles)
        run.problems.append(
            Problem(
                f"user {run.actor.username} may not import this sheet (needs {roles})", spec.name
            )
        )
        run.failed_sheets.add(spec.name)
        return sheet_run.counts
    done, total = 0, None
    try:
        total = sheet.estimated_rows()
        rows = sheet.rows()
        header = next(rows, None)
        if header is None:
            return sheet_run.counts  # an empty sheet
        layout = Layout.from_header(sheet_run, *header)
        if layout is None:
            run.failed_sheets.add(spec.name)
            return sheet_run.counts
        total = total - header[0] if total else None
        batch: list[Row] = []
        for number, cells in rows:
            done += 1
            row = layout.parse(sheet_run, number, cells)
            if row is not None:
                batch.append(row)
            if len(batch) >= BATCH_SIZE:
                spec.apply(sheet_run, batch)
                batch = []
                # With DEBUG on, Django keeps the SQL of the last 9,000 queries; bulk
                # inserts would make that hundreds of megabytes over a long import.
                reset_queries()
            if progress:
                progress.update(spec.name, done, total)
        if batch:
            spec.apply(sheet_run, batch)
    except ReaderError as exc:
        run.problems.append(Problem(str(exc), spec.name))
        run.failed_sheets.add(spec.name)
    if progress:
        progress.update(spec.name, done, total, final=True)
    return sheet_run.counts


class Layout:
    """Which column each cell position of a sheet holds, read from its header row."""

    def __init__(self, spec: SheetSpec, columns: dict[int, Column], unknown: set[int]):
        self.spec = spec
        self.columns = columns
        self.unknown = unknown  # positions of unknown columns, reported once in the header
        names = {column.name: index for index, column in columns.items()}
        self.key_positions = [names[name] for name in spec.key]
        self.nameless_reported: set[int] = set()

    @classmethod
    def from_header(cls, sheet: SheetRun, number: int, cells: list[Cell]) -> "Layout | None":
        """The layout, or None (with the problems reported) when a required column is missing."""
        spec, problems = sheet.spec, sheet.run.problems
        columns: dict[int, Column] = {}
        unknown: set[int] = set()
        for index, cell in enumerate(cells):
            # "Code*" copied from the documentation means "code".
            name = str(cell).lower().rstrip("*").strip()
            if not name:
                continue
            column = spec.column(name)
            if column is None:
                known = ", ".join(c.name for c in spec.columns)
                problems.append(
                    Problem(
                        f"unknown column (the columns are: {known})", spec.name, number, str(cell)
                    )
                )
                unknown.add(index)
            elif column in columns.values():
                problems.append(Problem("the column appears twice", spec.name, number, name))
                unknown.add(index)
            else:
                columns[index] = column
        present = {column.name for column in columns.values()}
        missing = [c.name for c in spec.columns if c.required and c.name not in present]
        for name in missing:
            problems.append(Problem("required column is missing", spec.name, number, name))
        return None if missing else cls(spec, columns, unknown)

    def parse(self, sheet: SheetRun, number: int, cells: list[Cell]) -> Row | None:
        """The row's stated values, typed; None (with errors reported) if any is invalid."""
        key = tuple(str(cells[i]) if i < len(cells) else "" for i in self.key_positions)
        row = Row(number, {}, key[0] if len(key) == 1 else key)
        for index, column in self.columns.items():
            cell = cells[index] if index < len(cells) else ""
            if cell == "":
                if column.required:
                    sheet.error(row, column.name, "a value is required")
                continue
            try:
                row.values[column.name] = column.parse(cell)
            except CellError as exc:
                sheet.error(row, column.name, str(exc))
        self._check_nameless(sheet, number, cells)
        return None if row.failed else row

    def _check_nameless(self, sheet: SheetRun, number: int, cells: list[Cell]) -> None:
        # A value under a blank header would be silently lost; say so, once per column.
        for index, cell in enumerate(cells):
            if (
                cell != ""
                and index not in self.columns
                and index not in self.unknown
                and index not in self.nameless_reported
            ):
                self.nameless_reported.add(index)
                sheet.run.problems.append(
                    Problem(
                        "a value in a column without a name",
                        self.spec.name,
                        number,
                        get_column_letter(index + 1),
                    )
                )


def _record(result: ImportResult, actor: User | None, source: str) -> ImportRun:
    """The import's history row and its one audit entry (the per-sheet counts)."""
    import_run = ImportRun.objects.create(
        source=source[:255],
        actor=actor,
        counts=result.counts,
        rows=result.rows,
        seconds=Decimal(f"{result.seconds:.2f}"),
    )
    audit_record(
        actor=actor,
        action="import",
        obj=import_run,
        changes={
            sheet: [
                None,
                f"{c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged",
            ]
            for sheet, c in result.counts.items()
        },
    )
    return import_run
