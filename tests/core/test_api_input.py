"""Input the API refuses at its edge with 422 naming the field, before any service or
database sees it: text longer than its column, dates outside 1900-2200, money not
written as plain ASCII decimals, a project completing before it starts."""

import datetime as dt

import pytest

from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.ledger.models import Payment
from tests.factories import CustomerFactory, ProjectFactory


def fields_of(response) -> set:
    return {error["field"] for error in response.json()["detail"]}


def send(client, method: str, path: str, body: dict):
    return getattr(client, method)(path, body, content_type="application/json")


@pytest.fixture
def c1(people):
    return CustomerFactory(code="C1", owner=people.sales1)


@pytest.fixture
def p1(c1):
    return ProjectFactory(code="P1", customer=c1, owner=c1.owner)


CUSTOMER = {"code": "C9", "name": "Nine", "owner": "sales1"}


@pytest.mark.parametrize(("field", "limit"), [("industry", 100), ("region", 100), ("address", 300)])
def test_it_refuses_customer_text_longer_than_its_column(field, limit, people, api_for):
    client = api_for(people.admin)

    too_long = send(client, "post", "/api/v1/customers", {**CUSTOMER, field: "x" * (limit + 1)})
    just_fits = send(client, "post", "/api/v1/customers", {**CUSTOMER, field: "x" * limit})

    assert (too_long.status_code, fields_of(too_long)) == (422, {field})
    assert just_fits.status_code == 201
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(("field", "limit"), [("title", 100), ("phone", 50), ("email", 254)])
def test_it_refuses_contact_text_longer_than_its_column(field, limit, people, c1, api_for):
    body = {"name": "Wang", field: "x" * (limit + 1)}

    response = send(api_for(people.sales1), "post", "/api/v1/customers/C1/contacts", body)

    assert (response.status_code, fields_of(response)) == (422, {field})
    assert not Contact.objects.exists()


def test_it_refuses_a_contract_number_longer_than_its_column(people, c1, p1, api_for):
    client = api_for(people.sales1)
    long_number = "x" * 51

    created = send(
        client,
        "post",
        "/api/v1/projects",
        {"code": "P2", "customer": "C1", "name": "Two", "contract_no": long_number},
    )
    patched = send(client, "patch", "/api/v1/projects/P1", {"contract_no": long_number})

    assert (created.status_code, fields_of(created)) == (422, {"contract_no"})
    assert (patched.status_code, fields_of(patched)) == (422, {"contract_no"})


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/reports/aging?as_of={day}",
        "/api/v1/reports/letters?as_of={day}",
        "/api/v1/reports/holds?as_of={day}",
        "/api/v1/reports/pipeline?as_of={day}",
        "/api/v1/reports/tiers?as_of={day}",
        "/api/v1/tiering/preview?as_of={day}",
        "/api/v1/policy?as_of={day}",
        "/api/v1/invoices?date_from={day}",
        "/api/v1/letters?date_to={day}",
        "/api/v1/opportunities?as_of={day}",
        "/api/v1/pipeline/conversion?date_from={day}",
        "/api/v1/pipeline/touches-due?as_of={day}",
        "/api/v1/visits?date_from={day}",
        "/api/v1/projects/P1/balance?as_of={day}",
        "/api/v1/gate?customer=C1&as_of={day}",
    ],
)
def test_it_refuses_a_query_date_outside_1900_to_2200(url, day, people, p1, api_for):
    response = api_for(people.admin).get(url.format(day=day))

    assert response.status_code == 422
    field = url.split("?")[1].split("&")[-1].split("=")[0]
    assert field in fields_of(response)
    assert "1900-01-01" in str(response.json())


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "٢٠٢٦-١٢"])
@pytest.mark.parametrize("url", ["/api/v1/visits/compliance", "/api/v1/reports/tasks"])
def test_it_refuses_a_month_outside_the_range(url, month, people, api_for):
    response = api_for(people.admin).get(url, {"month": month})

    assert (response.status_code, fields_of(response)) == (422, {"month"})


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/cycle", {"as_of": "9999-12-31"}, "as_of"),
        ("post", "/api/v1/tiering/apply", {"as_of": "0001-01-01"}, "as_of"),
        (
            "post",
            "/api/v1/invoices",
            {"number": "I1", "project": "P1", "date": "9999-12-31", "amount": "10"},
            "date",
        ),
        (
            "post",
            "/api/v1/invoices",
            {
                "number": "I1",
                "project": "P1",
                "date": "2026-01-01",
                "due_date": "9999-12-31",
                "amount": "10",
            },
            "due_date",
        ),
        (
            "post",
            "/api/v1/payments",
            {"reference": "R1", "project": "P1", "date": "0001-01-01", "amount": "10"},
            "date",
        ),
        ("patch", "/api/v1/projects/P1", {"completed_on": "9999-12-31"}, "completed_on"),
    ],
)
def test_it_refuses_a_body_date_outside_1900_to_2200(
    method, path, body, field, people, p1, api_for
):
    response = send(api_for(people.admin), method, path, body)

    assert response.status_code == 422
    assert field in fields_of(response)


@pytest.mark.parametrize("amount", ["1,2,3.00", "1,234.50", "١٢٣", "１２３", "1_000", " 12"])
def test_it_refuses_money_not_written_as_a_plain_ascii_decimal(amount, people, p1, api_for):
    body = {"reference": "R1", "project": "P1", "date": "2026-01-05", "amount": amount}

    response = send(api_for(people.finance), "post", "/api/v1/payments", body)

    assert (response.status_code, fields_of(response)) == (422, {"amount"})
    assert not Payment.objects.exists()


@pytest.mark.parametrize("value", ["1,2,3.00", "١٢٣", "1_000"])
def test_it_refuses_credit_limits_and_values_not_written_as_plain_decimals(
    value, people, c1, p1, api_for
):
    client = api_for(people.sales1)

    project = send(client, "patch", "/api/v1/projects/P1", {"credit_limit": value})
    opportunity = send(
        client,
        "post",
        "/api/v1/opportunities",
        {"code": "O1", "customer": "C1", "name": "One", "value": value},
    )

    assert (project.status_code, fields_of(project)) == (422, {"credit_limit"})
    assert (opportunity.status_code, fields_of(opportunity)) == (422, {"value"})


def test_it_accepts_a_plain_decimal_amount(people, p1, api_for):
    body = {"reference": "R1", "project": "P1", "date": "2026-01-05", "amount": "123.00"}

    response = send(api_for(people.finance), "post", "/api/v1/payments", body)

    assert response.status_code == 201
    assert response.json()["amount"] == "123.00"


@pytest.mark.parametrize(
    ("stored", "patch", "field"),
    [
        ({"completed_on": dt.date(2026, 4, 1)}, {"started_on": "2026-05-01"}, "started_on"),
        ({"started_on": dt.date(2026, 5, 1)}, {"completed_on": "2026-04-01"}, "completed_on"),
    ],
)
def test_it_refuses_a_patch_that_makes_a_project_complete_before_it_starts(
    stored, patch, field, people, p1, api_for
):
    Project.objects.filter(pk=p1.pk).update(**stored)

    response = send(api_for(people.sales1), "patch", "/api/v1/projects/P1", patch)

    assert (response.status_code, fields_of(response)) == (422, {field})
    assert "before it starts" in response.json()["detail"][0]["message"]


def test_it_gives_malformed_input_both_shapes_of_422(people, api_for):
    response = api_for(people.admin).get("/api/v1/policy?as_of=tomorrow")

    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "as_of"]
    assert error["field"] == "as_of"
    assert error["message"] == error["msg"]
