"""Two finance users finalising one month at the same moment (PostgreSQL only): one
finalisation, one set of statements; the other call finds it done. The advisory lock
queues the second; the UNIQUE month of MonthClose would stop it anyway.

Run twice over like the ledger's races: "natural" (two threads start together) and
"forced" (both are held just before creating the MonthClose until both have found none)."""

import contextlib
import datetime as dt
import threading

import pytest
from django.db import connection

from salesdesk.compensation import services
from salesdesk.compensation.models import MonthClose, Statement, StatementLine
from salesdesk.core.models import AuditEntry
from tests.compensation.helpers import invoice, pay, project_of
from tests.factories import UserFactory
from tests.ledger.test_concurrency import race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races between connections need PostgreSQL (SQLite serialises writers)",
    ),
    pytest.mark.django_db(transaction=True),
]

FEB = dt.date(2026, 2, 1)


@pytest.fixture(params=["natural", "forced"])
def interleaving(request, monkeypatch):
    if request.param == "forced":
        checked = threading.Barrier(2)
        original = services.closes

        def closes_together():
            # The second may be queued on the lock: then the first goes on alone.
            with contextlib.suppress(threading.BrokenBarrierError):
                checked.wait(timeout=3)
            return original()

        monkeypatch.setattr(services, "closes", closes_together)
    return request.param


def test_two_finance_users_finalising_at_once_make_one_finalisation(interleaving):
    seller = UserFactory(username="race-seller")
    finance1 = UserFactory(username="race-finance1", roles=["finance"])
    finance2 = UserFactory(username="race-finance2", roles=["finance"])
    project = project_of(seller)
    invoice(project, "RI1", dt.date(2026, 1, 5), "1000.00", dt.date(2026, 2, 4))
    pay(project, "RP1", dt.date(2026, 2, 10), "1000.00")

    results = race(
        lambda: services.month_finalise(actor=finance1, month=FEB, today=dt.date(2026, 3, 5)),
        lambda: services.month_finalise(actor=finance2, month=FEB, today=dt.date(2026, 3, 5)),
    )
    for result in results:
        assert not isinstance(result, Exception), repr(result)
    assert sorted(result.created for result in results) == [False, True]
    assert MonthClose.objects.count() == 1
    assert Statement.objects.filter(month=FEB).count() == 1
    assert StatementLine.objects.count() == 1
    assert AuditEntry.objects.filter(action="finalise").count() == 1
