"""`salesdesk commissions` and the commissions/advances reports (FORMATS.md rows)."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from salesdesk.compensation.reports import advances_report, commissions_report
from salesdesk.compensation.services import advance_request
from tests.compensation.helpers import D, invoice, pay, project_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(people):
    project = project_of(people.sales1, code="A1")
    invoice(project, "I1", D(2026, 1, 5), "2000.00", D(2026, 2, 4))
    pay(project, "P1", D(2026, 2, 10), "1000.00")
    return project


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_prints_one_summary_line_per_salesperson_and_finalises(people, book):
    text = run("commissions", "--month", "2026-02")
    assert (
        "2026-02 sales1 open: lines 1, collected 1000.00, earned 25.00, held back 7.50, "
        "released 0.00, payable 17.50"
    ) in text
    assert "2026-02 sales2 open: lines 0" in text
    text = run("commissions", "--month", "2026-02", "--finalise", "--as-of", "2026-03-01")
    assert "2026-02 finalised: 1 statements" in text
    assert "2026-02 sales1 finalised: lines 1" in text
    again = run("commissions", "--month", "2026-02", "--finalise", "--as-of", "2026-03-01")
    assert "2026-02 already finalised" in again


def test_it_refuses_to_finalise_a_month_not_over(people, book):
    with pytest.raises(CommandError, match="has not ended"):
        run("commissions", "--month", "2026-02", "--finalise", "--as-of", "2026-02-28")


def test_the_commissions_report_rows_follow_formats_md(people, book):
    report = commissions_report(month="2026-02", as_of=D(2026, 3, 1))
    (row,) = report.rows
    assert {k: row[k] for k in (
        "kind", "salesperson", "project", "payment", "payment_date", "invoice",
        "days_past_due", "tier", "collected", "base_rate", "penalty_points", "bonus_points",
        "rate", "earned", "held_back", "released", "payable",
    )} == {
        "kind": "payment", "salesperson": "sales1", "project": "A1", "payment": "P1",
        "payment_date": "2026-02-10", "invoice": "I1", "days_past_due": 6, "tier": "general",
        "collected": "1000.00", "base_rate": "2.5", "penalty_points": "0.0",
        "bonus_points": "0.0", "rate": "2.5", "earned": "25.00", "held_back": "7.50",
        "released": "0.00", "payable": "17.50",
    }  # fmt: skip
    assert report.totals["payable"] == "17.50"
    envelope = report.envelope()
    assert {"salesperson": "sales1", "status": "open"}.items() <= envelope["statements"][0].items()


def test_the_report_command_writes_json_csv_and_xlsx(people, book, tmp_path):
    document = json.loads(run("report", "commissions", "--month", "2026-02", "--format", "json"))
    assert document["report"] == "commissions" and document["month"] == "2026-02"
    assert [s["status"] for s in document["statements"]] == ["open", "open", "open"]
    csv_text = run("report", "commissions", "--month", "2026-02", "--format", "csv")
    assert csv_text.splitlines()[0].startswith("kind,salesperson,project,payment")
    path = tmp_path / "c.xlsx"
    run("report", "commissions", "--month", "2026-02", "--format", "xlsx", "-o", str(path))
    sheet = load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(2, header.index("earned") + 1).value == 25


def test_the_advances_report_lists_open_advances_with_the_cap_figures(people, book):
    advance_request(
        actor=people.sales1, project=book, amount="10.00", purpose="visits", today=D(2026, 3, 1)
    )
    document = json.loads(run("report", "advances", "--as-of", "2026-03-02"))
    assert document["rows"] == [
        {
            "salesperson": "sales1", "project": "A1", "amount": "10.00", "status": "asked",
            "asked_on": "2026-03-01", "cap": "10.00", "collected": "1000.00",
            "billed": "2000.00", "purpose": "visits",
        }
    ]  # fmt: skip
    assert advances_report(as_of=D(2026, 2, 28)).rows == []
