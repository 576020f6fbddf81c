"""The customers and visits most visit tests start from.

sales1 owns one customer of each kind; sales2 and sales3 own one each. Visits are logged
by the system (actor None) so a test can place them on any past date.
"""

import datetime as dt
from types import SimpleNamespace

import pytest

from salesdesk.visits.services import CommitmentIn
from tests.factories import ContactFactory, CustomerFactory, ProjectFactory
from tests.visits.builders import log

D = dt.date


@pytest.fixture
def book(people):
    """Customers: S1 (strategic), K1 (key), G1 (general), U1 (untiered) of sales1; S2
    (strategic) of sales2; K3 (key) of sales3; each with a contact and a project."""
    specs = {
        "S1": (people.sales1, "strategic"),
        "K1": (people.sales1, "key"),
        "G1": (people.sales1, "general"),
        "U1": (people.sales1, ""),
        "S2": (people.sales2, "strategic"),
        "K3": (people.sales3, "key"),
    }
    records = {}
    for code, (owner, tier) in specs.items():
        customer = CustomerFactory(code=code, name=f"{code} 客户有限公司", owner=owner, tier=tier)
        records[code] = customer
        records[f"{code}_contact"] = ContactFactory(
            customer=customer, name=f"{code} 采购经理", role="procurement"
        )
        records[f"{code}_project"] = ProjectFactory(code=f"P{code}", customer=customer)
    return SimpleNamespace(**records)


@pytest.fixture
def visits_of(people, book):
    """One visit of each persona's customer, 10 days ago, each an advance with its
    commitment due 4 days ago (overdue) for sales1, in 10 days for the others."""
    from django.utils import timezone

    today = timezone.localdate()
    day = today - dt.timedelta(days=10)
    made = {}
    for code in ("S1", "S2", "K3"):
        customer = getattr(book, code)
        due = today - dt.timedelta(days=4) if code == "S1" else today + dt.timedelta(days=10)
        made[code] = log(
            customer,
            day,
            "advance",
            commitment=CommitmentIn(what=f"{code} 安排试验", who="张工", due=due),
            contacts=[getattr(book, f"{code}_contact")],
        )
    return SimpleNamespace(**made, today=today)


@pytest.fixture
def quarter(people, book):
    """sales1's visits around the end of 2025 Q1, and sales2's strategic customer.

    S1 strategic: 3 and 20 March (the first with the manager)     -> March met
    S1b strategic: 5 and 25 March, no manager; 27 February          -> March not met (manager)
    K1 key: 31 March; 10 February                                   -> March met, February met
    K1b key: 28 February and 1 April                                -> March not met (0 visits)
    G1 general: 15 January                                          -> Q1 met
    G1b general: 1 April                                            -> Q1 not met
    U1 untiered: visited 10 February by sales2, not the owner       -> Q1 not met
    Sd strategic but dormant: not due
    S2 strategic of sales2: 4 and 18 March, manager on the second   -> March met
    K3 key of sales3: never visited                                 -> never met
    """
    s1b = CustomerFactory(code="S1b", owner=people.sales1, tier="strategic")
    k1b = CustomerFactory(code="K1b", owner=people.sales1, tier="key")
    g1b = CustomerFactory(code="G1b", owner=people.sales1, tier="general")
    dormant = CustomerFactory(code="Sd", owner=people.sales1, tier="strategic", status="dormant")
    log(book.S1, D(2025, 3, 3), "advance", manager_involved=True)
    log(book.S1, D(2025, 3, 20), "continuation")
    log(s1b, D(2025, 2, 27), "continuation")
    log(s1b, D(2025, 3, 5), "advance")
    log(s1b, D(2025, 3, 25), "no_sale")
    log(book.K1, D(2025, 2, 10), "continuation")
    log(book.K1, D(2025, 3, 31), "order")
    log(k1b, D(2025, 2, 28), "advance")
    log(k1b, D(2025, 4, 1), "advance")
    log(book.G1, D(2025, 1, 15), "continuation")
    log(g1b, D(2025, 4, 1), "order")
    log(book.U1, D(2025, 2, 10), "continuation", salesperson=people.sales2)
    log(dormant, D(2025, 3, 10), "order")
    log(book.S2, D(2025, 3, 4), "advance")
    log(book.S2, D(2025, 3, 18), "advance", manager_involved=True)
