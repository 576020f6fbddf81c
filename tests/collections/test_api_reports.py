"""The tasks, letters and holds reports over HTTP: the FORMATS.md envelope, figures
worked out by hand, and scoping (a salesperson's report covers their own projects).

Dunning (default policy): I1 on P1 (1000.00) and I3 on P3 (400.00), both dated
2026-01-01 and due 01-31. The cycle runs on 03-03 (letter 1), 03-18 (letter 2), 04-02
(letter 3) and 04-17 (supply hold). P1 pays 250.50 on 03-10, so its letters 2 and 3
state 749.50; it pays the rest on 04-25, which releases C1's hold that day.
"""

import datetime as dt
import re

import pytest

from salesdesk.collections.cycle import cycle_run
from salesdesk.collections.models import SupplyHold
from salesdesk.ledger import services as ledger
from salesdesk.ledger.models import Invoice
from tests.collections.builders import get, make_book, sign
from tests.ledger.builders import post_invoice, post_payment

D = dt.date
MONEY = re.compile(r"^-?\d+\.\d{2}$")
RATIO = re.compile(r"^\d+\.\d{4}$")


@pytest.fixture
def book(people):
    return make_book(people)


@pytest.fixture
def april(book):
    """April tasks: P1 target 1000.00 (collects 333.33), P2 500.00 (collects 500.00),
    P3 2000.00 (collects nothing)."""
    post_invoice(book.p1, "I1", D(2026, 3, 1), "1000.00")
    post_invoice(book.p2, "I2", D(2026, 3, 1), "500.00")
    post_invoice(book.p3, "I3", D(2026, 3, 1), "2000.00")
    cycle_run(as_of=D(2026, 3, 25))
    post_payment(book.p1, "R1", D(2026, 4, 10), "333.33")
    post_payment(book.p2, "R2", D(2026, 4, 20), "500.00")
    post_payment(book.p3, "R3", D(2026, 5, 2), "100.00")  # May: not April's collection
    return book


@pytest.fixture
def dunned(book):
    post_invoice(book.p1, "I1", D(2026, 1, 1), "1000.00")
    post_invoice(book.p3, "I3", D(2026, 1, 1), "400.00")
    cycle_run(as_of=D(2026, 3, 3))
    post_payment(book.p1, "R1", D(2026, 3, 10), "250.50")
    for day in (D(2026, 3, 18), D(2026, 4, 2), D(2026, 4, 17)):
        cycle_run(as_of=day)
    post_payment(book.p1, "R2", D(2026, 4, 25), "749.50")
    return book


def envelope_keys(body, date_key):
    assert set(body) == {"report", date_key, "generated_at", "rows", "totals"}
    assert dt.datetime.fromisoformat(body["generated_at"])


# Tasks --------------------------------------------------------------------------------


def test_it_reports_the_months_tasks_in_the_published_envelope(people, april, api_for):
    body = get(api_for(people.finance), "reports/tasks?month=2026-04").json()

    envelope_keys(body, "month")
    assert body["report"] == "tasks"
    assert body["month"] == "2026-04"
    assert [
        {key: row[key] for key in ("month", "salesperson", "project", "target", "collected", "completion", "status")}
        for row in body["rows"]
    ] == [
        {"month": "2026-04", "salesperson": "sales1", "project": "P1", "target": "1000.00",
         "collected": "333.33", "completion": "0.3333", "status": "draft"},
        {"month": "2026-04", "salesperson": "sales2", "project": "P2", "target": "500.00",
         "collected": "500.00", "completion": "1.0000", "status": "draft"},
        {"month": "2026-04", "salesperson": "sales3", "project": "P3", "target": "2000.00",
         "collected": "0.00", "completion": "0.0000", "status": "draft"},
    ]  # fmt: skip
    assert body["totals"] == {"target": "3500.00", "collected": "833.33"}


def test_it_reports_the_assessed_figures_once_the_month_is_over(people, april, api_for):
    for persona, as_role in ((people.marketing, "marketing"), (people.finance, "finance")):
        assert sign(api_for(persona), as_role, month="2026-04").status_code == 200
    cycle_run(as_of=D(2026, 5, 1))
    # A payment dated in April but posted after the assessment does not change it.
    post_payment(april.p3, "R4", D(2026, 4, 30), "1.00")

    rows = get(api_for(people.finance), "reports/tasks?month=2026-04").json()["rows"]

    assert [(r["project"], r["collected"], r["completion"], r["status"]) for r in rows] == [
        ("P1", "333.33", "0.3333", "assessed"),
        ("P2", "500.00", "1.0000", "assessed"),
        ("P3", "0.00", "0.0000", "assessed"),
    ]


def test_it_reports_drafts_nobody_signed_as_lapsed_once_the_month_is_over(people, april, api_for):
    cycle_run(as_of=D(2026, 5, 1))

    body = get(api_for(people.finance), "reports/tasks?month=2026-04").json()

    assert [(r["project"], r["status"]) for r in body["rows"]] == [
        ("P1", "lapsed"), ("P2", "lapsed"), ("P3", "lapsed"),
    ]  # fmt: skip


def test_it_writes_money_with_two_decimals_and_completion_with_four(people, april, api_for):
    body = get(api_for(people.admin), "reports/tasks?month=2026-04").json()

    for row in body["rows"]:
        assert MONEY.match(row["target"]) and MONEY.match(row["collected"])
        assert RATIO.match(row["completion"])
    assert all(MONEY.match(value) for value in body["totals"].values())


@pytest.mark.parametrize(
    ("persona", "projects", "totals"),
    [
        ("sales1", ["P1"], {"target": "1000.00", "collected": "333.33"}),
        ("manager1", ["P1", "P2"], {"target": "1500.00", "collected": "833.33"}),
        ("manager2", ["P3"], {"target": "2000.00", "collected": "0.00"}),
        ("legal", ["P1", "P2", "P3"], {"target": "3500.00", "collected": "833.33"}),
        ("nobody", [], {"target": "0.00", "collected": "0.00"}),
    ],
)
def test_it_reports_only_the_tasks_the_caller_may_see(
    persona, projects, totals, people, april, api_for
):
    body = get(api_for(getattr(people, persona)), "reports/tasks?month=2026-04").json()

    assert [row["project"] for row in body["rows"]] == projects
    assert body["totals"] == totals


def test_it_reports_an_empty_month(people, april, api_for):
    body = get(api_for(people.finance), "reports/tasks?month=2027-01").json()

    assert body["rows"] == []
    assert body["totals"] == {"target": "0.00", "collected": "0.00"}


def test_it_reports_this_months_tasks_by_default(people, april, api_for):
    body = get(api_for(people.finance), "reports/tasks").json()

    assert body["month"] == f"{dt.date.today():%Y-%m}"


@pytest.mark.parametrize("month", ["2026-4", "2026-13", "april", "2026-04-01"])
def test_it_answers_422_for_a_bad_report_month(month, people, april, api_for):
    response = get(api_for(people.finance), f"reports/tasks?month={month}")

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "month"


# Letters ------------------------------------------------------------------------------


def test_it_reports_the_letters_issued_up_to_a_day(people, dunned, api_for):
    body = get(api_for(people.finance), "reports/letters?as_of=2026-04-30").json()

    envelope_keys(body, "as_of")
    assert body["report"] == "letters"
    assert body["as_of"] == "2026-04-30"
    assert [
        {key: row[key] for key in ("customer", "project", "number", "issued_on", "amount")}
        for row in body["rows"]
    ] == [
        {"customer": "C1", "project": "P1", "number": 1, "issued_on": "2026-03-03", "amount": "1000.00"},
        {"customer": "C3", "project": "P3", "number": 1, "issued_on": "2026-03-03", "amount": "400.00"},
        {"customer": "C1", "project": "P1", "number": 2, "issued_on": "2026-03-18", "amount": "749.50"},
        {"customer": "C3", "project": "P3", "number": 2, "issued_on": "2026-03-18", "amount": "400.00"},
        {"customer": "C1", "project": "P1", "number": 3, "issued_on": "2026-04-02", "amount": "749.50"},
        {"customer": "C3", "project": "P3", "number": 3, "issued_on": "2026-04-02", "amount": "400.00"},
    ]  # fmt: skip
    assert body["totals"] == {"amount": "3699.00"}


def test_it_leaves_out_letters_issued_after_as_of(people, dunned, api_for):
    body = get(api_for(people.legal), "reports/letters?as_of=2026-03-18").json()

    assert [(r["project"], r["number"]) for r in body["rows"]] == [
        ("P1", 1),
        ("P3", 1),
        ("P1", 2),
        ("P3", 2),
    ]
    assert body["totals"] == {"amount": "2549.50"}


@pytest.mark.parametrize(
    ("persona", "projects", "total"),
    [
        ("sales1", {"P1"}, "2499.00"),
        ("sales2", set(), "0.00"),
        ("manager1", {"P1"}, "2499.00"),
        ("sales3", {"P3"}, "1200.00"),
        ("manager2", {"P3"}, "1200.00"),
        ("marketing", {"P1", "P3"}, "3699.00"),
    ],
)
def test_it_reports_only_the_letters_the_caller_may_see(
    persona, projects, total, people, dunned, api_for
):
    body = get(api_for(getattr(people, persona)), "reports/letters?as_of=2026-04-30").json()

    assert {row["project"] for row in body["rows"]} == projects
    assert body["totals"] == {"amount": total}


def test_it_answers_422_for_a_bad_letters_date(people, dunned, api_for):
    assert get(api_for(people.finance), "reports/letters?as_of=2026-02-30").status_code == 422


# Holds --------------------------------------------------------------------------------


HOLD_P1 = "letter 3 of project P1 issued 2026-04-02; still overdue 749.50 on 2026-04-17"
HOLD_P3 = "letter 3 of project P3 issued 2026-04-02; still overdue 400.00 on 2026-04-17"


def hold_rows(body):
    return [
        {key: row[key] for key in ("customer", "since", "released_on", "reason")}
        for row in body["rows"]
    ]


def test_it_reports_a_held_customer_with_no_release_date(people, dunned, api_for):
    body = get(api_for(people.finance), "reports/holds?as_of=2026-04-20").json()

    envelope_keys(body, "as_of")
    assert body["report"] == "holds"
    assert body["as_of"] == "2026-04-20"
    assert hold_rows(body) == [
        {"customer": "C1", "since": "2026-04-17", "released_on": None, "reason": HOLD_P1},
        {"customer": "C3", "since": "2026-04-17", "released_on": None, "reason": HOLD_P3},
    ]
    assert body["totals"] == {}


def test_it_reports_the_payment_day_as_the_release_once_the_overdue_is_cleared(
    people, dunned, api_for
):
    body = get(api_for(people.finance), "reports/holds?as_of=2026-04-30").json()

    assert hold_rows(body) == [
        {"customer": "C1", "since": "2026-04-17", "released_on": "2026-04-25", "reason": HOLD_P1},
        {"customer": "C3", "since": "2026-04-17", "released_on": None, "reason": HOLD_P3},
    ]
    # As of the day before the payment, C1 was still on hold.
    body = get(api_for(people.finance), "reports/holds?as_of=2026-04-24").json()
    assert [row["released_on"] for row in body["rows"]] == [None, None]


def test_it_reports_a_release_not_yet_recorded_from_the_ledger(people, dunned, api_for):
    # Reversing I3 clears C3's overdue amount on 05-05; no payment or cycle records it.
    i3 = Invoice.objects.get(number="I3")
    ledger.record_reverse(actor=None, record=i3, date=D(2026, 5, 5), reason="billed in error")
    assert SupplyHold.objects.get(customer=dunned.c3).released_on is None

    body = get(api_for(people.finance), "reports/holds?as_of=2026-05-31").json()

    assert [(r["customer"], r["released_on"]) for r in body["rows"]] == [
        ("C1", "2026-04-25"),
        ("C3", "2026-05-05"),
    ]


def test_it_reports_no_holds_before_the_first(people, dunned, api_for):
    body = get(api_for(people.finance), "reports/holds?as_of=2026-04-16").json()

    assert body["rows"] == []


@pytest.mark.parametrize(
    ("persona", "customers"),
    [
        ("sales1", ["C1"]),
        ("sales2", []),
        ("manager1", ["C1"]),
        ("sales3", ["C3"]),
        ("manager2", ["C3"]),
        ("supply", ["C1", "C3"]),
        ("nobody", []),
    ],
)
def test_it_reports_only_the_holds_the_caller_may_see(persona, customers, people, dunned, api_for):
    body = get(api_for(getattr(people, persona)), "reports/holds?as_of=2026-04-30").json()

    assert [row["customer"] for row in body["rows"]] == customers
