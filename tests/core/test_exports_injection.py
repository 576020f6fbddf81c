"""No export writes user text as a live formula (OWASP's CSV/formula injection).

Hostile names are stored as typed and pushed through every xlsx and CSV writer: the aging
export page, the project statement, `salesdesk report` for every report in both formats,
and the sample workbook. An xlsx cell holding such text must be a string cell, and a CSV
value starting with =, +, -, @, a tab or a carriage return must start with a quote.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from salesdesk.analytics.reports import REGISTRY
from salesdesk.collections.cycle import cycle_run
from salesdesk.ledger import services
from salesdesk.lib import spreadsheet
from salesdesk.pipeline import services as pipeline_services
from tests.factories import CustomerFactory, PlantFactory, ProjectFactory

D = dt.date
HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")


@pytest.fixture
def hostile(people):
    """One customer and project per hostile name, each overdue and dunned, plus an open
    opportunity; a payment of the first project reversed with a hostile reason."""
    plant = PlantFactory(code="PL01", name="=1+1")
    projects = []
    for n, text in enumerate(HOSTILE, start=1):
        customer = CustomerFactory(code=f"C{n}", name=text, owner=people.sales1)
        project = ProjectFactory(
            code=f"P{n}", customer=customer, plant=plant, name=text, payment_terms_days=30
        )
        services.invoice_post(
            actor=None, number=f"I{n}", project=project, date=D(2026, 6, 1),
            amount="1000.00", due_date=D(2026, 6, 30),
        )  # fmt: skip
        pipeline_services.opportunity_upsert(
            actor=None, code=f"O{n}", customer=customer, name=text, value="5000.00",
            expected_close=D(2026, 12, 31), factors=None, stage=None,
        )  # fmt: skip
        projects.append(project)
    payment, _created = services.payment_post(
        actor=None, reference="-R1", project=projects[0], date=D(2026, 7, 10), amount="300.00"
    )
    services.record_reverse(actor=None, record=payment, date=D(2026, 7, 11), reason=HOSTILE[0])
    day = D(2026, 7, 20)
    while day <= D(2026, 9, 30):  # letters, a hold and the monthly tasks
        cycle_run(as_of=day)
        day += dt.timedelta(days=1)
    return projects


def assert_safe_xlsx(data: bytes, expect: list[str]) -> None:
    """No cell is a formula, and each hostile text is there as a string cell."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode(), name
    texts = set()
    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    for text in expect:
        text = text.replace("\r", "\n")  # XML reads a carriage return as a line feed
        assert any(text in value for value in texts), (text, texts)


def assert_safe_csv(text: str, expect: list[str]) -> None:
    """Every value that a spreadsheet would run is quoted; plain numbers are left alone."""
    values = [value for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for value in row]
    for value in values:
        if value.startswith(FORMULA_START):
            assert NUMBER.fullmatch(value), repr(value)
    for hostile in expect:
        assert "'" + hostile in values, (hostile, values)


def test_it_writes_hostile_names_as_text_in_the_aging_export(page_for, people, hostile):
    client = page_for(people.finance)

    xlsx = client.get("/aging/export.xlsx?as_of=2026-12-04")
    csv_text = client.get("/aging/export.csv?as_of=2026-12-04")

    assert xlsx.status_code == csv_text.status_code == 200
    assert_safe_xlsx(xlsx.content, HOSTILE)
    assert_safe_csv(csv_text.content.decode("utf-8"), HOSTILE)


def test_it_keeps_money_as_numbers_in_the_aging_xlsx(page_for, people, hostile):
    data = page_for(people.finance).get("/aging/export.xlsx?as_of=2026-12-04").content
    sheet = load_workbook(io.BytesIO(data)).active
    header = [cell.value for cell in sheet[1]]
    outstanding = [row[header.index("outstanding")] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "n" for cell in outstanding)
    assert outstanding[0].value == 1000  # the reversed payment left all of it open


def test_it_writes_hostile_names_as_text_in_the_statement(page_for, people, hostile):
    for project, text in zip(hostile, HOSTILE, strict=True):
        response = page_for(people.finance).get(
            f"/projects/{project.code}/statement.xlsx?from=2026-06-01&to=2026-12-04"
        )
        assert response.status_code == 200
        assert_safe_xlsx(response.content, [text])
    first = page_for(people.finance).get(
        "/projects/P1/statement.xlsx?from=2026-06-01&to=2026-12-04"
    )
    assert_safe_xlsx(first.content, [HOSTILE[0], "-R1"])  # the reversal's reason, the reference


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_it_writes_hostile_names_as_text_in_every_cli_report(name, hostile, tmp_path):
    expected = {
        "aging": HOSTILE, "letters": HOSTILE, "holds": HOSTILE, "pipeline": HOSTILE,
        "tiers": HOSTILE,
        # these name projects and people by code
        "tasks": [], "commissions": [], "advances": [],
    }[name]  # fmt: skip
    xlsx = tmp_path / f"{name}.xlsx"
    call_command("report", name, "--as-of", "2026-09-30", "--format", "xlsx", "-o", str(xlsx))
    assert_safe_xlsx(xlsx.read_bytes(), expected)
    out = io.StringIO()
    call_command("report", name, "--as-of", "2026-09-30", "--format", "csv", stdout=out)
    assert_safe_csv(out.getvalue(), expected)


def test_it_checks_that_the_report_rows_are_not_empty(hostile):
    """The reports above are only a test if the hostile rows are in them."""
    out = io.StringIO()
    call_command("report", "tasks", "--month", "2026-09", "--format", "csv", stdout=out)
    assert len(out.getvalue().splitlines()) > 1
    out = io.StringIO()
    call_command("report", "holds", "--as-of", "2026-09-30", "--format", "csv", stdout=out)
    assert len(out.getvalue().splitlines()) > 1


def test_it_quotes_csv_text_but_not_numbers():
    assert spreadsheet.csv_value("=1+2") == "'=1+2"
    assert spreadsheet.csv_value("-2+3") == "'-2+3"
    assert spreadsheet.csv_value("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet.csv_value("\t1") == "'\t1"
    assert spreadsheet.csv_value("-12.50") == "-12.50"
    assert spreadsheet.csv_value("12") == "12"
    assert spreadsheet.csv_value(-3) == -3
    assert spreadsheet.csv_value(None) is None
    assert spreadsheet.csv_value("北京 = 上海") == "北京 = 上海"


def test_it_writes_text_cells_and_keeps_numbers_and_dates():
    book = Workbook()
    sheet = book.active
    spreadsheet.xlsx_append(sheet, ["=1+2", Decimal("-5.00"), D(2026, 1, 1), None, 3])
    buffer = io.BytesIO()
    book.save(buffer)
    row = next(load_workbook(buffer).active.iter_rows())
    assert [cell.data_type for cell in row[:3]] == ["s", "n", "d"]
    assert (row[0].value, row[1].value, row[4].value) == ("=1+2", -5, 3)


def test_it_writes_the_sample_workbook_without_formulas(tmp_path):
    path = tmp_path / "sample.xlsx"
    call_command("sample-workbook", str(path))
    assert_safe_xlsx(path.read_bytes(), [])
