"""Money typed into a page or a workbook is a plain ASCII decimal: "1,2,3.00" is not
123.00, and Arabic-Indic digits are not digits here. The workbook still folds
full-width digits ("４，４１０．００") to ASCII first, as FORMATS.md asks."""

from decimal import Decimal

import pytest

from salesdesk.customers.models import Project
from salesdesk.ledger.models import Invoice, Payment
from salesdesk.pipeline.models import Opportunity
from tests.factories import CustomerFactory, ProjectFactory

HOSTILE = ["1,2,3.00", "١٢٣", "۱۲۳", "1e3", "NaN", "12,34"]


@pytest.fixture
def project(people):
    customer = CustomerFactory(code="C1", owner=people.sales1)
    return ProjectFactory(code="P1", customer=customer, payment_terms_days=30)


@pytest.mark.parametrize("amount", HOSTILE)
def test_the_payment_page_refuses_an_amount_that_is_not_a_plain_decimal(
    people, project, page_for, amount
):
    data = {"payment-reference": "R1", "payment-date": "2026-11-01",
            "payment-amount": amount, "payment-method": "bank"}  # fmt: skip

    response = page_for(people.finance).post("/projects/P1/payments/new/", data)

    assert response.status_code == 200
    assert f"{amount} is not a number." in response.context["form"].errors["amount"]
    assert not Payment.objects.exists()


def test_the_invoice_page_still_takes_thousands_separators(people, project, page_for):
    data = {"invoice-number": "I1", "invoice-date": "2026-11-01", "invoice-amount": "1,234.50"}

    page_for(people.finance).post("/projects/P1/invoices/new/", data)

    assert Invoice.objects.get(number="I1").amount == Decimal("1234.50")


@pytest.mark.parametrize("value", ["١٢٣", "1,2,3.00"])
def test_the_opportunity_form_refuses_a_value_that_is_not_a_plain_decimal(
    people, project, page_for, value
):
    data = {"customer": "C1", "name": "二期", "stage": "lead", "value": value}

    response = page_for(people.sales1).post("/opportunities/new/", data)

    assert response.status_code == 200
    assert response.context["form"].errors["value"]
    assert not Opportunity.objects.exists()


def test_the_project_form_refuses_a_credit_limit_in_arabic_indic_digits(people, project, page_for):
    data = {"name": "望京工程", "status": "active", "credit_limit": "١٢٣"}

    response = page_for(people.admin).post("/projects/P1/edit/", data)

    assert response.status_code == 200
    assert response.context["form"].errors["credit_limit"]
    assert Project.objects.get(code="P1").credit_limit is None
