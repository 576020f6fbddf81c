"""The aging page and its exports, floor prices, and the report of deliveries below floor."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.ledger import services
from salesdesk.ledger.models import Delivery, FloorPrice, PriceApproval
from tests.factories import CustomerFactory, PlantFactory, ProductFactory, ProjectFactory
from tests.ledger.builders import post_invoice, post_payment

D = dt.date
M = Decimal
AS_OF = "2026-03-31"


@pytest.fixture
def books(people):
    """Three projects with 30-day terms, as of 2026-03-31:
    P1 (sales1, strategic, PL01): 1000 due 01-31 → 59 days, 31-60 bucket; overdue 1000.
    P2 (sales2, key, PL02): 300 due 03-03 → 28 days, 1-30; 200 not due; overdue 300.
    P3 (sales3, general, PL01): 5000 due 02-28 → 31 days, 31-60, of which 4000 paid; overdue 1000
        ... plus 600 credit on P4 (sales3), nothing outstanding."""
    pl01, pl02 = PlantFactory(code="PL01", name="一号站"), PlantFactory(code="PL02", name="二号站")

    def project(code, owner, tier, plant):
        customer = CustomerFactory(
            code=f"C{code}", name=f"{code} 测试有限公司", owner=owner, tier=tier
        )
        return ProjectFactory(code=code, customer=customer, plant=plant, name=f"{code} 工程")

    p1 = project("P1", people.sales1, "strategic", pl01)
    p2 = project("P2", people.sales2, "key", pl02)
    p3 = project("P3", people.sales3, "general", pl01)
    p4 = project("P4", people.sales3, "general", pl01)
    post_invoice(p1, "I1", D(2026, 1, 1), "1000.00")
    post_invoice(p2, "I2a", D(2026, 2, 1), "300.00")
    post_invoice(p2, "I2b", D(2026, 3, 20), "200.00")
    post_invoice(p3, "I3", D(2026, 1, 29), "5000.00")
    post_payment(p3, "R3", D(2026, 3, 1), "4000.00")
    post_payment(p4, "R4", D(2026, 3, 1), "600.00")
    post_invoice(p1, "I1-later", D(2026, 4, 5), "777.00")  # after the as-of date
    return SimpleNamespace(pl01=pl01, pl02=pl02, p1=p1, p2=p2, p3=p3, p4=p4)


# Aging -----------------------------------------------------------------------------------


def test_it_lists_aging_for_every_visible_project_most_overdue_first(page_for, people, books):
    response = page_for(people.finance).get(f"/aging/?as_of={AS_OF}")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.row["project"] for row in rows] == ["P1", "P3", "P2", "P4"]
    p1 = rows[0]
    assert p1.overdue == M("1000.00") and p1.row["oldest_days_past_due"] == 59
    assert dict(zip([n for n, _l in response.context["buckets"]], p1.buckets, strict=True)) == {
        "not_due": M("0.00"), "1-30": M("0"), "31-60": M("1000.00"), "61-90": M("0"),
        "91-180": M("0"), "181-365": M("0"), "365+": M("0"),
    }  # fmt: skip
    totals = response.context["totals"]
    assert (totals.outstanding, totals.overdue, totals.credit) == (
        M("2500.00"), M("2300.00"), M("600.00"),
    )  # fmt: skip
    html = response.content.decode()
    for label in ("Not due", "1–30 days", "31–60 days", "Over 365 days", "2,500.00"):
        assert label in html
    # Each project links to its invoices as of the same date.
    assert f'href="/projects/P1/?as_of={AS_OF}#invoices"' in html


def test_it_scopes_aging_to_what_the_user_may_see(page_for, people, books):
    def projects(user):
        rows = page_for(user).get(f"/aging/?as_of={AS_OF}").context["rows"]
        return {row.row["project"] for row in rows}

    assert projects(people.sales1) == {"P1"}
    assert projects(people.manager1) == {"P1", "P2"}
    assert projects(people.manager2) == {"P3", "P4"}
    assert projects(people.nobody) == set()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("owner=sales3", {"P3", "P4"}),
        ("tier=key", {"P2"}),
        ("plant=PL01", {"P1", "P3", "P4"}),
        ("plant=PL01&tier=strategic", {"P1"}),
    ],
)
def test_it_filters_aging_by_owner_tier_and_plant(page_for, people, books, query, expected):
    rows = page_for(people.finance).get(f"/aging/?as_of={AS_OF}&{query}").context["rows"]
    assert {row.row["project"] for row in rows} == expected


def test_it_offers_a_salesperson_only_themselves_as_owner(page_for, people, books):
    form = page_for(people.sales1).get("/aging/").context["form"]
    assert list(form.fields["owner"].queryset) == [people.sales1]
    # Naming someone else's username is not a way around the scope.
    rows = page_for(people.sales1).get(f"/aging/?as_of={AS_OF}&owner=sales3").context["rows"]
    assert rows == [] or {row.row["project"] for row in rows} <= {"P1"}


def test_it_ages_as_of_a_past_date(page_for, people, books):
    rows = page_for(people.finance).get("/aging/?as_of=2026-02-15").context["rows"]
    by_project = {row.row["project"]: row for row in rows}
    assert set(by_project) == {"P1", "P2", "P3"}  # P4's payment comes later
    assert by_project["P1"].buckets[1] == M("1000.00")  # 15 days past due
    assert by_project["P3"].outstanding == M("5000.00")  # before the payment
    assert by_project["P3"].overdue == M("0.00")


def test_it_exports_aging_as_csv_xlsx_and_json_with_the_filters(page_for, people, books):
    from openpyxl import load_workbook

    client = page_for(people.finance)
    query = f"as_of={AS_OF}&plant=PL01"

    document = json.loads(client.get(f"/aging/export.json?{query}").content)
    assert document["report"] == "aging" and document["as_of"] == AS_OF
    assert [row["project"] for row in document["rows"]] == ["P1", "P3", "P4"]
    assert document["totals"]["outstanding"] == "2000.00"
    assert document["rows"][0]["buckets"]["31-60"] == "1000.00"

    response = client.get(f"/aging/export.csv?{query}")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="aging-2026-03-31.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["project"] for row in rows] == ["P1", "P3", "P4"]
    assert rows[1]["customer_name"] == "P3 测试有限公司" and rows[1]["31-60"] == "1000.00"

    response = client.get(f"/aging/export.xlsx?{query}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("customer", "customer_name")
    assert [row[2] for row in values[1:4]] == ["P1", "P3", "P4"]

    assert client.get(f"/aging/export.pdf?{query}").status_code == 404


def test_it_exports_only_what_the_user_may_see(page_for, people, books):
    document = json.loads(page_for(people.sales1).get(f"/aging/export.json?as_of={AS_OF}").content)
    assert [row["project"] for row in document["rows"]] == ["P1"]


def test_it_ages_in_the_same_number_of_queries_whatever_the_number_of_projects(
    page_for, people, books
):
    client = page_for(people.finance)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/aging/?as_of={AS_OF}").status_code == 200
        return len(queries)

    few = count()
    for n in range(5, 12):
        customer = CustomerFactory(owner=people.sales1)
        project = ProjectFactory(code=f"P{n}", customer=customer, plant=books.pl01)
        post_invoice(project, f"I{n}", D(2026, 1, 1), "10.00")
    assert count() == few


def test_it_lists_aging_and_floor_prices_in_the_navigation(page_for, people):
    html = page_for(people.sales1).get("/").content.decode()
    assert 'href="/aging/"' in html and 'href="/floor-prices/"' in html


# Floor prices ---------------------------------------------------------------------------


def test_it_lists_floor_prices_to_everyone_and_lets_only_managers_set_them(page_for, people, db):
    pl02 = PlantFactory(code="PL02", name="二号站")
    c30 = ProductFactory()
    data = {"product": "C30", "plant": "", "price": "420", "effective_from": "2026-01-01"}
    for who in ("sales1", "finance", "supply", "marketing"):
        client = page_for(getattr(people, who))
        page = client.get("/floor-prices/")
        assert page.status_code == 200 and page.context["form"] is None, who
        assert client.post("/floor-prices/", data).status_code == 403, who
    assert not FloorPrice.objects.exists()

    client = page_for(people.manager1)
    assert client.post("/floor-prices/", data).status_code == 302
    assert (
        client.post("/floor-prices/", data | {"plant": pl02.pk, "price": "410"}).status_code == 302
    )
    assert (
        client.post(
            "/floor-prices/", data | {"price": "430", "effective_from": "2026-03-01"}
        ).status_code
        == 302
    )
    rows = {
        (r.price.plant_id, r.price.price): r.state
        for r in client.get("/floor-prices/").context["rows"]
    }
    assert rows == {
        (None, M("430.00")): "in_force" if D.today() >= D(2026, 3, 1) else "scheduled",
        (None, M("420.00")): "superseded" if D.today() >= D(2026, 3, 1) else "in_force",
        (pl02.pk, M("410.00")): "in_force",
    }
    row = FloorPrice.objects.get(price=M("410.00"))
    assert (row.product, row.plant, row.set_by) == (c30, pl02, people.manager1)
    html = client.get("/floor-prices/").content.decode()
    assert "All plants" in html and "二号站" in html and "Manager One" in html


def test_it_shows_floor_price_errors_on_the_form(page_for, people, db):
    ProductFactory()
    data = {"product": "C30", "plant": "", "price": "-1", "effective_from": "2026-01-01"}
    response = page_for(people.admin).post("/floor-prices/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["price"]
    assert not FloorPrice.objects.exists()


# Deliveries below floor -----------------------------------------------------------------


@pytest.fixture
def cheap(people, books):
    """One delivery below floor on P1 (team A) and one on P3 (team B)."""
    ProductFactory()  # C30
    services.floor_price_set(actor=people.manager1, product="C30", price="420",
                             effective_from=D(2026, 1, 1))  # fmt: skip
    deliveries = {}
    for project, ticket in ((books.p1, "T1"), (books.p3, "T3"), (books.p1, "T-ok")):
        price = "450" if ticket == "T-ok" else "400"
        deliveries[ticket] = services.delivery_post(
            actor=None, ticket=ticket, project=project, date=D(2026, 3, 1), product="C30",
            quantity="10", unit_price=price,
        )[0]  # fmt: skip
    return SimpleNamespace(**{ticket.replace("-", "_"): d for ticket, d in deliveries.items()})


def test_it_lists_deliveries_below_floor_for_visible_projects(page_for, people, cheap):
    def tickets(user, query=""):
        page = page_for(user).get(f"/deliveries/below-floor/{query}").context["page"]
        return {d.ticket for d in page.items}

    assert tickets(people.finance) == {"T1", "T3"}
    assert tickets(people.manager1) == {"T1"}
    assert tickets(people.sales3) == {"T3"}
    services.delivery_approve_price(actor=people.manager1, delivery=cheap.T1, reason="首批")
    assert tickets(people.finance, "?state=waiting") == {"T3"}
    assert tickets(people.finance, "?state=approved") == {"T1"}
    html = page_for(people.finance).get("/deliveries/below-floor/").content.decode()
    assert "Waiting for approval" in html and "首批" in html and "Manager One" in html
    assert "20.00" in html  # below the floor by 20.00


def test_it_lets_only_managers_approve_a_price_below_floor(page_for, people, cheap):
    path = f"/deliveries/{cheap.T1.pk}/approve/"
    for who in ("sales1", "finance", "supply"):
        assert page_for(getattr(people, who)).post(path, {"reason": "ok"}).status_code == 403, who
    assert page_for(people.manager2).post(path, {"reason": "ok"}).status_code == 404
    assert not PriceApproval.objects.exists()

    response = page_for(people.manager1).post(
        path, {"reason": "战略客户首批", "next": "/deliveries/below-floor/?state=waiting"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/deliveries/below-floor/?state=waiting"
    approval = PriceApproval.objects.get(delivery=cheap.T1)
    assert (approval.approved_by, approval.reason) == (people.manager1, "战略客户首批")
    html = page_for(people.sales1).get("/projects/P1/").content.decode()
    assert "Approved by Manager One" in html and "战略客户首批" in html


def test_it_refuses_an_approval_without_reason_or_of_a_price_not_below_floor(
    page_for, people, cheap
):
    client = page_for(people.manager1)
    no_reason = client.post(f"/deliveries/{cheap.T1.pk}/approve/", {"reason": ""})
    assert no_reason.status_code == 200 and no_reason.context["form"].errors["reason"]
    not_below = client.post(f"/deliveries/{cheap.T_ok.pk}/approve/", {"reason": "x"})
    assert not_below.status_code == 200
    assert "not below its floor price" in not_below.content.decode()
    external = client.post(f"/deliveries/{cheap.T1.pk}/approve/",
                           {"reason": "ok", "next": "https://evil.example/"})  # fmt: skip
    assert external["Location"] == "/deliveries/below-floor/"


def test_it_shows_who_approved_on_the_project_page_only_to_managers_an_approve_link(
    page_for, people, cheap
):
    link = f"/deliveries/{cheap.T1.pk}/approve/"
    assert link in page_for(people.manager1).get("/projects/P1/").content.decode()
    assert link not in page_for(people.sales1).get("/projects/P1/").content.decode()
    assert Delivery.objects.get(ticket="T1").below_floor
