"""Visit reminders for the Today page: commitments coming due, customers overdue a visit.

For a salesperson: their own customers; for a sales manager: their team's (the same
reach as the Today page's other sections). Each function costs two queries at most,
whatever the number of customers, and returns a short list plus the full count:

    {"items": [...at most TOP...], "count": <all of them>, ...}

Wire them into the Today page with `visit_reminders(user, today)`, and render them with
`{% include "visits/_today.html" with visits=<that dict> %}`.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from salesdesk.core.access import team_scope
from salesdesk.core.models import User
from salesdesk.core.policy import policy_as_of
from salesdesk.customers.models import Customer
from salesdesk.lib.dates import add_months
from salesdesk.visits.models import Commitment
from salesdesk.visits.periods import MONTH, period_bounds
from salesdesk.visits.selectors import VisitTally, frequency_rows, tier_rules

TOP = 10
# A commitment due within this many days is shown before it is late.
DUE_SOON_DAYS = 7
# A customer short of visits is shown once this few days of the period are left.
PERIOD_ENDING_DAYS = 7


@dataclass
class DueCommitment:
    commitment: Commitment
    days_overdue: int

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def due_commitments(user: User, today: dt.date) -> dict:
    """Open commitments at the user's (or team's) customers that are overdue or due within
    DUE_SOON_DAYS, earliest first: {"items", "count", "overdue"}. Two queries."""
    due = Commitment.objects.filter(
        team_scope(user, "visit__customer__owner"),
        done_on__isnull=True,
        due__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
    )
    counts = due.aggregate(count=Count("pk"), overdue=Count("pk", filter=Q(due__lt=today)))
    items = (
        due.select_related("visit__customer", "visit__salesperson", "contact").order_by(
            "due", "id"
        )[:TOP]
        if counts["count"]
        else []
    )
    return {
        "items": [DueCommitment(c, c.days_overdue(today)) for c in items],
        "count": counts["count"],
        "overdue": counts["overdue"],
    }


@dataclass
class OverdueVisit(VisitTally):
    days_left: int = 0


def overdue_visits(user: User, today: dt.date) -> dict:
    """The user's (or team's) active customers behind their tier's visit frequency: not
    met yet in the current period while the period ends within PERIOD_ENDING_DAYS, or not
    visited by their owner within one period (a month, a quarter) back from today.
    Most urgent first: {"items", "count"}. One query."""
    rules = []
    for rule in tier_rules(policy_as_of(today)).values():
        if rule.required > 0:
            rules.append((rule, *period_bounds(today, rule.period)))
    if not rules:
        return {"items": [], "count": 0}
    by_tier = {
        value: (rule, start, end) for rule, start, end in rules for value in rule.tier_values
    }
    customers = Customer.objects.filter(team_scope(user, "owner"))
    behind = []
    for customer in frequency_rows(customers, rules, today):
        rule, start, end = by_tier[customer.tier]
        row = OverdueVisit.of(customer, rule, start, end, days_left=(end - today).days)
        if not (row.short or row.manager_missing):
            continue
        window_start = add_months(today, -1 if rule.period == MONTH else -3)
        stale = row.last_visit is None or row.last_visit <= window_start
        if stale or row.days_left < PERIOD_ENDING_DAYS:
            behind.append(row)
    behind.sort(
        key=lambda r: (r.period_end, r.last_visit or dt.date.min, r.customer.name, r.customer.pk)
    )
    return {"items": behind[:TOP], "count": len(behind)}


def visit_reminders(user: User, today: dt.date) -> dict:
    """Both reminders, for the Today page: {"commitments": ..., "overdue_visits": ...}."""
    return {
        "commitments": due_commitments(user, today),
        "overdue_visits": overdue_visits(user, today),
    }
