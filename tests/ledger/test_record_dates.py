"""Dates of money records (DOMAIN §5): a delivery, invoice, payment or expense lies between
the company's start (policy `company.start_date`) and today, on the page, the API and the
import; a due date may be later."""

import datetime as dt
from pathlib import Path

import pytest

from salesdesk.core.services import policy_update
from salesdesk.ledger.models import Delivery, Expense, Invoice, Payment
from tests.clock import TODAY
from tests.factories import CustomerFactory, PlantFactory, ProductFactory, ProjectFactory
from tests.imports.builders import run_import, write_xlsx

TOMORROW = TODAY + dt.timedelta(days=1)
FAR = "9999-12-31"  # outside the dates any input may carry (1900-2200)
LATE = "2100-01-01"  # a valid date, but after today


@pytest.fixture
def book(people):
    plant = PlantFactory(code="PL01", name="一号站")
    ProductFactory()
    customer = CustomerFactory(code="C1", owner=people.sales1)
    ProjectFactory(code="P1", customer=customer, plant=plant)


BODIES = {
    "deliveries": {"ticket": "T1", "project": "P1", "product": "C30", "quantity": "1",
                   "unit_price": "400"},
    "invoices": {"number": "I1", "project": "P1", "amount": "100"},
    "payments": {"reference": "R1", "project": "P1", "amount": "100"},
    "expenses": {"reference": "E1", "salesperson": "sales1", "amount": "100"},
}  # fmt: skip
MODELS = {"deliveries": Delivery, "invoices": Invoice, "payments": Payment, "expenses": Expense}


@pytest.mark.parametrize("kind", BODIES)
@pytest.mark.parametrize("day", [FAR, TOMORROW.isoformat(), "1999-12-31"])
def test_the_api_refuses_a_money_record_dated_outside_the_companys_time(
    kind, day, people, book, api_for
):
    response = api_for(people.admin).post(
        f"/api/v1/{kind}", BODIES[kind] | {"date": day}, content_type="application/json"
    )

    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["field"] == "date"
    assert day in detail["message"]
    assert not MODELS[kind].objects.exists()


@pytest.mark.parametrize("kind", BODIES)
def test_the_api_takes_a_record_dated_today(kind, people, book, api_for):
    response = api_for(people.admin).post(
        f"/api/v1/{kind}", BODIES[kind] | {"date": TODAY.isoformat()},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201


def test_an_invoice_may_fall_due_after_today(people, book, api_for):
    response = api_for(people.finance).post(
        "/api/v1/invoices", BODIES["invoices"] | {"date": TODAY.isoformat(), "due_date": LATE},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json()["due_date"] == LATE


def test_a_due_date_outside_1900_2200_is_refused(people, book, api_for):
    response = api_for(people.finance).post(
        "/api/v1/invoices", BODIES["invoices"] | {"date": TODAY.isoformat(), "due_date": FAR},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422
    assert "due_date" in str(response.json()["detail"])
    assert not Invoice.objects.exists()


PAGE_FORMS = {
    "deliveries": {"delivery-ticket": "T1", "delivery-product": "C30", "delivery-quantity": "1",
                   "delivery-unit": "m3", "delivery-unit_price": "400"},
    "invoices": {"invoice-number": "I1", "invoice-amount": "100"},
    "payments": {"payment-reference": "R1", "payment-amount": "100", "payment-method": "bank"},
}  # fmt: skip
PREFIX = {"deliveries": "delivery", "invoices": "invoice", "payments": "payment"}


@pytest.mark.parametrize("path", PAGE_FORMS)
@pytest.mark.parametrize(
    ("day", "message"),
    [(FAR, "between 1900-01-01 and 2200-12-31"), (LATE, "after today"),
     (TOMORROW.isoformat(), "after today")],
)  # fmt: skip
def test_the_page_refuses_a_money_record_dated_after_today(
    path, day, message, people, book, page_for
):
    data = PAGE_FORMS[path] | {f"{PREFIX[path]}-date": day}
    response = page_for(people.admin).post(f"/projects/P1/{path}/new/", data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["date"])
    assert not MODELS[path].objects.exists()


def test_the_import_refuses_money_records_dated_outside_the_companys_time_naming_the_column(
    people, book, tmp_path: Path
):
    sheets = {
        "deliveries": [
            ["ticket", "project", "date", "product", "quantity", "unit_price"],
            ["T1", "P1", FAR, "C30", "1", "400"],
        ],
        "invoices": [["number", "project", "date", "amount"], ["I1", "P1", LATE, "100"]],
        "payments": [["reference", "project", "date", "amount"], ["R1", "P1", "1999-01-01", "100"]],
        "expenses": [
            ["reference", "salesperson", "date", "amount"],
            ["E1", "sales1", TOMORROW.isoformat(), "100"],
        ],
    }

    outcome = run_import(write_xlsx(tmp_path / "book.xlsx", sheets))

    assert outcome.code == 2
    lines = outcome.err_lines
    assert any(
        line.startswith(
            "sheet deliveries row 2 column date: 9999-12-31 is outside 1900-01-01 to 2200-12-31"
        )
        for line in lines
    )
    assert any(
        line.startswith(f"sheet invoices row 2 column date: The date {LATE} is after today")
        for line in lines
    )
    assert any(
        line.startswith(
            "sheet payments row 2 column date: The date 1999-01-01 is before the company's start (2000-01-01)"
        )
        for line in lines
    )
    assert any(
        line.startswith(
            f"sheet expenses row 2 column date: The date {TOMORROW.isoformat()} is after today"
        )
        for line in lines
    )
    assert not Delivery.objects.exists() and not Invoice.objects.exists()


def test_the_company_start_is_policy(people, book, api_for):
    policy_update(actor=people.admin, values={"company.start_date": "2020-01-01"},
               effective_from=dt.date(2000, 1, 1), reason="founded 2020")  # fmt: skip
    api = api_for(people.finance)

    before = api.post("/api/v1/payments", BODIES["payments"] | {"date": "2019-12-31"},
                      content_type="application/json")  # fmt: skip
    after = api.post("/api/v1/payments", BODIES["payments"] | {"date": "2020-01-01"},
                     content_type="application/json")  # fmt: skip

    assert before.status_code == 422
    assert "before the company's start (2020-01-01)" in before.json()["detail"][0]["message"]
    assert after.status_code == 201


def test_a_reversal_cannot_be_dated_after_today(people, book, api_for):
    api = api_for(people.finance)
    api.post("/api/v1/payments", BODIES["payments"] | {"date": TODAY.isoformat()},
             content_type="application/json")  # fmt: skip

    far = api.post("/api/v1/payments/R1/reversal", {"date": FAR, "reason": "typo"},
                   content_type="application/json")  # fmt: skip
    today = api.post("/api/v1/payments/R1/reversal", {"date": TODAY.isoformat(), "reason": "x"},
                     content_type="application/json")  # fmt: skip

    assert far.status_code == 422
    assert today.status_code == 201
