"""A customer's tier in force on a date, from the tier history (DOMAIN §7)."""

import datetime as dt
from bisect import bisect_right
from collections import defaultdict

from salesdesk.customers.models import Customer, CustomerTierChange


def tiers_on(wanted: set[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], str]:
    """{(customer id, date): tier} for each pair: the tier of the last change effective on
    or before the date; a customer whose history starts later takes its earliest recorded
    tier, one without history its current tier. Two queries, whatever the number."""
    customers = sorted({customer for customer, _day in wanted})
    if not customers:
        return {}
    history: defaultdict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    changes = (
        CustomerTierChange.objects.filter(customer_id__in=customers)
        .order_by("customer_id", "effective_on", "id")
        .values_list("customer_id", "effective_on", "to_tier")
    )
    for customer, effective_on, tier in changes:
        history[customer].append((effective_on, tier))
    current = dict(Customer.objects.filter(pk__in=customers).values_list("pk", "tier"))
    tiers = {}
    for customer, day in wanted:
        changes_of = history.get(customer)
        if not changes_of:
            tiers[(customer, day)] = current.get(customer, "")
            continue
        n = bisect_right([effective for effective, _tier in changes_of], day)
        tiers[(customer, day)] = changes_of[max(n, 1) - 1][1]
    return tiers
