"""The pipeline most tests start from: one customer per owner, and a builder of
opportunities that goes through the services (as the importer would, actor None)."""

import datetime as dt
from types import SimpleNamespace

import pytest

from salesdesk.pipeline import services
from tests.clock import TODAY
from tests.factories import ContactFactory, CustomerFactory
from tests.pipeline.builders import factors


@pytest.fixture
def customers(people):
    """c1 (sales1), c2 (sales2), c3 (sales3), cm1 (manager1); c1 has a decision maker."""
    owners = {"c1": people.sales1, "c2": people.sales2, "c3": people.sales3,
              "cm1": people.manager1}  # fmt: skip
    records = {
        key: CustomerFactory(
            code=key.upper(),
            name=f"{key.upper()} 测试客户有限公司",
            owner=owner,
            source="customer_referral",
        )
        for key, owner in owners.items()
    }
    ContactFactory(customer=records["c1"], name="王总", role="decision_maker",
                   decision_authority=True)  # fmt: skip
    ContactFactory(customer=records["c1"], name="李工", role="technical")
    return SimpleNamespace(**records)


@pytest.fixture
def make(customers):
    """make(code, customer=c1, score=(4,), close_in=30, **values): an opportunity."""

    def build(code, customer=None, score=(4,), close_in=30, stage=None, **values):
        customer = customer or customers.c1
        opportunity, _outcome = services.opportunity_upsert(
            actor=None, code=code, customer=customer, name=values.pop("name", f"{code} 供货"),
            value=values.pop("value", "100000.00"),
            expected_close=None if close_in is None else TODAY + dt.timedelta(days=close_in),
            factors=factors(*score) if score else None, stage=stage, **values,
        )  # fmt: skip
        return opportunity

    return build
