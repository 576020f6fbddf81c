"""Two salespeople register one new company at the same moment (PostgreSQL only).

Both check for duplicates and find none, then both would create the prospect: the
registration takes an advisory lock on the name's head first, so the second waits for
the first, finds its prospect and is refused. SQLite serialises writers anyway.
"""

import pytest

from salesdesk.customers.claims import services as claim_services
from salesdesk.customers.models import ClaimDispute, Customer, ProspectClaim
from tests.races import RACES, race

pytestmark = RACES

ROUNDS = 5


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
