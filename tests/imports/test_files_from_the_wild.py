"""Files as they come from customers: CSV encodings, full-width text, blank rows, real
Excel cells, odd dimensions."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from salesdesk.core.models import Plant
from salesdesk.customers.models import Customer
from salesdesk.imports import parsers
from salesdesk.imports.parsers import CellError
from salesdesk.imports.progress import TerminalProgress
from salesdesk.imports.readers import normalise_cell
from salesdesk.ledger.models import Delivery, Invoice
from tests.imports.builders import base_sheets, run_import, write_csvs


def test_it_reads_a_gbk_encoded_csv_folder(db, tmp_path):
    folder = write_csvs(tmp_path / "gbk", base_sheets(), encoding="gbk")

    outcome = run_import(folder)

    assert outcome.code == 0, outcome.err
    assert Customer.objects.get(code="C1").name == "华东建工有限公司"
    assert Plant.objects.get(code="PL01").name == "一号搅拌站"


def test_it_reads_a_utf8_csv_with_a_byte_order_mark(db, tmp_path):
    folder = write_csvs(tmp_path / "bom", base_sheets(), encoding="utf-8-sig")

    outcome = run_import(folder)

    assert outcome.code == 0, outcome.err
    assert Invoice.objects.count() == 3


def test_it_folds_full_width_digits_and_letters_and_strips_spaces(db, tmp_path):
    sheets = base_sheets()
    sheets["invoices"][1] = [
        "ＩＮＶ－１",
        " Ｐ１ ",
        "２０２５－０１－３１",
        None,
        "４，４１０．００",
    ]
    sheets["plants"][1] = ["ＰＬ０１\u3000", "  一号搅拌站  "]
    folder = write_csvs(tmp_path / "wide", sheets)

    outcome = run_import(folder)

    assert outcome.code == 0, outcome.err
    invoice = Invoice.objects.get(number="INV-1")
    assert (invoice.project.code, invoice.date, invoice.amount) == (
        "P1", dt.date(2025, 1, 31), Decimal("4410.00"),
    )  # fmt: skip
    assert Plant.objects.get(code="PL01").name == "一号搅拌站"


def test_it_skips_blank_rows_and_keeps_excel_row_numbers(db, tmp_path):
    sheets = base_sheets("plants")
    sheets["plants"][1:1] = [[None, None], ["  ", ""]]  # rows 2 and 3 blank
    sheets["plants"] += [["PL03", None], [None, None], [None, None]]  # row 6 bad, then blank
    folder = write_csvs(tmp_path / "blank", sheets)

    outcome = run_import(folder)

    assert outcome.err_lines[0] == "sheet plants row 6 column name: a value is required"


def test_it_ignores_blank_rows_left_by_formatting_in_xlsx(db, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "plants"
    sheet.append(["code", "name"])
    sheet.append(["PL01", "一号站"])
    sheet.cell(row=5000, column=30).number_format = "0.00"  # inflates the dimension
    sheet.cell(row=4, column=1).value = "   "
    path = tmp_path / "formatted.xlsx"
    book.save(path)

    outcome = run_import(path)

    assert outcome.code == 0, outcome.err
    assert outcome.out_lines[0] == "plants: 1 created, 0 updated, 0 unchanged"


def test_it_reads_rows_beyond_a_wrong_stored_dimension(db, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "plants"
    for row in (["code", "name"], ["PL01", "一号站"], ["PL02", "二号站"]):
        sheet.append(row)
    path = tmp_path / "dimension.xlsx"
    book.save(path)
    _rewrite_dimension(path, "A1:B1")  # some writers store a wrong one

    outcome = run_import(path)

    assert outcome.code == 0, outcome.err
    assert Plant.objects.count() == 2


def _rewrite_dimension(path, ref: str) -> None:
    import re
    import zipfile

    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    name = "xl/worksheets/sheet1.xml"
    members[name] = re.sub(
        rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), members[name]
    )
    with zipfile.ZipFile(path, "w") as target:
        for member, data in members.items():
            target.writestr(member, data)


def test_it_accepts_excel_date_and_number_cells(db, workbook):
    sheets = base_sheets()
    sheets["customers"][1][0] = 1001  # a code typed as a number
    sheets["customers"][1][6] = 80.0
    for row in sheets["contacts"][1:]:
        row[0] = 1001 if row[0] == "C1" else row[0]
    for row in sheets["projects"][1:]:
        row[1] = 1001 if row[1] == "C1" else row[1]
    sheets["deliveries"][1][2:6] = [dt.datetime(2025, 1, 5, 0, 0), "C30 混凝土", 0.1, 1234.5]
    sheets["invoices"][1][2:5] = [dt.date(2025, 1, 31), None, 0.1 + 0.2]  # 0.30000000000000004
    sheets["payments"][1][3] = 4410

    outcome = run_import(workbook(sheets))

    assert outcome.code == 0, outcome.err
    assert Customer.objects.filter(code="1001").exists()
    delivery = Delivery.objects.get(ticket="T1")
    assert (delivery.date, delivery.quantity, delivery.unit_price, delivery.amount) == (
        dt.date(2025, 1, 5), Decimal("0.1"), Decimal("1234.5"), Decimal("123.45"),
    )  # fmt: skip
    invoice = Invoice.objects.get(number="INV-1")
    assert (invoice.date, invoice.amount) == (dt.date(2025, 1, 31), Decimal("0.30"))


def test_it_reports_a_value_under_a_column_without_a_name(db, tmp_path):
    sheets = {
        "plants": [["code", "name", None], ["PL01", "一号站", "oops"], ["PL02", "二号站", "x"]]
    }
    folder = write_csvs(tmp_path / "nameless", sheets)

    outcome = run_import(folder)

    assert outcome.err_lines[:-1] == [
        "sheet plants row 2 column C: a value in a column without a name"
    ]


def test_it_rejects_a_csv_that_is_not_text(db, tmp_path):
    folder = tmp_path / "binary"
    folder.mkdir()
    (folder / "plants.csv").write_bytes(b"code,name\n\x81\x30\xff\xff,\x00\n")

    outcome = run_import(folder)

    assert outcome.code == 2
    assert outcome.err_lines[0] == ("sheet plants: the file is neither UTF-8 nor GBK/GB18030 text")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        ("  Ｃ１００１\u200b ", "C1001"),
        (1001, "1001"),
        (1001.0, "1001"),
        (0.1, "0.1"),
        (1234.5, "1234.5"),
        (0.1 + 0.2, "0.3"),
        (1234.56 * 3, "3703.68"),
        (1.5e-05, "0.000015"),
        (True, "yes"),
        (dt.datetime(2025, 1, 5, 13, 30), dt.date(2025, 1, 5)),
        (dt.date(2025, 1, 5), dt.date(2025, 1, 5)),
    ],
)
def test_it_normalises_cells_to_what_a_person_typed(value, cell):
    assert normalise_cell(value) == cell


def test_it_parses_yes_no_roles_and_choices_leniently():
    assert [parsers.yes_no(v) for v in ("YES", "true", "1", "是", "No", "FALSE", "0", "否")] == [
        True, True, True, True, False, False, False, False,
    ]  # fmt: skip
    roles = parsers.choice_list(["sales", "manager", "finance"])
    assert roles("Sales，manager") == ("manager", "sales")
    assert roles("sales、finance") == ("finance", "sales")
    assert parsers.choice(["A", "B"])("a") == "A"
    with pytest.raises(CellError, match="is not yes or no"):
        parsers.yes_no("maybe")
    with pytest.raises(CellError, match="more than 3 decimal places"):
        parsers.quantity("1.2345")
    with pytest.raises(CellError, match="is not a date"):
        parsers.date("2025-02-30")


def test_it_shows_progress_on_a_terminal_only(db, workbook):
    stream = io.StringIO()
    progress = TerminalProgress(stream, interval=0)
    progress.update("invoices", 500, 1000)
    progress.update("invoices", 1000, 1000, final=True)
    assert stream.getvalue() == (
        "\rinvoices: 500 rows (50%)\033[K\rinvoices: 1,000 rows (100%)\033[K\n"
    )

    # Not a terminal (as under pytest): nothing but the summary.
    outcome = run_import(workbook())
    assert outcome.err == ""
