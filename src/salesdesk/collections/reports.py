"""Collections reports in the published shapes of FORMATS.md: letters, holds, tasks."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet

from salesdesk.collections.measures import first_clear_day_of_customers, payments_between
from salesdesk.collections.models import CollectionTask, DunningLetter, SupplyHold
from salesdesk.core.reporting import Report, ReportError
from salesdesk.customers.models import Project
from salesdesk.lib.dates import month_end, parse_month
from salesdesk.lib.money import format_money


def _month(text: str) -> dt.date:
    try:
        return parse_month(text)
    except ValueError as exc:
        raise ReportError(f"month: {exc}") from None


def letters_report(
    *, as_of: dt.date, projects: QuerySet[Project] | None = None, **_ignored
) -> Report:
    """Every dunning letter issued up to `as_of`, oldest first."""
    letters = DunningLetter.objects.filter(issued_on__lte=as_of)
    if projects is not None:
        letters = letters.filter(project__in=projects)
    letters = letters.select_related("project__customer", "issued_by").order_by(
        "issued_on", "project__code", "number"
    )
    rows, total = [], Decimal(0)
    for letter in letters:
        rows.append(
            {
                "customer": letter.project.customer.code,
                "customer_name": letter.project.customer.name,
                "project": letter.project.code,
                "number": letter.number,
                "sequence": letter.sequence,
                "issued_on": letter.issued_on.isoformat(),
                "amount": format_money(letter.amount),
                "issued_by": letter.issued_by.username if letter.issued_by_id else None,
            }
        )
        total += letter.amount
    return Report(name="letters", as_of=as_of, rows=rows, totals={"amount": format_money(total)})


def holds_report(*, as_of: dt.date, customers: QuerySet | None = None, **_ignored) -> Report:
    """Every supply hold placed up to `as_of`, current or past. A hold released after
    `as_of` shows as still active on that date; a release the ledger shows but nobody has
    recorded yet (no cycle or payment since) counts from the day it happened."""
    holds = SupplyHold.objects.filter(since__lte=as_of)
    if customers is not None:
        holds = holds.filter(customer__in=customers)
    holds = list(
        holds.select_related("customer", "trigger__project").order_by("since", "customer__code")
    )
    unrecorded = [(h.pk, h.customer_id, h.since, as_of) for h in holds if h.released_on is None]
    cleared = first_clear_day_of_customers(unrecorded) if unrecorded else {}
    rows = []
    for hold in holds:
        if hold.released_on is not None:
            released = hold.released_on if hold.released_on <= as_of else None
        else:
            released = cleared.get(hold.pk)
        rows.append(
            {
                "customer": hold.customer.code,
                "customer_name": hold.customer.name,
                "since": hold.since.isoformat(),
                "released_on": released.isoformat() if released else None,
                "reason": hold.reason,
                "project": hold.trigger.project.code,
            }
        )
    return Report(name="holds", as_of=as_of, rows=rows, totals={})


def tasks_report(
    *,
    month: str | None = None,
    as_of: dt.date | None = None,
    tasks: QuerySet | None = None,
    **_ignored,
) -> Report:
    """The collection tasks of a month (default: the month of `as_of`): target, collected
    (payments dated in the month; until it is assessed, those so far), completion =
    collected / target."""
    month = month or f"{as_of or dt.date.today():%Y-%m}"
    first = _month(month)
    if tasks is None:
        tasks = CollectionTask.objects.all()
    tasks = list(
        tasks.filter(month=first)
        .select_related("project", "salesperson")
        .order_by("salesperson__username", "project__code")
    )
    pending = [t.project_id for t in tasks if t.collected is None]
    counted_on = as_of or dt.date.today()
    live = payments_between(pending, first, month_end(first), counted_on) if pending else {}
    rows = []
    totals = {"target": Decimal(0), "collected": Decimal(0)}
    for task in tasks:
        collected = (
            task.collected if task.collected is not None else live.get(task.project_id, Decimal(0))
        )
        rows.append(
            {
                "month": month,
                "salesperson": task.salesperson.username,
                "project": task.project.code,
                "target": format_money(task.target),
                "collected": format_money(collected),
                "completion": ratio(collected, task.target),
                "status": task.status,
            }
        )
        totals["target"] += task.target
        totals["collected"] += collected
    return Report(
        name="tasks", month=month, rows=rows,
        totals={"target": format_money(totals["target"]), "collected": format_money(totals["collected"])},
    )  # fmt: skip


def ratio(part: Decimal, whole: Decimal) -> str:
    """A ratio as a string with 4 decimals, half up."""
    if not whole:
        return "0.0000"
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
