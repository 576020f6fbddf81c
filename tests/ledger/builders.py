"""Ledger data and API calls shared by the ledger tests."""

from types import SimpleNamespace

from salesdesk.customers.choices import Tier
from salesdesk.ledger import services
from tests.factories import CustomerFactory, PlantFactory, ProductFactory, ProjectFactory


def make_ledger(people) -> SimpleNamespace:
    """Customer C1 / project P1 (sales1, team A), C3 / P3 (sales3, team B), one plant.
    Shared by the test_api_*.py modules."""
    plant = PlantFactory(code="PL01", name="一号站")
    ProductFactory()  # C30, the product the tests deliver
    c1 = CustomerFactory(code="C1", owner=people.sales1, tier=Tier.KEY)
    c3 = CustomerFactory(code="C3", owner=people.sales3, tier=Tier.GENERAL)
    p1 = ProjectFactory(code="P1", customer=c1, plant=plant, payment_terms_days=30)
    p3 = ProjectFactory(code="P3", customer=c3, plant=plant, payment_terms_days=30)
    return SimpleNamespace(plant=plant, c1=c1, c3=c3, p1=p1, p3=p3)


def post_invoice(project, number, date, amount, due=None):
    return services.invoice_post(
        actor=None, number=number, project=project, date=date, amount=amount, due_date=due
    )[0]


def post_payment(project, reference, date, amount, method="bank"):
    return services.payment_post(
        actor=None, reference=reference, project=project, date=date, amount=amount, method=method
    )[0]


def post_delivery(project, ticket, date, unit_price="400.00", quantity="10"):
    return services.delivery_post(
        actor=None,
        ticket=ticket,
        project=project,
        date=date,
        product="C30",
        quantity=quantity,
        unit_price=unit_price,
    )[0]


def post(api, path, body):
    return api.post(f"/api/v1/{path}", body, content_type="application/json")
