"""The policy in force on each of many dates, in one query (a month's slices have up to
31 dates, and adjustments more)."""

import datetime as dt
from bisect import bisect_right
from collections import defaultdict

from salesdesk.core.models import PolicyValue
from salesdesk.core.policy import REGISTRY, Policy


def policies_on(dates: set[dt.date]) -> dict[dt.date, Policy]:
    """{date: the policy in force on it}, as `policy_as_of(date)` reads it."""
    if not dates:
        return {}
    history: defaultdict[str, list[tuple[dt.date, str]]] = defaultdict(list)
    rows = (
        PolicyValue.objects.filter(effective_from__lte=max(dates), key__in=REGISTRY.keys())
        .order_by("key", "effective_from")
        .values_list("key", "effective_from", "value")
    )
    for key, effective_from, value in rows:
        history[key].append((effective_from, value))
    policies = {}
    for day in dates:
        raw = {}
        for key, values in history.items():
            n = bisect_right([effective for effective, _value in values], day)
            if n:
                raw[key] = values[n - 1][1]
        policies[day] = Policy(day, raw)
    return policies
