"""Two salespeople register one new company at the same moment (PostgreSQL only).

Both check for duplicates and find none, then both would create the prospect: the
registration takes an advisory lock on the name's head first, so the second waits for
the first, finds its prospect and is refused. SQLite serialises writers anyway.
"""

import threading

import pytest
from django.db import connection

from salesdesk.customers.claims import services as claim_services
from salesdesk.customers.models import ClaimDispute, Customer, ProspectClaim

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races between connections need PostgreSQL (SQLite serialises writers)",
    ),
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 5


def race(*calls) -> list:
    """Run each call in its own thread, all starting at once; their results or exceptions."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(n, call):
        try:
            start.wait(timeout=10)
            results[n] = call()
        except Exception as exc:  # the test asserts on it
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a racer is stuck"
    return results


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_only_one_of_two_simultaneous_registrations_wins(people, round_):
    name = f"北京宏达{round_}号建设有限公司"
    variant = f"宏达{round_}号建设（北京）有限责任公司"

    results = race(
        lambda: claim_services.prospect_register(actor=people.sales1, name=name),
        lambda: claim_services.prospect_register(actor=people.sales3, name=variant),
    )

    won = [r for r in results if isinstance(r, claim_services.Registration)]
    lost = [r for r in results if isinstance(r, claim_services.ClaimRefused)]
    assert (len(won), len(lost)) == (1, 1), results
    assert Customer.objects.count() == 1
    assert ProspectClaim.objects.count() == 1
    assert ClaimDispute.objects.get().customer == won[0].customer
