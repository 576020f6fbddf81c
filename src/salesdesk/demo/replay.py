"""The collections cycle of the demo company, run every day of its last months.

The demo company went live with the daily cycle GO_LIVE_MONTHS months before the as-of
date: from that day on the cycle ran every day, so the letters, supply holds (and their
releases), legal cases and collection tasks are what the rules of DOMAIN §6 give on the
demo's own ledger, nothing invented beside it. Each month's drafts are signed by marketing
and then finance on the first working day after the cycle drafted them, so every month
before the as-of date was issued and assessed; a draft made on the as-of date itself
still waits for its signatures, as it would on that day.

A customer on supply hold receives nothing, but the generated history does not know the
cycle. So the history is loaded and replayed once in a savepoint that is rolled back, to
learn when each customer was on hold; the deliveries dated inside those holds are taken
out (and the month's statements made from what is left) before the history is loaded for
good. Until a hold the customer's records are unchanged, so the second replay places it
on the same day; afterwards the customer owes less, which can only release it sooner.
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from salesdesk.collections.cycle import CycleReport, cycle_run
from salesdesk.collections.models import CollectionTask, CycleRun, SupplyHold
from salesdesk.collections.services import tasks_sign
from salesdesk.core.choices import Role
from salesdesk.customers.models import Project
from salesdesk.demo.ledger_records import History, InvoiceData, PaymentData
from salesdesk.demo.loader import HistoryCounts, Staff, history_load
from salesdesk.lib.dates import month_end, month_start, working_day

GO_LIVE_MONTHS = 6
SIGNERS = (("marketing", Role.MARKETING, 10), ("finance", Role.FINANCE, 15))  # user, role, hour


@dataclass
class ReplayCounts:
    first: dt.date | None = None
    days: int = 0
    totals: dict[str, int] = field(default_factory=dict)
    signed_months: list[dt.date] = field(default_factory=list)

    def add(self, report: CycleReport) -> None:
        self.days += 1
        for name, count in report.counts().items():
            self.totals[name] = self.totals.get(name, 0) + count


def go_live(as_of: dt.date) -> dt.date:
    return month_start(as_of, -GO_LIVE_MONTHS)


def collections_replay(*, staff: Staff, as_of: dt.date) -> ReplayCounts:
    """Run the cycle for every day from go-live (or the day after the last recorded run)
    to `as_of`, signing each month's drafts on the next working day."""
    last = CycleRun.objects.order_by("-day").values_list("day", flat=True).first()
    day = go_live(as_of) if last is None else last + dt.timedelta(days=1)
    counts = ReplayCounts(first=day if day <= as_of else None)
    signing: dict[dt.date, list[dt.date]] = {}  # day -> months whose drafts are signed then
    while day <= as_of:
        for month in signing.pop(day, []):
            _sign(staff, month, day)
            counts.signed_months.append(month)
        report = cycle_run(as_of=day)
        counts.add(report)
        if report.tasks_drafted:
            signing.setdefault(working_day(day + dt.timedelta(days=1)), []).append(
                report.tasks_drafted[0]
            )
        day += dt.timedelta(days=1)
    return counts


def _sign(staff: Staff, month: dt.date, day: dt.date) -> None:
    ids = list(CollectionTask.objects.filter(month=month).values_list("pk", flat=True))
    zone = ZoneInfo(settings.TIME_ZONE)
    for username, role, hour in SIGNERS:
        at = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
        tasks_sign(actor=staff.users[username], task_ids=ids, as_role=role, at=at)


# Holds and the generated history ----------------------------------------------------


Periods = dict[str, list[tuple[dt.date, dt.date | None]]]  # project code -> [since, until)


def history_load_with_holds(
    history: History, *, staff: Staff, projects: dict[str, Project], as_of: dt.date
) -> HistoryCounts:
    """Load `history` without the deliveries the supply holds of its own replay forbid."""
    with transaction.atomic():
        history_load(history, staff=staff, projects=projects)
        collections_replay(staff=staff, as_of=as_of)
        periods = held_periods()
        transaction.set_rollback(True)
    return history_load(without_deliveries_during(history, periods), staff=staff, projects=projects)


def held_periods() -> Periods:
    """Every project's days under a customer hold: [since, released_on), open-ended
    while in force."""
    holds = SupplyHold.objects.values_list("customer_id", "since", "released_on")
    by_customer: dict[int, list] = {}
    for customer_id, since, released_on in holds:
        by_customer.setdefault(customer_id, []).append((since, released_on))
    projects = Project.objects.filter(customer_id__in=list(by_customer))
    return {
        code: by_customer[customer]
        for code, customer in projects.values_list("code", "customer_id")
    }


def without_deliveries_during(history: History, periods: Periods) -> History:
    """`history` less the deliveries dated inside `periods`; each month's statement of an
    affected project is the sum of the deliveries left in it (none left: no statement),
    and its payments stop at what it was billed in all (the customer pays its bills, not
    the ones it no longer gets)."""

    def held(project: str, day: dt.date) -> bool:
        return any(
            since <= day and (until is None or day < until)
            for since, until in periods.get(project, ())
        )

    deliveries = [d for d in history.deliveries if not held(d.project, d.date)]
    kept = {d.ticket for d in deliveries}
    affected = {d.project for d in history.deliveries if d.ticket not in kept}
    billed: dict[tuple[str, dt.date], Decimal] = {}
    for d in deliveries:
        if d.project in affected:
            key = (d.project, month_end(d.date))
            billed[key] = billed.get(key, Decimal("0.00")) + d.amount
    invoices = []
    for invoice in history.invoices:
        if invoice.project not in affected:
            invoices.append(invoice)
        elif amount := billed.get((invoice.project, invoice.date)):
            invoices.append(
                InvoiceData(invoice.number, invoice.project, invoice.date, invoice.due_date, amount)
            )
    return dataclasses.replace(
        history, deliveries=deliveries, invoices=invoices,
        approvals=[a for a in history.approvals if a.ticket in kept],
        payments=_payments_up_to_billed(history, invoices, affected - set(history.overpaid)),
    )  # fmt: skip


def _payments_up_to_billed(
    history: History, invoices: list[InvoiceData], projects: set[str]
) -> list[PaymentData]:
    """The payments of `projects`, oldest first, up to their total billed less the asset
    offsets accepted (the last payment cut short); other projects' as they are."""
    left = {code: Decimal("0.00") for code in projects}
    for invoice in invoices:
        if invoice.project in left:
            left[invoice.project] += invoice.amount
    for offset in history.offsets:
        if offset.project in left and offset.status == "posted":
            left[offset.project] -= offset.appraised_value
    payments = []
    for payment in sorted(history.payments, key=lambda p: (p.date, p.reference)):
        if payment.project not in left:
            payments.append(payment)
        elif left[payment.project] > 0:
            amount = min(payment.amount, left[payment.project])
            left[payment.project] -= amount
            payments.append(dataclasses.replace(payment, amount=amount))
    return payments
