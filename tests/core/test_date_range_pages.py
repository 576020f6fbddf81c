"""Dates typed into a page (query string or form) outside 1900-2200 are refused with a
message naming the range: a form error on the page, or a 400 page where the page has no
form to show it on. Nothing is computed for, or stored with, such a date."""

import datetime as dt

import pytest

from salesdesk.ledger import services as ledger
from salesdesk.ledger.models import Invoice
from tests.clock import TODAY
from tests.factories import CustomerFactory, ProjectFactory

RANGE = "Enter a date between 1900-01-01 and 2200-12-31."


@pytest.fixture
def project(people):
    customer = CustomerFactory(code="C1", owner=people.sales1)
    project = ProjectFactory(code="P1", customer=customer, payment_terms_days=30)
    ledger.invoice_post(
        actor=None, number="I1", project=project, date=TODAY - dt.timedelta(days=40),
        amount="1000.00",
    )  # fmt: skip
    return project


FORM_PAGES = [
    ("/aging/", {"as_of": "9999-12-31"}),
    ("/aging/", {"as_of": "0001-01-01"}),
    ("/projects/P1/", {"as_of": "9999-12-31"}),
    ("/projects/P1/statement/", {"from": "0001-01-01"}),
    ("/projects/P1/statement/", {"to": "9999-12-31"}),
    ("/collections/letters/", {"date_from": "0001-01-01"}),
    ("/collections/letters/", {"date_to": "9999-12-31"}),
    ("/customers/tiering/", {"as_of": "0001-01-01"}),
    ("/customers/tiering/", {"as_of": "9999-12-31"}),
    ("/visits/", {"date_from": "0001-01-01", "date_to": "9999-12-31"}),
]


@pytest.mark.parametrize(("path", "query"), FORM_PAGES)
def test_it_shows_a_form_error_for_a_date_outside_the_range(people, project, page_for, path, query):
    response = page_for(people.admin).get(path, query)

    assert response.status_code == 200
    assert RANGE in response.content.decode()


BAD_REQUEST_PAGES = [
    ("/opportunities/", {"as_of": "9999-12-31"}),
    ("/opportunities/", {"as_of": "0001-01-01"}),
    ("/pipeline/board/", {"as_of": "0001-01-01"}),
    ("/pipeline/conversion/", {"date_from": "0001-01-01"}),
    ("/pipeline/conversion/", {"date_to": "9999-12-31"}),
    ("/customers/tiering/apply/", {"as_of": "0001-01-01"}),
    ("/aging/export.csv", {"as_of": "9999-12-31"}),
    ("/aging/export.xlsx", {"as_of": "0001-01-01"}),
    ("/projects/P1/statement.xlsx", {"from": "0001-01-01"}),
    ("/projects/P1/statement.pdf", {"to": "9999-12-31"}),
]


@pytest.mark.parametrize(("path", "query"), BAD_REQUEST_PAGES)
def test_it_answers_400_naming_the_range_for_a_date_in_the_address(
    people, project, page_for, path, query
):
    response = page_for(people.admin).get(path, query)

    assert response.status_code == 400
    assert RANGE in response.content.decode()


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "0000-13"])
def test_it_refuses_a_month_outside_the_range_on_the_task_and_compliance_pages(
    people, page_for, month
):
    client = page_for(people.admin)

    for path in ("/collections/tasks/", "/visits/compliance/"):
        response = client.get(path, {"month": month})
        assert response.status_code == 200
        assert "Write the month as YYYY-MM." in [str(m) for m in response.context["messages"]]


def test_it_answers_404_for_a_task_letter_of_a_month_outside_the_range(people, page_for):
    response = page_for(people.admin).get("/collections/tasks/9999-12/sales1.pdf")

    assert response.status_code == 404


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_it_refuses_to_post_an_invoice_dated_outside_the_range(people, project, page_for, day):
    finance = people.finance
    response = page_for(finance).post(
        "/projects/P1/invoices/new/",
        {"invoice-number": "I2", "invoice-date": day, "invoice-amount": "10.00"},
    )

    assert response.status_code == 200
    assert RANGE in response.content.decode()
    assert not Invoice.objects.filter(number="I2").exists()


def test_it_refuses_a_project_starting_outside_the_range(people, project, page_for):
    response = page_for(people.admin).post(
        "/projects/P1/edit/", {"name": "望京工程", "status": "active", "started_on": "0001-01-01"}
    )

    assert response.status_code == 200
    assert RANGE in response.content.decode()
    project.refresh_from_db()
    assert project.started_on != dt.date(1, 1, 1)


def test_it_shows_the_range_message_in_chinese(people, project, client_for):
    client = client_for(people.admin)
    client.cookies["django_language"] = "zh-hans"

    response = client.get(
        "/opportunities/", {"as_of": "9999-12-31"}, headers={"Accept-Language": "zh-hans"}
    )

    assert response.status_code == 400
    assert "1900-01-01" in response.content.decode()
    assert RANGE not in response.content.decode()
