"""Ledger reports in the published shapes of FORMATS.md."""

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet

from salesdesk.core.policy import policy_as_of
from salesdesk.core.reporting import Report
from salesdesk.customers.models import Project
from salesdesk.ledger.allocation import bucket_names, project_balances
from salesdesk.lib.money import format_money


def aging_report(
    *, as_of: dt.date, projects: QuerySet[Project] | None = None, **_ignored
) -> Report:
    """One row per project with anything outstanding or unapplied credit on `as_of`.

    A project whose payments exceed its invoices has nothing outstanding but holds the
    customer's money as credit; finance wants to see it, so it is listed too.
    """
    bounds = policy_as_of(as_of)["aging.bounds"]
    names = bucket_names(bounds)
    balances = project_balances(as_of, projects, bounds)
    listed = {pk: b for pk, b in balances.items() if b.outstanding > 0 or b.credit > 0}
    # Read the labels of every project in scope and skip the unlisted: cheaper than an
    # IN list of thousands of ids, and free of any limit on query parameters.
    info = (projects if projects is not None else Project.objects.all()).order_by(
        "customer__code", "code"
    ).values_list(
        "pk", "customer__code", "customer__name", "code", "name", "owner__username",
        "plant__code", "customer__tier",
    )  # fmt: skip
    rows = []
    totals = {"outstanding": Decimal(0), "overdue": Decimal(0), "credit": Decimal(0)}
    bucket_totals = dict.fromkeys(names, Decimal(0))
    for pk, customer, customer_name, code, project_name, owner, plant, tier in info:
        balance = listed.get(pk)
        if balance is None:
            continue
        rows.append(
            {
                "customer": customer,
                "customer_name": customer_name,
                "project": code,
                "project_name": project_name,
                "owner": owner,
                "plant": plant,
                "tier": tier or None,
                "outstanding": format_money(balance.outstanding),
                "overdue": format_money(balance.overdue),
                "buckets": {name: format_money(balance.buckets[name]) for name in names},
                "credit": format_money(balance.credit),
                "oldest_days_past_due": balance.oldest_days_past_due,
            }
        )
        totals["outstanding"] += balance.outstanding
        totals["overdue"] += balance.overdue
        totals["credit"] += balance.credit
        for name in names:
            bucket_totals[name] += balance.buckets[name]
    return Report(
        name="aging",
        as_of=as_of,
        rows=rows,
        totals={
            "outstanding": format_money(totals["outstanding"]),
            "overdue": format_money(totals["overdue"]),
            "buckets": {name: format_money(bucket_totals[name]) for name in names},
            "credit": format_money(totals["credit"]),
        },
    )
