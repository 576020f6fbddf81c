"""The importer's vocabulary: sheet specs, parsed rows, problems, and per-sheet state.

A sheet is declared once (`SheetSpec`, in sheets.py): its columns with their parsers,
the columns that identify a row, who may import it, and the function that applies a
batch of parsed rows. Everything else (reading, header checks, blank cells, batching,
error lines, counting) is the runner's job and the same for every sheet.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from salesdesk.core.models import User
from salesdesk.imports.parsers import Parser


@dataclass(frozen=True)
class Column:
    name: str
    parse: Parser
    required: bool = False


@dataclass(frozen=True)
class SheetSpec:
    name: str
    noun: str  # what one row is, for messages: "customer"
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the columns that identify a row
    apply: Callable[["SheetRun", list["Row"]], None]
    roles: tuple[str, ...]  # an importing user needs one of these (no user: the system)

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)

    def allows(self, actor: User | None) -> bool:
        return actor is None or actor.is_superuser or actor.has_role(*self.roles)


@dataclass(frozen=True)
class Problem:
    """One error or warning line: `sheet <name> row <n> column <col>: <message>`."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [
            f"{label} {value}"
            for label, value in (("sheet", self.sheet), ("row", self.row), ("column", self.column))
            if value is not None
        ]
        return f"{' '.join(where)}: {self.message}" if where else self.message


@dataclass
class Row:
    """One parsed data row. `values` holds the stated (non-blank) cells only: a blank
    cell and an absent column both mean "not stated"."""

    number: int
    values: dict
    key: str | tuple[str, ...]
    failed: bool = False

    def __getitem__(self, name: str):
        return self.values[name]

    def get(self, name: str, default=None):
        return self.values.get(name, default)


@dataclass
class Run:
    """State shared by every sheet of one import."""

    actor: User | None
    today: dt.date  # the day of the import: money records are not dated after it
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Keys of rows that had errors, per sheet, so a later reference to one of them says
    # why it is missing instead of calling it unknown.
    failed_keys: dict[str, set] = field(default_factory=dict)
    # Sheets that were not loaded at all (a required column missing, not permitted).
    failed_sheets: set[str] = field(default_factory=set)
    # Per-import caches the apply functions fill on first use (floor prices, ...).
    cache: dict = field(default_factory=dict)


class SheetRun:
    """One sheet being loaded: its counts, its errors, and the keys already seen."""

    def __init__(self, spec: SheetSpec, run: Run):
        self.spec = spec
        self.run = run
        self.counts: Counter = Counter(created=0, updated=0, unchanged=0)
        # key -> row number of the first row with that key in this file (master data).
        self.seen: dict = {}

    @property
    def actor(self) -> User | None:
        return self.run.actor

    def error(self, row: Row | None, column: str | None, message: str) -> None:
        self.run.problems.append(
            Problem(message, self.spec.name, row.number if row else None, column)
        )
        if row is not None:
            row.failed = True
            self.run.failed_keys.setdefault(self.spec.name, set()).add(row.key)

    def errors_from(
        self,
        row: Row,
        exc: ValidationError,
        default_column: str,
        aliases: dict[str, str] | None = None,
    ) -> None:
        """A service's ValidationError as error lines: on the column a message's field
        names when the sheet has that column, else on `default_column`. `aliases` maps
        a service's field to the column it was read from (a visit's `commitment_due` is
        the sheet's `next_step_due`); an aliased field's message is left out when its
        column already has one from the same error (the same fault seen twice)."""
        aliases = aliases or {}
        by_field = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        reported: set[str] = set()
        for name, messages in by_field.items():
            if name in aliases:
                column = aliases[name]
                if column in reported:
                    continue
            else:
                column = name if name and self.spec.column(name) else default_column
            reported.add(column)
            for message in messages:
                self.error(row, column, message)

    def created(self) -> None:
        self.counts["created"] += 1

    def updated(self) -> None:
        self.counts["updated"] += 1

    def unchanged(self) -> None:
        self.counts["unchanged"] += 1

    def missing_reason(self, target_sheet: str, key) -> str | None:
        """Why `key` of `target_sheet` is missing when an earlier error explains it."""
        if target_sheet in self.run.failed_sheets or key in self.run.failed_keys.get(
            target_sheet, ()
        ):
            return f"see the errors on sheet {target_sheet}"
        return None
