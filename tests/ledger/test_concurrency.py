"""Payments posted at the same moment from two connections (PostgreSQL only).

DOMAIN §5: the same reference twice is the same payment, never two. `_post_once` checks
for the key and then inserts; two posts racing both pass the check, and the UNIQUE
constraint must settle it: the loser finds the winner's row and treats its call as a
repeat (same content) or a Conflict (different content).

Each race runs twice over: "natural", where two threads start together at a barrier and
the scheduler decides, and "forced", where both threads are also held just before their
INSERT until both have found no payment under the reference: the interleaving only the
constraint can settle, every round. SQLite serialises writers, so there is no race there.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest

from salesdesk.core.errors import Conflict
from salesdesk.core.models import AuditEntry
from salesdesk.ledger import services
from salesdesk.ledger.allocation import project_balances
from salesdesk.ledger.models import Payment
from tests.factories import ProjectFactory
from tests.races import RACES, race

pytestmark = RACES

ROUNDS = 5
BILLED = Decimal("10000.00")
DAY = dt.date(2026, 3, 2)
AS_OF = dt.date(2026, 3, 31)


@pytest.fixture(params=["natural", "forced"])
def interleaving(request):
    """In "forced" mode every Payment INSERT waits until two posts have reached theirs."""
    if request.param == "forced":
        at_insert = threading.Barrier(2)
        manager = Payment.objects
        create = manager.create

        def create_together(**kwargs):
            at_insert.wait(timeout=10)
            return create(**kwargs)

        manager.create = create_together  # shadows the manager's method for this test
        request.addfinalizer(lambda: vars(manager).pop("create", None))
    return request.param


@pytest.fixture
def project(db):
    project = ProjectFactory(payment_terms_days=30)
    services.invoice_post(
        actor=None, number="RACE-INV", project=project, date=dt.date(2026, 1, 5), amount=BILLED
    )
    return project


def post_payment(project, reference: str, amount: str):
    return lambda: services.payment_post(
        actor=None, reference=reference, project=project, date=DAY, amount=amount
    )


def outstanding(project) -> Decimal:
    return project_balances(AS_OF)[project.pk].outstanding


def test_the_same_payment_posted_twice_at_once_is_one_payment(project, interleaving):
    for n in range(ROUNDS):
        reference = f"RACE-SAME-{n}"
        results = race(
            post_payment(project, reference, "100.00"), post_payment(project, reference, "100.00")
        )
        for result in results:
            assert not isinstance(result, Exception), f"round {n}: {result!r}"
        (first, first_created), (second, second_created) = results
        assert sorted([first_created, second_created]) == [False, True], f"round {n}"
        assert first.pk == second.pk
        assert Payment.objects.filter(reference=reference).count() == 1
        audited = AuditEntry.objects.filter(
            action="post", object_type="ledger.payment", object_id=str(first.pk)
        )
        assert audited.count() == 1
        assert outstanding(project) == BILLED - Decimal("100.00") * (n + 1)
    assert Payment.objects.filter(project=project).count() == ROUNDS


def test_one_reference_with_two_amounts_at_once_is_one_payment_and_a_conflict(
    project, interleaving
):
    paid = Decimal(0)
    for n in range(ROUNDS):
        reference = f"RACE-DIFF-{n}"
        results = race(
            post_payment(project, reference, "100.00"), post_payment(project, reference, "250.00")
        )
        conflicts = [r for r in results if isinstance(r, Conflict)]
        posted = [r for r in results if not isinstance(r, Exception)]
        assert len(conflicts) == 1 and len(posted) == 1, f"round {n}: {results!r}"
        (payment, created) = posted[0]
        assert created
        stored = Payment.objects.get(reference=reference)
        assert stored.pk == payment.pk
        assert stored.amount == payment.amount
        assert Payment.objects.filter(reference=reference).count() == 1
        paid += stored.amount
        assert outstanding(project) == BILLED - paid
    assert Payment.objects.filter(project=project).count() == ROUNDS


def test_two_different_payments_at_once_on_one_project_both_count(project, interleaving):
    for n in range(ROUNDS):
        results = race(
            post_payment(project, f"RACE-A-{n}", "100.00"),
            post_payment(project, f"RACE-B-{n}", "50.00"),
        )
        for result in results:
            assert not isinstance(result, Exception), f"round {n}: {result!r}"
        assert all(created for _payment, created in results)
        assert Payment.objects.filter(reference__in=[f"RACE-A-{n}", f"RACE-B-{n}"]).count() == 2
        assert outstanding(project) == BILLED - Decimal("150.00") * (n + 1)
    balance = project_balances(AS_OF)[project.pk]
    assert balance.billed == BILLED
    assert balance.paid == Decimal("150.00") * ROUNDS
    assert balance.outstanding == balance.billed - balance.paid
