"""Writing spreadsheets safely: every xlsx and CSV export goes through this module.

Names, references and reasons are stored as typed, and a user may type
`=HYPERLINK("http://x","y")`. A spreadsheet program runs such text as a formula when it
opens the file (CSV or formula injection, OWASP). So text is always written as text:

* xlsx: a string cell is a string cell (`data_type "s"`), never a formula, whatever it
  starts with; numbers and dates stay numbers and dates.
* CSV: CSV has no types, so a text value that a spreadsheet would read as a formula
  (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`,
  which spreadsheets read as "this is text". A plain number such as `-12.50` is a number,
  not text, and is written as it is.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence

from openpyxl.cell.cell import Cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A value that is a number (money strings like "-12.50" included) is never escaped.
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_value(value):
    """`value` as it may be written to a CSV file."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A CSV document: the header, then one line per row, every value made safe."""
    buffer = io.StringIO()
    # RFC 4180 line ends: the csv module quotes a value containing any character of the
    # line terminator, so a name holding a carriage return stays one value.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_value(name) for name in header])
    writer.writerows([csv_value(value) for value in row] for row in rows)
    return buffer.getvalue()


def xlsx_value(sheet, value):
    """What to hand to `sheet.append`: text becomes a string cell that cannot be a
    formula (openpyxl otherwise turns any text starting with "=" into one)."""
    if not isinstance(value, str):
        return value
    cell = Cell(sheet, row=1, column=1, value=value)  # placed by append
    cell.data_type = "s"
    return cell


def xlsx_append(sheet, values: Iterable) -> None:
    """Append one row to `sheet` (a normal or a write-only worksheet)."""
    sheet.append([xlsx_value(sheet, value) for value in values])
