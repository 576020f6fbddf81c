"""The customer archive most tests start from: one customer (and project) per owner."""

from types import SimpleNamespace

import pytest

from salesdesk.customers.claims import services as claim_services
from tests.customers.builders import PROSPECT_NAME
from tests.factories import CustomerFactory, PlantFactory, ProjectFactory


@pytest.fixture
def archive(people):
    """Customers c1 (sales1), c2 (sales2), c3 (sales3), cm1 (manager1), cm2 (manager2),
    each with one project owned by the customer's owner (p1, p2, p3, pm1, pm2)."""
    plant = PlantFactory(code="PL01", name="一号站")
    owners = {
        "c1": people.sales1,
        "c2": people.sales2,
        "c3": people.sales3,
        "cm1": people.manager1,
        "cm2": people.manager2,
    }
    records = {}
    for key, owner in owners.items():
        customer = CustomerFactory(
            code=key.upper(), name=f"{key.upper()} 测试客户有限公司", owner=owner
        )
        records[key] = customer
        project_key = "p" + key[1:]
        records[project_key] = ProjectFactory(
            code=project_key.upper(), customer=customer, plant=plant, name=f"{key} 工程"
        )
    return SimpleNamespace(plant=plant, **records)


@pytest.fixture
def registered(people):
    """sales1's protected prospect, and sales2's refused registration of it (a dispute)."""
    registration = claim_services.prospect_register(actor=people.sales1, name=PROSPECT_NAME)
    with pytest.raises(claim_services.ClaimRefused) as caught:
        claim_services.prospect_register(actor=people.sales2, name="宏达建设（北京）有限公司")
    return registration.claim, caught.value.dispute
