"""The ledger over HTTP: posting money records, lists and details, reversals.

Posting is idempotent by natural key (201, then 200 for the identical record, 409 for
other content); money comes in as a string or a number and goes out as a string with two
decimals; every read is scoped to the caller (sales1 sees P1, never sales3's P3).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from salesdesk.ledger import services
from salesdesk.ledger.models import Delivery, Expense, Invoice, Payment
from tests.ledger.builders import make_ledger, post, post_delivery, post_invoice, post_payment

D = dt.date


@pytest.fixture
def ledger(people):
    return make_ledger(people)


# Every endpoint refuses an anonymous caller -------------------------------------------

ENDPOINTS = [
    ("post", "/api/v1/deliveries"),
    ("post", "/api/v1/invoices"),
    ("post", "/api/v1/payments"),
    ("post", "/api/v1/expenses"),
    ("get", "/api/v1/deliveries"),
    ("get", "/api/v1/deliveries/below-floor"),
    ("get", "/api/v1/deliveries/T1"),
    ("post", "/api/v1/deliveries/T1/reversal"),
    ("post", "/api/v1/deliveries/T1/price-approval"),
    ("get", "/api/v1/invoices"),
    ("get", "/api/v1/invoices/I1"),
    ("post", "/api/v1/invoices/I1/reversal"),
    ("get", "/api/v1/payments"),
    ("get", "/api/v1/payments/R1"),
    ("post", "/api/v1/payments/R1/reversal"),
    ("get", "/api/v1/projects/P1/balance"),
    ("get", "/api/v1/reports/aging"),
    ("get", "/api/v1/gate?customer=C1"),
    ("get", "/api/v1/floor-prices"),
    ("post", "/api/v1/floor-prices"),
    ("get", "/api/v1/projects/P1/asset-offsets"),
    ("post", "/api/v1/projects/P1/asset-offsets"),
    ("get", "/api/v1/asset-offsets/1"),
    ("post", "/api/v1/asset-offsets/1/appraise"),
    ("post", "/api/v1/asset-offsets/1/accept"),
    ("post", "/api/v1/asset-offsets/1/reject"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_it_answers_401_to_an_anonymous_caller(method, path, ledger):
    response = getattr(Client(), method)(path, {}, content_type="application/json")
    assert response.status_code == 401


# Posting -----------------------------------------------------------------------------

INVOICE = {"number": "INV-1", "project": "P1", "date": "2026-01-10", "amount": "1000.00"}
PAYMENT = {"reference": "BANK-1", "project": "P1", "date": "2026-01-20", "amount": "400.00"}
DELIVERY = {
    "ticket": "T-1",
    "project": "P1",
    "date": "2026-01-05",
    "product": "C30",
    "quantity": "12.5",
    "unit_price": "385.50",
}
EXPENSE = {
    "reference": "EXP-1",
    "salesperson": "sales1",
    "project": "P1",
    "date": "2026-01-15",
    "amount": "88.80",
    "category": "travel",
}
KINDS = {
    "deliveries": (DELIVERY, Delivery, {"quantity": "13"}),
    "invoices": (INVOICE, Invoice, {"amount": "1000.01"}),
    "payments": (PAYMENT, Payment, {"date": "2026-01-21"}),
    "expenses": (EXPENSE, Expense, {"category": "meals"}),
}


def test_it_posts_an_invoice_with_its_due_date_from_the_project_terms(people, ledger, api_for):
    response = post(api_for(people.finance), "invoices", INVOICE)

    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "INV-1"
    assert body["project"] == "P1"
    assert body["customer"] == "C1"
    assert body["due_date"] == "2026-02-09"
    assert body["amount"] == "1000.00"
    assert body["posted_by"] == "finance"
    assert body["reversal"] is None


def test_it_posts_a_delivery_priced_at_quantity_times_unit_price(people, ledger, api_for):
    response = post(api_for(people.supply), "deliveries", DELIVERY)

    assert response.status_code == 201
    body = response.json()
    assert body["quantity"] == "12.500"
    assert body["unit_price"] == "385.50"
    assert body["amount"] == "4818.75"
    assert body["plant"] == "PL01"  # the project's plant
    assert body["floor_price"] is None
    assert body["price_approval"] is None


def test_it_posts_a_payment_and_an_expense(people, ledger, api_for):
    api = api_for(people.finance)

    payment = post(api, "payments", {**PAYMENT, "method": "bill"})
    expense = post(api, "expenses", EXPENSE)

    assert payment.status_code == 201
    assert payment.json()["method"] == "bill"
    assert payment.json()["amount"] == "400.00"
    assert expense.status_code == 201
    assert expense.json() == {
        "reference": "EXP-1",
        "salesperson": "sales1",
        "project": "P1",
        "date": "2026-01-15",
        "amount": "88.80",
        "category": "travel",
        "posted_by": "finance",
        "reversal": None,
    }


def test_it_accepts_money_as_a_json_number_and_answers_with_a_string(people, ledger, api_for):
    response = post(api_for(people.finance), "invoices", {**INVOICE, "amount": 1234.5})

    assert response.status_code == 201
    assert response.json()["amount"] == "1234.50"
    assert Invoice.objects.get(number="INV-1").amount == Decimal("1234.50")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_it_posts_each_record_once_and_answers_200_to_the_identical_repeat(
    kind, people, ledger, api_for
):
    body, model, _change = KINDS[kind]
    api = api_for(people.admin)

    first = post(api, kind, body)
    again = post(api, kind, body)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert model.objects.count() == 1


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_it_answers_409_to_the_same_key_with_other_content(kind, people, ledger, api_for):
    body, model, change = KINDS[kind]
    api = api_for(people.admin)
    post(api, kind, body)

    response = post(api, kind, {**body, **change})

    assert response.status_code == 409
    assert next(iter(change)) in response.json()["detail"]
    assert model.objects.count() == 1


def test_it_treats_the_same_amount_written_differently_as_the_same_payment(people, ledger, api_for):
    api = api_for(people.finance)
    assert post(api, "payments", PAYMENT).status_code == 201

    assert post(api, "payments", {**PAYMENT, "amount": 400}).status_code == 200
    assert post(api, "payments", {**PAYMENT, "amount": "400.0"}).status_code == 200
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "persona"),
    [
        ("deliveries", "sales1"),
        ("deliveries", "manager1"),
        ("invoices", "sales1"),
        ("invoices", "supply"),
        ("payments", "sales1"),
        ("payments", "manager1"),
        ("payments", "marketing"),
        ("expenses", "sales1"),
        ("expenses", "supply"),
    ],
)
def test_it_refuses_posts_by_roles_that_may_not_post_them(kind, persona, people, ledger, api_for):
    body, model, _change = KINDS[kind]

    response = post(api_for(getattr(people, persona)), kind, body)

    assert response.status_code == 403
    assert model.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "100.005", "decimal places"),
        ("amount", 100.005, "decimal places"),
        ("amount", "-5.00", "greater than zero"),
        ("amount", "0", "greater than zero"),
        ("amount", "abc", "not a number"),
        ("amount", "NaN", "not a number"),
    ],
)
def test_it_refuses_a_bad_amount_with_422_naming_the_field(
    field, value, message, people, ledger, api_for
):
    response = post(api_for(people.finance), "payments", {**PAYMENT, field: value})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["field"] == field
    assert message in error["message"]
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("kind", "change", "field"),
    [
        ("payments", {"amount": "1e13"}, "amount"),
        ("payments", {"amount": "10000000000000.00"}, "amount"),
        ("invoices", {"amount": 1e17}, "amount"),
        ("deliveries", {"quantity": "1000000000000"}, "quantity"),
        ("deliveries", {"unit_price": "10000000000000"}, "unit_price"),
        ("deliveries", {"quantity": "100000", "unit_price": "100000000.00"}, "unit_price"),
    ],
)
def test_it_refuses_amounts_too_large_for_the_ledger(kind, change, field, people, ledger, api_for):
    body, model, _change = KINDS[kind]

    response = post(api_for(people.admin), kind, {**body, **change})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field
    assert model.objects.count() == 0


def test_it_accepts_the_largest_amount_the_ledger_holds(people, ledger, api_for):
    response = post(api_for(people.finance), "payments", {**PAYMENT, "amount": "9999999999999.99"})

    assert response.status_code == 201
    assert response.json()["amount"] == "9999999999999.99"


def test_it_refuses_a_quantity_with_four_decimals_and_accepts_three(people, ledger, api_for):
    api = api_for(people.supply)

    bad = post(api, "deliveries", {**DELIVERY, "quantity": "1.2345"})
    good = post(api, "deliveries", {**DELIVERY, "quantity": "1.234"})

    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "quantity"
    assert good.status_code == 201
    assert good.json()["quantity"] == "1.234"


def test_it_refuses_a_boolean_where_money_is_expected(people, ledger, api_for):
    response = post(api_for(people.finance), "payments", {**PAYMENT, "amount": True})

    assert response.status_code == 422
    assert Payment.objects.count() == 0


def test_it_answers_422_naming_the_project_for_an_unknown_project(people, ledger, api_for):
    # A project named in a body is a value of the request, not the resource addressed:
    # unknown, it is a validation error (a path naming an unknown record is 404).
    response = post(api_for(people.finance), "payments", {**PAYMENT, "project": "NOPE"})

    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "project", "message": "No project NOPE."}]
    assert Payment.objects.count() == 0


def test_it_answers_422_for_an_unknown_salesperson_or_plant(people, ledger, api_for):
    api = api_for(people.admin)

    expense = post(api, "expenses", {**EXPENSE, "salesperson": "ghost"})
    delivery = post(api, "deliveries", {**DELIVERY, "plant": "PL99"})

    assert expense.status_code == 422
    assert expense.json()["detail"][0]["field"] == "salesperson"
    assert delivery.status_code == 422
    assert delivery.json()["detail"][0]["field"] == "plant"


def test_it_refuses_a_due_date_before_the_invoice_date(people, ledger, api_for):
    response = post(api_for(people.finance), "invoices", {**INVOICE, "due_date": "2026-01-09"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "due_date"


def test_it_refuses_an_offset_payment_posted_directly(people, ledger, api_for):
    response = post(api_for(people.finance), "payments", {**PAYMENT, "method": "offset"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "method"
    assert Payment.objects.count() == 0


def test_it_refuses_an_unknown_payment_method(people, ledger, api_for):
    response = post(api_for(people.finance), "payments", {**PAYMENT, "method": "cash"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "method"


def test_it_refuses_a_blank_key(people, ledger, api_for):
    response = post(api_for(people.finance), "invoices", {**INVOICE, "number": "  "})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "number"


# Lists and details -------------------------------------------------------------------


@pytest.fixture
def records(ledger):
    post_invoice(ledger.p1, "I1", D(2026, 1, 10), "100.00")
    post_invoice(ledger.p1, "I2", D(2026, 2, 10), "200.00")
    post_invoice(ledger.p3, "I3", D(2026, 1, 20), "300.00")
    post_payment(ledger.p1, "R1", D(2026, 2, 1), "50.00")
    post_payment(ledger.p3, "R3", D(2026, 2, 1), "60.00")
    post_delivery(ledger.p1, "T1", D(2026, 1, 5))
    post_delivery(ledger.p3, "T3", D(2026, 1, 6))
    return ledger


LISTS = {"invoices": "number", "payments": "reference", "deliveries": "ticket"}
SEEN = {
    "sales1": {"invoices": {"I1", "I2"}, "payments": {"R1"}, "deliveries": {"T1"}},
    "manager1": {"invoices": {"I1", "I2"}, "payments": {"R1"}, "deliveries": {"T1"}},
    "sales3": {"invoices": {"I3"}, "payments": {"R3"}, "deliveries": {"T3"}},
    "sales2": {"invoices": set(), "payments": set(), "deliveries": set()},
    "finance": {
        "invoices": {"I1", "I2", "I3"},
        "payments": {"R1", "R3"},
        "deliveries": {"T1", "T3"},
    },
    "supply": {
        "invoices": {"I1", "I2", "I3"},
        "payments": {"R1", "R3"},
        "deliveries": {"T1", "T3"},
    },
}


@pytest.mark.parametrize("persona", sorted(SEEN))
@pytest.mark.parametrize("kind", sorted(LISTS))
def test_it_lists_only_the_records_of_projects_the_caller_may_see(
    kind, persona, people, records, api_for
):
    response = api_for(getattr(people, persona)).get(f"/api/v1/{kind}")

    assert response.status_code == 200
    body = response.json()
    assert {item[LISTS[kind]] for item in body["items"]} == SEEN[persona][kind]
    assert body["count"] == len(SEEN[persona][kind])


@pytest.mark.parametrize(
    ("kind", "key"), [("invoices", "I3"), ("payments", "R3"), ("deliveries", "T3")]
)
def test_it_answers_404_for_another_teams_record(kind, key, people, records, api_for):
    api = api_for(people.sales1)

    assert api.get(f"/api/v1/{kind}/{key}").status_code == 404
    assert api_for(people.sales3).get(f"/api/v1/{kind}/{key}").status_code == 200


def test_it_shows_one_invoice_by_number(people, records, api_for):
    body = api_for(people.sales1).get("/api/v1/invoices/I1").json()

    assert body["number"] == "I1"
    assert body["date"] == "2026-01-10"
    assert body["due_date"] == "2026-02-09"
    assert body["amount"] == "100.00"


def test_it_filters_lists_by_project_customer_and_dates(people, records, api_for):
    api = api_for(people.finance)

    def numbers(query):
        return {item["number"] for item in api.get(f"/api/v1/invoices?{query}").json()["items"]}

    assert numbers("project=P3") == {"I3"}
    assert numbers("customer=C1") == {"I1", "I2"}
    assert numbers("date_from=2026-01-15") == {"I2", "I3"}
    assert numbers("date_to=2026-01-20") == {"I1", "I3"}
    assert numbers("date_from=2026-01-11&date_to=2026-01-31&customer=C3") == {"I3"}
    assert numbers("project=NOPE") == set()


def test_it_does_not_widen_a_salespersons_list_by_filtering_for_another_project(
    people, records, api_for
):
    body = api_for(people.sales1).get("/api/v1/invoices?project=P3").json()

    assert body["count"] == 0


def test_it_paginates_and_refuses_a_bad_date_filter(people, records, api_for):
    api = api_for(people.finance)

    page = api.get("/api/v1/invoices?page_size=2&page=2").json()
    bad = api.get("/api/v1/invoices?date_from=yesterday")

    assert (page["count"], page["page"], page["num_pages"], len(page["items"])) == (3, 2, 2, 1)
    assert bad.status_code == 422


def test_it_lists_newest_first(people, records, api_for):
    items = api_for(people.finance).get("/api/v1/invoices").json()["items"]

    assert [item["number"] for item in items] == ["I2", "I3", "I1"]


def test_it_lists_invoices_in_a_constant_number_of_queries(people, ledger, api_for):
    rows = [
        (
            f"Q{n:03d}",
            services.invoice_values(project=project, date=D(2026, 1, 1 + n % 28), amount="10.00"),
        )
        for n, project in enumerate([ledger.p1, ledger.p3] * 60)
    ]
    services.records_post_batch(model=Invoice, key_field="number", rows=rows, actor=people.finance)
    for invoice in Invoice.objects.order_by("-date", "-id")[:3]:  # on the first page
        services.record_reverse(
            actor=people.finance, record=invoice, date=D(2026, 3, 1), reason="x"
        )
    api = api_for(people.finance)
    api.get("/api/v1/invoices?page_size=1")  # the token's first use writes last_used_at

    counts = {}
    for size in (10, 100):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/v1/invoices?page_size={size}")
        items = response.json()["items"]
        assert len(items) == size
        assert sum(item["reversal"] is not None for item in items) == 3
        counts[size] = len(queries)

    # The token and its user, the caller's roles, the COUNT and the page.
    assert counts == {10: 4, 100: 4}


# Reversals ---------------------------------------------------------------------------


def test_it_reverses_an_invoice_and_shows_the_reversal(people, records, api_for):
    api = api_for(people.finance)

    response = post(api, "invoices/I1/reversal", {"date": "2026-03-01", "reason": "wrong amount"})

    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "I1"
    assert body["amount"] == "100.00"  # the record itself stays as posted
    assert body["reversal"]["date"] == "2026-03-01"
    assert body["reversal"]["reason"] == "wrong amount"
    assert body["reversal"]["reversed_by"] == "finance"
    assert api.get("/api/v1/invoices/I1").json()["reversal"]["reason"] == "wrong amount"


def test_it_drops_a_reversed_invoice_from_the_balance_from_its_reversal_date(
    people, records, api_for
):
    api = api_for(people.finance)
    post(api, "invoices/I1/reversal", {"date": "2026-03-01", "reason": "wrong amount"})

    before = api.get("/api/v1/projects/P1/balance?as_of=2026-02-28").json()
    after = api.get("/api/v1/projects/P1/balance?as_of=2026-03-01").json()

    assert before["billed"] == "300.00"
    assert after["billed"] == "200.00"
    assert [row["number"] for row in after["invoices"]] == ["I2"]


@pytest.mark.parametrize(
    ("path", "key"), [("payments", "R1"), ("deliveries", "T1"), ("invoices", "I2")]
)
def test_it_reverses_payments_deliveries_and_invoices_as_admin(path, key, people, records, api_for):
    response = post(
        api_for(people.admin), f"{path}/{key}/reversal", {"date": "2026-03-01", "reason": "error"}
    )

    assert response.status_code == 201
    assert response.json()["reversal"]["reversed_by"] == "admin"


@pytest.mark.parametrize("persona", ["sales1", "manager1", "supply", "marketing"])
@pytest.mark.parametrize(
    ("path", "key"), [("payments", "R1"), ("deliveries", "T1"), ("invoices", "I1")]
)
def test_it_refuses_reversals_by_anyone_but_finance_and_admin(
    path, key, persona, people, records, api_for
):
    response = post(
        api_for(getattr(people, persona)),
        f"{path}/{key}/reversal",
        {"date": "2026-03-01", "reason": "error"},
    )

    assert response.status_code == 403
    assert api_for(people.finance).get(f"/api/v1/{path}/{key}").json()["reversal"] is None


def test_it_answers_404_to_a_reversal_of_an_unseen_record(people, records, api_for):
    response = post(
        api_for(people.sales1), "invoices/I3/reversal", {"date": "2026-03-01", "reason": "x"}
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-01-01", "reason": "too early"}, "date"),
        ({"date": "2026-03-01", "reason": "  "}, "reason"),
    ],
)
def test_it_refuses_a_reversal_dated_before_the_record_or_without_reason(
    body, field, people, records, api_for
):
    response = post(api_for(people.finance), "invoices/I1/reversal", body)

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


def test_it_refuses_to_reverse_a_record_twice(people, records, api_for):
    api = api_for(people.finance)
    post(api, "payments/R1/reversal", {"date": "2026-03-01", "reason": "returned"})

    again = post(api, "payments/R1/reversal", {"date": "2026-03-02", "reason": "returned"})

    assert again.status_code == 422
    assert api.get("/api/v1/payments/R1").json()["reversal"]["date"] == "2026-03-01"


def test_it_reverses_an_expense_once_and_only_for_finance(people, ledger, api_for):
    assert post(api_for(people.finance), "expenses", EXPENSE).status_code == 201
    reversal = {"date": "2026-01-20", "reason": "claimed twice"}

    assert post(api_for(people.sales1), "expenses/EXP-1/reversal", reversal).status_code == 403
    assert post(api_for(people.finance), "expenses/NOPE/reversal", reversal).status_code == 404
    response = post(api_for(people.finance), "expenses/EXP-1/reversal", reversal)
    assert response.status_code == 201
    assert response.json()["reversal"]["date"] == "2026-01-20"
    assert response.json()["reversal"]["reason"] == "claimed twice"
    again = post(api_for(people.finance), "expenses/EXP-1/reversal", reversal)
    assert again.status_code == 422
