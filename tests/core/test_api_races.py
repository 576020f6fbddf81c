"""Identical requests arriving at the same moment (PostgreSQL only).

docs/api.md: posting the same customer, project, opportunity or contact twice answers
201 then 200 with the same record; reversing a record twice answers 201 then 422. Two
requests racing both find no record under the key; the database must settle it, and the
loser must answer as if it had come second: never a 500, never a 422 carrying the
database's own text.

Each race runs "natural" (two threads start together and the scheduler decides) and
"forced" (both threads are also held just before their INSERT until both have found
nothing under the key: the interleaving only the constraint can settle). SQLite
serialises writers, so there is no race there.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from salesdesk.core.services import token_create
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.ledger import services as ledger_services
from salesdesk.ledger.models import Payment, PaymentReversal
from salesdesk.pipeline.models import Opportunity
from tests.factories import CustomerFactory, ProjectFactory
from tests.races import RACES, hold_before_insert, race

pytestmark = RACES

ROUNDS = 3


@pytest.fixture
def token(people):
    def make(user):
        return token_create(user=user, name="race", now=timezone.now())[1]

    return make


def poster(key: str, path: str, body: dict):
    def post():
        client = Client(headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"})
        response = client.post(path, body, content_type="application/json")
        return response.status_code, response.json()

    return post


def settled(results, n: int) -> list:
    """The two answers of a race of identical creates: one 201, one 200, same body."""
    for result in results:
        assert not isinstance(result, Exception), f"round {n}: {result!r}"
    (first_status, first), (second_status, second) = results
    assert sorted([first_status, second_status]) == [200, 201], f"round {n}: {results}"
    return [first, second]


@pytest.fixture
def c1(people):
    return CustomerFactory(code="C1", owner=people.sales1)


@pytest.mark.parametrize("interleaving", ["natural", "forced"])
def test_it_creates_one_customer_for_two_identical_posts_at_once(
    interleaving, people, token, monkeypatch
):
    if interleaving == "forced":
        hold_before_insert(monkeypatch, Customer)
    key = token(people.sales1)
    for n in range(ROUNDS):
        body = {"code": f"RACE{n}", "name": f"Race Customer {n}", "region": "North"}

        first, second = settled(race(*[poster(key, "/api/v1/customers", body)] * 2), n)

        assert first == second
        assert Customer.objects.filter(code=f"RACE{n}").count() == 1


@pytest.mark.parametrize("interleaving", ["natural", "forced"])
def test_it_creates_one_project_for_two_identical_posts_at_once(
    interleaving, people, c1, token, monkeypatch
):
    if interleaving == "forced":
        hold_before_insert(monkeypatch, Project)
    key = token(people.sales1)
    for n in range(ROUNDS):
        body = {"code": f"RACE{n}", "customer": "C1", "name": f"Job {n}", "contract_no": "HT-1"}

        first, second = settled(race(*[poster(key, "/api/v1/projects", body)] * 2), n)

        assert first == second
        assert Project.objects.filter(code=f"RACE{n}").count() == 1


@pytest.mark.parametrize("interleaving", ["natural", "forced"])
def test_it_creates_one_opportunity_for_two_identical_posts_at_once(
    interleaving, people, c1, token, monkeypatch
):
    if interleaving == "forced":
        hold_before_insert(monkeypatch, Opportunity)
    key = token(people.sales1)
    for n in range(ROUNDS):
        body = {"code": f"RACE{n}", "customer": "C1", "name": f"Deal {n}", "value": "1000.00"}

        first, second = settled(race(*[poster(key, "/api/v1/opportunities", body)] * 2), n)

        assert {k: v for k, v in first.items() if k != "updated_at"} == {
            k: v for k, v in second.items() if k != "updated_at"
        }
        assert Opportunity.objects.filter(code=f"RACE{n}").count() == 1


@pytest.mark.parametrize("interleaving", ["natural", "forced"])
def test_it_adds_one_contact_for_two_identical_posts_at_once(
    interleaving, people, c1, token, monkeypatch
):
    if interleaving == "forced":
        hold_before_insert(monkeypatch, Contact)
    key = token(people.sales1)
    for n in range(ROUNDS):
        body = {"name": f"Wang {n}", "title": "Buyer", "phone": "123"}

        first, second = settled(race(*[poster(key, "/api/v1/customers/C1/contacts", body)] * 2), n)

        assert first == second
        assert Contact.objects.filter(customer=c1, name=f"Wang {n}").count() == 1


@pytest.mark.parametrize("interleaving", ["natural", "forced"])
def test_it_reverses_a_payment_once_for_two_reversals_at_once(
    interleaving, people, c1, token, monkeypatch
):
    project = ProjectFactory(code="P1", customer=c1, owner=people.sales1)
    if interleaving == "forced":
        # Both reversals are inside their transaction before either looks for the other.
        at_start = threading.Barrier(2)
        require_role = ledger_services._require_role

        def require_together(*args, **kwargs):
            at_start.wait(timeout=10)
            return require_role(*args, **kwargs)

        monkeypatch.setattr(ledger_services, "_require_role", require_together)
    key = token(people.finance)
    for n in range(ROUNDS):
        Payment.objects.create(
            reference=f"PAY{n}", project=project, date=dt.date(2026, 3, 2), amount=Decimal("10")
        )
        body = {"date": "2026-03-05", "reason": "entered twice"}

        results = race(*[poster(key, f"/api/v1/payments/PAY{n}/reversal", body)] * 2)

        for result in results:
            assert not isinstance(result, Exception), f"round {n}: {result!r}"
        statuses = sorted(status for status, _body in results)
        assert statuses == [201, 422], f"round {n}: {results}"
        refusal = next(body for status, body in results if status == 422)
        assert "already reversed" in refusal["detail"][0]["message"]
        assert PaymentReversal.objects.filter(payment__reference=f"PAY{n}").count() == 1
