"""One order gate (DOMAIN §6) for the delivery page, the API, the import's report and
`salesdesk gate`: a delivery that would take the project over its credit limit is refused
with the figures on each edge; a supervisor's override lets one refused delivery through,
audited; the import loads such a delivery (it is the past) and lists it."""

import datetime as dt
import html
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from salesdesk.core.models import AuditEntry
from salesdesk.customers.choices import CustomerStatus, ProjectStatus
from salesdesk.customers.models import Project
from salesdesk.ledger import services
from salesdesk.ledger.models import Delivery, DeliveryOverride
from tests.clock import TODAY
from tests.factories import CustomerFactory, PlantFactory, ProductFactory, ProjectFactory
from tests.imports.builders import run_import, write_xlsx

D = dt.date
YESTERDAY = TODAY - dt.timedelta(days=1)
# Exposure of P1 yesterday: invoice I1 600.00 unsettled + D1 300.00 delivered, not yet invoiced
# = 900.00;
# the limit 1,000.00 leaves 100.00 for one more delivery.
REFUSAL = "outstanding 900.00 (unsettled invoices and deliveries not yet invoiced) + this delivery 400.00 > limit 1000.00"


@pytest.fixture
def limited(people):
    plant = PlantFactory(code="PL01", name="一号站")
    ProductFactory()
    customer = CustomerFactory(code="C1", owner=people.sales1)
    project = ProjectFactory(
        code="P1", customer=customer, plant=plant, credit_limit="1000.00", owner=people.sales1
    )
    services.delivery_post(
        actor=None, ticket="D0", project=project, date=TODAY - dt.timedelta(days=50),
        product="C30", quantity="1", unit_price="600.00",
    )  # fmt: skip
    services.invoice_post(
        actor=None, number="I1", project=project, date=TODAY - dt.timedelta(days=40),
        amount="600.00",
    )  # fmt: skip
    services.delivery_post(
        actor=None, ticket="D1", project=project, date=TODAY - dt.timedelta(days=10),
        product="C30", quantity="1", unit_price="300.00",
    )  # fmt: skip
    return project


def delivery(ticket, unit_price="400.00", date=None):
    return {"ticket": ticket, "project": "P1", "date": (date or YESTERDAY).isoformat(),
            "product": "C30", "quantity": "1", "unit_price": unit_price}  # fmt: skip


def page_delivery(ticket, unit_price="400.00"):
    return {f"delivery-{key}": value for key, value in delivery(ticket, unit_price).items()
            if key != "project"} | {"delivery-unit": "m3"}  # fmt: skip


def test_the_api_refuses_a_delivery_over_the_credit_limit_with_the_figures(
    people, limited, api_for
):
    api = api_for(people.supply)

    over = api.post("/api/v1/deliveries", delivery("T1"), content_type="application/json")
    within = api.post(
        "/api/v1/deliveries", delivery("T2", "100.00"), content_type="application/json"
    )

    assert over.status_code == 422
    detail = over.json()["detail"][0]
    assert detail["field"] == "project"
    assert REFUSAL in detail["message"]
    assert within.status_code == 201
    assert not Delivery.objects.filter(ticket="T1").exists()


def test_the_page_refuses_a_delivery_over_the_credit_limit_with_the_figures(
    people, limited, page_for
):
    response = page_for(people.supply).post("/projects/P1/deliveries/new/", page_delivery("T1"))

    assert response.status_code == 200
    assert REFUSAL in html.unescape(response.content.decode())
    assert not Delivery.objects.filter(ticket="T1").exists()


def test_the_gate_asks_the_same_question_the_posting_does(people, limited, api_for):
    query = f"customer=C1&project=P1&as_of={YESTERDAY.isoformat()}"
    api = api_for(people.supply)

    assert api.get(f"/api/v1/gate?{query}&amount=100.00").json()["allowed"] is True
    body = api.get(f"/api/v1/gate?{query}&amount=400.00").json()

    assert body["verdict"] == (
        "blocked: project P1 outstanding 900.00 + delivery 400.00 exceeds its credit limit 1000.00"
    )
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("gate", "C1", "--project", "P1", "--as-of", YESTERDAY.isoformat(),
                     "--amount", "400", stdout=out)  # fmt: skip
    assert exit_.value.code == 3
    assert out.getvalue() == body["verdict"] + "\n"


def test_the_import_loads_a_refused_delivery_and_lists_it(people, limited, tmp_path: Path):
    Project.objects.filter(pk=limited.pk).update(credit_limit="1200.00")
    sheets = {
        "deliveries": [
            ["ticket", "project", "date", "product", "quantity", "unit_price"],
            ["H1", "P1", "2026-01-05", "C30", "1", "250.00"],
            ["H2", "P1", "2026-01-06", "C30", "1", "400.00"],
        ]
    }

    outcome = run_import(write_xlsx(tmp_path / "book.xlsx", sheets))

    assert outcome.code == 0, outcome.err
    assert set(Delivery.objects.values_list("ticket", flat=True)) == {"D0", "D1", "H1", "H2"}
    # Exposure with everything imported: 600 unsettled + 950 delivered not invoiced; each
    # delivery is taken out before it is asked about.
    assert outcome.err_lines == [
        "sheet deliveries row 2 column project: delivery H1: the order gate would refuse it "
        f"today ({TODAY.isoformat()}): project P1 outstanding 1300.00 + delivery 250.00 "
        "exceeds its credit limit 1200.00",
        "sheet deliveries row 3 column project: delivery H2: the order gate would refuse it "
        f"today ({TODAY.isoformat()}): project P1 outstanding 1150.00 + delivery 400.00 "
        "exceeds its credit limit 1200.00",
    ]


def test_the_import_lists_deliveries_to_a_blacklisted_customer_even_on_a_dry_run(
    people, limited, tmp_path: Path
):
    limited.customer.status = CustomerStatus.BLACKLISTED
    limited.customer.save()
    sheets = {
        "deliveries": [
            ["ticket", "project", "date", "product", "quantity", "unit_price"],
            ["H1", "P1", "2026-01-05", "C30", "0.1", "1.00"],
        ]
    }

    outcome = run_import(write_xlsx(tmp_path / "book.xlsx", sheets), "--dry-run")

    assert outcome.code == 0
    assert outcome.err_lines == [
        "sheet deliveries row 2 column project: delivery H1: the order gate would refuse it "
        f"today ({TODAY.isoformat()}): customer C1 is blacklisted"
    ]
    assert not Delivery.objects.filter(ticket="H1").exists()


# Overrides --------------------------------------------------------------------------------


def test_a_supervisors_override_lets_one_refused_delivery_through_audited(
    people, limited, api_for, page_for
):
    supply = api_for(people.supply)
    refused = supply.post("/api/v1/deliveries", delivery("T1"), content_type="application/json")
    assert refused.status_code == 422

    granted = api_for(people.manager1).post(
        "/api/v1/projects/P1/delivery-overrides", {"reason": "客户已承诺本周回款"},
        content_type="application/json",
    )  # fmt: skip
    assert granted.status_code == 201
    assert (granted.json()["granted_by"], granted.json()["delivery"]) == ("manager1", None)

    first = supply.post("/api/v1/deliveries", delivery("T1"), content_type="application/json")
    second = supply.post("/api/v1/deliveries", delivery("T2"), content_type="application/json")

    assert first.status_code == 201
    assert second.status_code == 422  # used up
    override = DeliveryOverride.objects.get()
    assert override.delivery.ticket == "T1"
    assert AuditEntry.objects.filter(
        action="delivery_override", reason="客户已承诺本周回款"
    ).exists()
    assert AuditEntry.objects.filter(action="delivery_override_used").exists()


def test_an_override_covers_any_refusal_on_the_page(people, limited, page_for):
    Project.objects.filter(pk=limited.pk).update(status=ProjectStatus.WRITTEN_OFF)
    manager = page_for(people.manager1)
    assert "Let one refused delivery through" in manager.get("/projects/P1/").content.decode()

    refused = page_for(people.supply).post("/projects/P1/deliveries/new/", page_delivery("T1"))
    assert "Project P1 is written off." in refused.content.decode()
    manager.post("/projects/P1/delivery-override/", {"gate-reason": "清账前最后一车"})
    passed = page_for(people.supply).post("/projects/P1/deliveries/new/", page_delivery("T1"))

    assert passed.status_code == 302
    assert Delivery.objects.filter(ticket="T1").exists()


@pytest.mark.parametrize("persona", ["sales1", "supply", "finance", "legal"])
def test_only_supervisors_grant_overrides(persona, people, limited, api_for, client_for):
    api = api_for(getattr(people, persona))
    response = api.post(
        "/api/v1/projects/P1/delivery-overrides", {"reason": "x"}, content_type="application/json"
    )
    page = client_for(getattr(people, persona)).post(
        "/projects/P1/delivery-override/", {"gate-reason": "x"}
    )

    assert response.status_code == 403
    assert page.status_code in (403, 404)
    assert not DeliveryOverride.objects.exists()


def test_a_manager_of_another_team_gets_404(people, limited, api_for):
    response = api_for(people.manager2).post(
        "/api/v1/projects/P1/delivery-overrides", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert not DeliveryOverride.objects.exists()
