"""Reading workbooks row by row: an .xlsx file, a folder of CSV files, or a .zip of them.

Every source is streamed, so a sheet of a million rows needs no more memory than one
row. Cells come out normalised (see `normalise_cell`): text folded with NFKC and
stripped, Excel numbers as the text a person typed, Excel dates as `datetime.date`.
"""

import codecs
import csv
import datetime as dt
import io
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import ParseError

import openpyxl
from defusedxml.common import DefusedXmlException

# Cells are text or a date; "" is a blank cell.
Cell = str | dt.date

# Besides the usual whitespace, stray byte-order marks and zero-width spaces are
# invisible in Excel but would make "C001" and "C001\u200b" different codes.
_INVISIBLE = " \t\r\n\u200b\ufeff"

_CHUNK = 1 << 20


class ReaderError(Exception):
    """The file or sheet cannot be read at all (not an .xlsx, not text, ...)."""


def normalise_text(text: str) -> str:
    # NFKC folds full-width digits, letters and punctuation ("１２３．５０" -> "123.50").
    return unicodedata.normalize("NFKC", text).strip(_INVISIBLE)


def normalise_cell(value) -> Cell:
    """One cell as the importer sees it: text, a date, or "" for a blank cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    return normalise_text(str(value))


def _float_text(value: float) -> str:
    """A numeric Excel cell as the text a person typed.

    openpyxl gives floats. An integer-valued float is a code or a count ("1001", not
    "1001.0"). Otherwise use the 15 significant digits Excel itself shows, so 0.1 stays
    0.1 and a computed 1234.5600000000002 reads as 1234.56.
    """
    if value.is_integer():
        return str(int(value))
    text = format(value, ".15g")
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


class Sheet:
    """One sheet of a workbook: its name as written and its rows."""

    def __init__(self, name: str):
        self.name = name

    @property
    def key(self) -> str:
        """The name compared against the sheet specs: folded, stripped, lower case."""
        return normalise_text(self.name).lower()

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        """(row number as Excel shows it, normalised cells) for every non-blank row."""
        raise NotImplementedError

    def estimated_rows(self) -> int | None:
        """Rows including the header, when cheaply known (for the progress bar)."""
        return None


def _skip_blank(numbered_rows) -> Iterator[tuple[int, list[Cell]]]:
    for number, raw in numbered_rows:
        cells = [normalise_cell(value) for value in raw]
        if any(cell != "" for cell in cells):
            yield number, cells


# xlsx ---------------------------------------------------------------------------------


def _xlsx_problem(exc: BaseException) -> str:
    """What is wrong with an .xlsx that openpyxl could not read, in words for the user.

    openpyxl wraps the cause in a ValueError of its own: look down the chain.
    """
    seen = exc
    while seen is not None:
        if isinstance(seen, DefusedXmlException):
            return (
                "the file declares XML entities (a DTD), which no spreadsheet program "
                "writes; refused for safety"
            )
        if isinstance(seen, zipfile.BadZipFile | zlib.error | EOFError):
            return "the file is not an .xlsx workbook, or it is damaged or truncated"
        if isinstance(seen, ParseError):
            return "the file's XML is damaged or truncated"
        seen = seen.__cause__ or seen.__context__
    return f"the file is damaged ({exc.__class__.__name__})"


class XlsxSheet(Sheet):
    def __init__(self, worksheet):
        super().__init__(worksheet.title)
        self._worksheet = worksheet
        # The stored dimension is only an estimate: formatting inflates it, and some
        # writers store a wrong one.
        self._estimate = worksheet.max_row

    def estimated_rows(self) -> int | None:
        return self._estimate

    def rows(self):
        # Forget the stored dimension, or openpyxl stops at a too-small one and pads to
        # a too-large one; without it, it reads exactly the rows the file holds.
        self._worksheet.reset_dimensions()
        numbered = enumerate(self._worksheet.iter_rows(values_only=True), start=1)
        # A sheet is read lazily, so a damaged one fails here rather than on opening.
        # The file comes from outside: whatever the parser raises means "unreadable"
        # (the importer's own errors happen in the caller, not inside this generator).
        try:
            yield from _skip_blank(numbered)
        except Exception as exc:
            raise ReaderError(f"not a readable .xlsx file: {_xlsx_problem(exc)}") from exc


class XlsxWorkbook:
    def __init__(self, file: str | Path | IO[bytes]):
        try:
            self._book = openpyxl.load_workbook(file, read_only=True, data_only=True)
        except Exception as exc:  # anything openpyxl raises on a bad file: see rows()
            raise ReaderError(f"not a readable .xlsx file: {_xlsx_problem(exc)}") from exc
        self.sheets = [XlsxSheet(worksheet) for worksheet in self._book.worksheets]

    def close(self) -> None:
        self._book.close()


# CSV ----------------------------------------------------------------------------------

# What reading a damaged or truncated member of a .zip raises.
_DAMAGED_ZIP = (zipfile.BadZipFile, zlib.error, EOFError)
DAMAGED_ZIP_MEMBER = "the file is damaged or truncated inside the .zip"


class CsvSheet(Sheet):
    """A CSV file; `opener` returns a fresh binary stream each time it is called."""

    def __init__(self, name: str, opener: Callable[[], IO[bytes]]):
        super().__init__(name)
        self._opener = opener
        self._encoding: str | None = None
        self._lines: int | None = None

    def estimated_rows(self) -> int | None:
        self._scan()
        return self._lines

    def rows(self):
        self._scan()
        with self._opener() as binary:
            text = io.TextIOWrapper(binary, encoding=self._encoding, newline="")
            reader = csv.reader(text)
            try:
                # line_num would count the lines of a quoted multi-line cell; Excel
                # counts records, and so do we.
                yield from _skip_blank(enumerate(reader, start=1))
            except csv.Error as exc:
                raise ReaderError(f"not a valid CSV file ({exc})") from exc
            except _DAMAGED_ZIP as exc:
                raise ReaderError(DAMAGED_ZIP_MEMBER) from exc

    def _scan(self) -> None:
        try:
            self._scan_file()
        except _DAMAGED_ZIP as exc:
            raise ReaderError(DAMAGED_ZIP_MEMBER) from exc

    def _scan_file(self) -> None:
        """Choose the encoding and count the lines, in one streaming pass.

        UTF-8 (with or without a BOM) is tried first; a file that is not valid UTF-8 is
        read as GB18030, the superset of the GBK that Chinese Excel writes.
        """
        if self._encoding is not None:
            return
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines, utf8 = 0, True
        with self._opener() as binary:
            while chunk := binary.read(_CHUNK):
                lines += chunk.count(b"\n")
                if utf8:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        utf8 = False
            if utf8:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8 = False
        if not utf8 and not self._decodes_as("gb18030"):
            raise ReaderError("the file is neither UTF-8 nor GBK/GB18030 text")
        self._encoding = "utf-8-sig" if utf8 else "gb18030"
        self._lines = lines + 1

    def _decodes_as(self, encoding: str) -> bool:
        decoder = codecs.getincrementaldecoder(encoding)()
        with self._opener() as binary:
            try:
                while chunk := binary.read(_CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return False
        return True


class CsvFolder:
    """A folder of `<sheet>.csv` files; other files are ignored."""

    def __init__(self, folder: Path):
        paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        self.sheets = [CsvSheet(p.stem, lambda p=p: p.open("rb")) for p in paths]

    def close(self) -> None:
        pass


class CsvZip:
    """A .zip of `<sheet>.csv` files (the upload page's way to send a CSV folder)."""

    def __init__(self, file: str | Path | IO[bytes]):
        try:
            self._zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ReaderError(f"not a readable .zip file ({exc})") from exc
        self.sheets = []
        for info in self._zip.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            # macOS adds __MACOSX/._name.csv resource files next to the real ones.
            if info.is_dir() or name.startswith(".") or info.filename.startswith("__MACOSX/"):
                continue
            if name.lower().endswith(".csv"):
                self.sheets.append(CsvSheet(name[:-4], lambda info=info: self._zip.open(info, "r")))

    def close(self) -> None:
        self._zip.close()


def open_workbook(source: str | Path | IO[bytes], filename: str | None = None):
    """The workbook at `source`: an .xlsx, a folder of CSV files, or a .zip of CSV files.

    `filename` names an uploaded file object (its extension decides the kind).
    Returns an object with `.sheets` and `.close()`; raises ReaderError.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        if path.is_dir():
            return CsvFolder(path)
        if not path.exists():
            raise ReaderError(f"{path} does not exist")
        filename = filename or path.name
    suffix = Path(filename or "").suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return XlsxWorkbook(source)
    if suffix == ".zip":
        return CsvZip(source)
    raise ReaderError(f"{filename}: expected an .xlsx file, a folder of CSV files or a .zip")
