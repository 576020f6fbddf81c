"""Project balances, the aging report and the order gate over HTTP, with figures worked
out by hand from DOMAIN §5 and §6."""

import datetime as dt
import re

import pytest

from salesdesk.customers.choices import CustomerStatus, ProjectStatus
from salesdesk.customers.models import Project
from salesdesk.ledger.reports import aging_report
from tests.factories import CustomerFactory, PlantFactory, ProjectFactory
from tests.ledger.builders import make_ledger, post_invoice, post_payment

D = dt.date
BUCKETS = ["not_due", "1-30", "31-60", "61-90", "91-180", "181-365", "365+"]
MONEY = re.compile(r"^-?\d+\.\d{2}$")


@pytest.fixture
def ledger(people):
    return make_ledger(people)


@pytest.fixture
def billed(ledger):
    """P1 (terms 30): I1 1000.00 on 01-01 (due 01-31), I2 500.00 on 02-01 (due 03-03);
    one payment of 1200.00 on 02-10."""
    post_invoice(ledger.p1, "I1", D(2026, 1, 1), "1000.00")
    post_invoice(ledger.p1, "I2", D(2026, 2, 1), "500.00")
    post_payment(ledger.p1, "R1", D(2026, 2, 10), "1200.00")
    return ledger


# Balance -----------------------------------------------------------------------------


def test_it_settles_the_older_invoice_first_and_ages_the_rest(people, billed, api_for):
    body = api_for(people.sales1).get("/api/v1/projects/P1/balance?as_of=2026-03-31").json()

    assert body["project"] == "P1"
    assert body["customer"] == "C1"
    assert body["as_of"] == "2026-03-31"
    assert (body["billed"], body["paid"], body["outstanding"]) == ("1500.00", "1200.00", "300.00")
    assert body["overdue"] == "300.00"  # I2 is 28 days past due
    assert body["credit"] == "0.00"
    assert body["collection_ratio"] == "0.8000"  # 1200 / 1500
    assert body["buckets"] == dict.fromkeys(BUCKETS, "0.00") | {"1-30": "300.00"}
    assert body["invoices"] == [
        {
            "number": "I1",
            "date": "2026-01-01",
            "due_date": "2026-01-31",
            "amount": "1000.00",
            "settled": "1000.00",
            "unsettled": "0.00",
            "days_past_due": 59,
        },
        {
            "number": "I2",
            "date": "2026-02-01",
            "due_date": "2026-03-03",
            "amount": "500.00",
            "settled": "200.00",
            "unsettled": "300.00",
            "days_past_due": 28,
        },
    ]


def test_it_shows_a_balance_as_of_a_past_date_without_later_records(people, billed, api_for):
    body = api_for(people.finance).get("/api/v1/projects/P1/balance?as_of=2026-02-05").json()

    # The payment of 02-10 had not come: I1 is 5 days past due, I2 not due yet.
    assert (body["billed"], body["paid"], body["outstanding"]) == ("1500.00", "0.00", "1500.00")
    assert body["overdue"] == "1000.00"
    assert body["buckets"]["1-30"] == "1000.00"
    assert body["buckets"]["not_due"] == "500.00"
    assert body["collection_ratio"] == "0.0000"
    assert [row["days_past_due"] for row in body["invoices"]] == [5, -26]


def test_it_reports_overpayment_as_credit_and_a_ratio_of_one(people, billed, api_for):
    post_payment(billed.p1, "R2", D(2026, 4, 1), "400.00")

    body = api_for(people.finance).get("/api/v1/projects/P1/balance?as_of=2026-04-30").json()

    assert (body["paid"], body["outstanding"], body["overdue"]) == ("1600.00", "0.00", "0.00")
    assert body["credit"] == "100.00"
    assert body["collection_ratio"] == "1.0000"
    assert [row["unsettled"] for row in body["invoices"]] == ["0.00", "0.00"]


def test_it_rounds_the_collection_ratio_down_to_four_decimals(people, ledger, api_for):
    post_invoice(ledger.p1, "I1", D(2026, 1, 1), "3.00")
    post_payment(ledger.p1, "R1", D(2026, 1, 2), "2.00")
    post_invoice(ledger.p3, "I3", D(2026, 1, 1), "30000.00")
    post_payment(ledger.p3, "R3", D(2026, 1, 2), "29999.99")
    api = api_for(people.finance)

    p1 = api.get("/api/v1/projects/P1/balance?as_of=2026-01-31").json()
    p3 = api.get("/api/v1/projects/P3/balance?as_of=2026-01-31").json()

    assert p1["collection_ratio"] == "0.6666"
    assert p3["collection_ratio"] == "0.9999"  # one cent owed is not 100%


def test_it_answers_zeros_and_a_null_ratio_for_a_project_with_nothing_billed(
    people, ledger, api_for
):
    body = api_for(people.sales1).get("/api/v1/projects/P1/balance?as_of=2026-01-31").json()

    assert (body["billed"], body["paid"], body["outstanding"], body["credit"]) == (
        "0.00",
        "0.00",
        "0.00",
        "0.00",
    )
    assert body["collection_ratio"] is None
    assert body["buckets"] == dict.fromkeys(BUCKETS, "0.00")
    assert body["invoices"] == []


def test_it_answers_404_for_the_balance_of_another_teams_project(people, billed, api_for):
    assert api_for(people.sales1).get("/api/v1/projects/P3/balance").status_code == 404
    assert api_for(people.manager2).get("/api/v1/projects/P1/balance").status_code == 404
    assert api_for(people.manager1).get("/api/v1/projects/P1/balance").status_code == 200
    assert api_for(people.finance).get("/api/v1/projects/NOPE/balance").status_code == 404


def test_it_defaults_the_balance_to_today(people, billed, api_for):
    body = api_for(people.sales1).get("/api/v1/projects/P1/balance").json()

    assert body["as_of"] == dt.date.today().isoformat()


# Aging -------------------------------------------------------------------------------


@pytest.fixture
def aged(billed):
    post_invoice(billed.p3, "I3", D(2026, 1, 1), "700.00")  # due 01-31
    return billed


def test_it_answers_the_aging_envelope_of_formats_md(people, aged, api_for):
    body = api_for(people.finance).get("/api/v1/reports/aging?as_of=2026-03-31").json()

    assert list(body) == ["report", "as_of", "generated_at", "rows", "totals"]
    assert body["report"] == "aging"
    assert body["as_of"] == "2026-03-31"
    assert dt.datetime.fromisoformat(body["generated_at"])
    assert [row["project"] for row in body["rows"]] == ["P1", "P3"]
    for row in body["rows"]:
        assert {"customer", "project", "outstanding", "buckets", "credit"} <= set(row)
        assert list(row["buckets"]) == BUCKETS
        for value in [row["outstanding"], row["credit"], *row["buckets"].values()]:
            assert MONEY.match(value), value
    p3 = body["rows"][1]
    assert p3["customer"] == "C3"
    assert p3["outstanding"] == "700.00"
    assert p3["buckets"]["31-60"] == "700.00"  # 59 days past due
    assert body["totals"]["outstanding"] == "1000.00"
    assert body["totals"]["buckets"]["1-30"] == "300.00"
    assert body["totals"]["buckets"]["31-60"] == "700.00"


def test_it_answers_exactly_what_the_report_builder_makes(people, aged, api_for):
    body = api_for(people.finance).get("/api/v1/reports/aging?as_of=2026-03-31").json()

    expected = aging_report(as_of=D(2026, 3, 31), projects=Project.objects.all()).envelope()
    body.pop("generated_at")
    expected.pop("generated_at")
    assert body == expected


@pytest.mark.parametrize(
    ("persona", "projects"),
    [
        ("sales1", ["P1"]),
        ("sales2", []),
        ("sales3", ["P3"]),
        ("manager1", ["P1"]),
        ("manager2", ["P3"]),
        ("legal", ["P1", "P3"]),
    ],
)
def test_it_lists_in_aging_only_the_projects_the_caller_may_see(
    persona, projects, people, aged, api_for
):
    body = api_for(getattr(people, persona)).get("/api/v1/reports/aging?as_of=2026-03-31").json()

    assert [row["project"] for row in body["rows"]] == projects
    expected_total = {"P1": 300, "P3": 700}
    assert body["totals"]["outstanding"] == f"{sum(expected_total[p] for p in projects)}.00"


def test_it_filters_aging_by_owner_tier_and_plant(people, aged, api_for):
    other_plant = PlantFactory(code="PL02")
    customer = CustomerFactory(code="C4", owner=people.sales1, tier="strategic")
    project = ProjectFactory(code="P4", customer=customer, plant=other_plant)
    post_invoice(project, "I4", D(2026, 3, 1), "50.00")
    api = api_for(people.admin)

    def projects(query):
        body = api.get(f"/api/v1/reports/aging?as_of=2026-03-31&{query}").json()
        return [row["project"] for row in body["rows"]]

    assert projects("owner=sales1") == ["P1", "P4"]
    assert projects("owner=sales3") == ["P3"]
    assert projects("tier=general") == ["P3"]
    assert projects("tier=strategic") == ["P4"]
    assert projects("plant=PL02") == ["P4"]
    assert projects("plant=PL01&owner=sales1") == ["P1"]
    assert api.get("/api/v1/reports/aging?tier=gold").status_code == 422


def test_it_defaults_aging_to_today(people, aged, api_for):
    body = api_for(people.finance).get("/api/v1/reports/aging").json()

    assert body["as_of"] == dt.date.today().isoformat()


# The order gate ----------------------------------------------------------------------


def gate(api, query):
    return api.get(f"/api/v1/gate?{query}")


def test_it_allows_a_customer_in_good_standing(people, ledger, api_for):
    response = gate(api_for(people.supply), "customer=C1&project=P1&as_of=2026-03-31")

    assert response.status_code == 200
    assert response.json() == {
        "allowed": True,
        "verdict": "allowed",
        "reasons": [],
        "customer": "C1",
        "project": "P1",
        "as_of": "2026-03-31",
    }


def test_it_blocks_a_blacklisted_customer(people, ledger, api_for):
    ledger.c1.status = CustomerStatus.BLACKLISTED
    ledger.c1.save()

    body = gate(api_for(people.supply), "customer=C1").json()

    assert body["allowed"] is False
    assert body["project"] is None
    assert [reason["code"] for reason in body["reasons"]] == ["blacklisted"]
    assert body["verdict"] == "blocked: customer C1 is blacklisted"


def test_it_blocks_a_project_in_legal_recovery(people, ledger, api_for):
    Project.objects.filter(pk=ledger.p1.pk).update(status=ProjectStatus.LEGAL)

    body = gate(api_for(people.supply), "customer=C1&project=P1").json()

    assert body["allowed"] is False
    assert [reason["code"] for reason in body["reasons"]] == ["legal"]
    assert body["verdict"].startswith("blocked: project P1 is in legal recovery")


def test_it_blocks_a_delivery_that_would_take_the_project_over_its_credit_limit(
    people, billed, api_for
):
    # Outstanding on 2026-03-31 is 300.00 (see the balance test); the limit is 1000.00.
    Project.objects.filter(pk=billed.p1.pk).update(credit_limit="1000.00")
    api = api_for(people.sales1)
    query = "customer=C1&project=P1&as_of=2026-03-31"

    at_limit = gate(api, f"{query}&amount=700.00").json()
    over = gate(api, f"{query}&amount=700.01").json()

    assert at_limit["allowed"] is True
    assert over["allowed"] is False
    assert [reason["code"] for reason in over["reasons"]] == ["credit_limit"]
    assert "300.00" in over["reasons"][0]["message"]
    assert "700.01" in over["reasons"][0]["message"]


def test_it_allows_a_project_exactly_at_its_limit_with_amount_zero_and_blocks_above(
    people, billed, api_for
):
    api = api_for(people.supply)
    query = "customer=C1&project=P1&as_of=2026-03-31"

    Project.objects.filter(pk=billed.p1.pk).update(credit_limit="300.00")
    at_limit = gate(api, f"{query}&amount=0").json()
    Project.objects.filter(pk=billed.p1.pk).update(credit_limit="299.99")
    over = gate(api, query).json()

    assert at_limit["allowed"] is True
    assert over["allowed"] is False
    assert over["reasons"][0]["code"] == "credit_limit"


def test_it_lists_every_reason_that_blocks(people, billed, api_for):
    billed.c1.status = CustomerStatus.BLACKLISTED
    billed.c1.save()
    Project.objects.filter(pk=billed.p1.pk).update(status=ProjectStatus.LEGAL, credit_limit="1.00")

    body = gate(api_for(people.supply), "customer=C1&project=P1&as_of=2026-03-31").json()

    assert [reason["code"] for reason in body["reasons"]] == [
        "blacklisted",
        "legal",
        "credit_limit",
    ]
    assert body["verdict"].count(";") == 2


def test_it_answers_422_for_a_project_not_of_the_customer(people, ledger, api_for):
    response = gate(api_for(people.supply), "customer=C1&project=P3")

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "project"


@pytest.mark.parametrize("amount", ["-1", "1.001", "lots"])
def test_it_answers_422_for_a_bad_gate_amount(amount, people, ledger, api_for):
    response = gate(api_for(people.supply), f"customer=C1&project=P1&amount={amount}")

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "amount"


def test_it_answers_404_at_the_gate_for_an_unseen_customer_or_project(people, ledger, api_for):
    api = api_for(people.sales1)

    assert gate(api, "customer=C3").status_code == 404
    assert gate(api, "customer=C1&project=P3").status_code == 404
    assert gate(api, "customer=NOPE").status_code == 404
    assert gate(api_for(people.sales3), "customer=C3&project=P3").status_code == 200
