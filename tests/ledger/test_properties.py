"""Allocation and aging (DOMAIN §5), checked on random ledgers.

Hypothesis draws a few projects' invoices and payments (with ties on due date and date,
exact-boundary payments, reversals), posts them through `ledger.services`, and checks what
`allocation.invoice_balances` and `allocation.project_balances` say against:

* invariants that hold whatever the data: no cent created or lost, 0 ≤ settled ≤ amount,
  settled invoices form a prefix of the allocation order, buckets add up;
* a plain-Python reference implementation of DOMAIN §5 in Decimal, to the cent;
* the as-of rule: records dated after D change nothing as of D.

Each example runs in a savepoint that is rolled back, so examples do not see each other.
LEDGER_PROPERTY_EXAMPLES=1500 searches longer than the default 60 examples per property;
`--hypothesis-show-statistics` shows what the examples exercised (ties, partial
settlement, exact boundaries, credit, the oldest bucket).
"""

import datetime as dt
import os
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from salesdesk.customers.models import Project
from salesdesk.ledger import services
from salesdesk.ledger.allocation import bucket_names, invoice_balances, project_balances
from salesdesk.ledger.models import Invoice, Payment
from tests.factories import ProjectFactory, UserFactory

BASE = dt.date(2025, 1, 1)
ZERO = Decimal("0.00")
TERMS_DAYS = 30  # the projects' payment terms, for invoices posted without a due date
N_PROJECTS = 3

# DOMAIN §5: ≤ 0 not due; 1-30; 31-60; 61-90; 91-180; 181-365; over 365.
DOMAIN_BUCKETS = ("not_due", "1-30", "31-60", "61-90", "91-180", "181-365", "365+")
DOMAIN_BOUNDS = (30, 60, 90, 180, 365)

PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", 60)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Inv:
    project: int  # index into the fixture's projects
    number: str
    date: dt.date
    due_date: dt.date | None  # None: posted without one, due after the project's terms
    amount: Decimal
    reversed_on: dt.date | None = None

    @property
    def due(self) -> dt.date:
        return self.due_date or self.date + dt.timedelta(days=TERMS_DAYS)

    @property
    def allocation_key(self):
        # Oldest due date first; ties: invoice date, then number (compared as code points).
        return (self.due, self.date, self.number)


@dataclass(frozen=True)
class Pay:
    project: int
    reference: str
    date: dt.date
    amount: Decimal
    reversed_on: dt.date | None = None


# Strategies -----------------------------------------------------------------------------


def day(low: int, high: int):
    return st.integers(low, high).map(lambda n: BASE + dt.timedelta(days=n))


def cents_to_decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)  # 12345 -> 123.45, 100 -> 1.00


amounts = st.one_of(
    st.integers(1, 1_000_000),  # up to 10,000.00
    st.sampled_from([1, 100, 5_000, 10_000, 12_345]),  # repeats, so sums meet exactly
    st.integers(1, 10**12),  # up to 10,000,000,000.00
).map(cents_to_decimal)

# Small alphabet: shared prefixes, digits that sort as text ("10" < "9"), case, non-ASCII.
invoice_numbers = st.text(alphabet="Aa09-_对", min_size=1, max_size=5)
reversal_lag = st.one_of(st.none(), st.none(), st.none(), st.integers(0, 90))
# Dates crowd into the first days, so invoices often share a date (and a due date).
dates_with_ties = st.one_of(day(0, 3), day(0, 120))
# Half the records go to the first project, so it usually has several invoices.
project_index = st.one_of(st.just(0), st.integers(0, N_PROJECTS - 1))


@st.composite
def ledgers(draw, max_invoices: int = 16, max_payments: int = 10):
    count = draw(st.integers(0, max_invoices))
    # Unique numbers; duplicates are dropped rather than redrawn (redrawing gives up often).
    numbers = list(dict.fromkeys(draw(st.lists(invoice_numbers, min_size=count, max_size=count))))
    invoices = []
    for number in numbers:
        date = draw(dates_with_ties)
        due_date = draw(
            st.one_of(
                st.none(),  # the project's terms
                st.sampled_from([0, 30, 60]).map(lambda n, date=date: date + dt.timedelta(n)),
                st.integers(0, 400).map(lambda n, date=date: date + dt.timedelta(n)),
                # A few fixed due dates (month ends), shared by many invoices.
                st.sampled_from([30, 58, 120]).map(
                    lambda n, date=date: max(date, BASE + dt.timedelta(n))
                ),
            )
        )
        lag = draw(reversal_lag)
        invoices.append(
            Inv(
                project=draw(project_index),
                number=number,
                date=date,
                due_date=due_date,
                amount=draw(amounts),
                reversed_on=None if lag is None else date + dt.timedelta(days=lag),
            )
        )
    payments = []
    paid = defaultdict(lambda: ZERO)
    for n in range(draw(st.integers(0, max_payments))):
        project = draw(project_index)
        own = sorted((i for i in invoices if i.project == project), key=lambda i: i.allocation_key)
        # Often what brings the project's payments to exactly the sum of its first k
        # invoices: the boundary between settled and not.
        k = draw(st.integers(1, len(own))) if own and draw(st.booleans()) else None
        amount = sum((i.amount for i in own[:k]), ZERO) - paid[project] if k else ZERO
        if amount <= ZERO:
            amount = draw(amounts)
        paid[project] += amount
        date = draw(day(0, 200))
        lag = draw(reversal_lag)
        payments.append(
            Pay(
                project=project,
                reference=f"P{n}",
                date=date,
                amount=amount,
                reversed_on=None if lag is None else date + dt.timedelta(days=lag),
            )
        )
    return invoices, payments


def as_of_dates(data, invoices, payments, max_size: int = 4) -> list[dt.date]:
    """Dates to look from: arbitrary ones, the records' own dates (the ≤ boundaries), and
    the days that put an invoice on either side of a bucket boundary."""
    record_dates = sorted(
        {i.date for i in invoices}
        | {p.date for p in payments}
        | {r.reversed_on for r in [*invoices, *payments] if r.reversed_on}
    )
    edges = (0, 1, 30, 31, 60, 61, 90, 91, 180, 181, 365, 366)
    bucket_edges = sorted({i.due + dt.timedelta(days) for i in invoices for days in edges})
    one = st.one_of(
        day(-5, 700), *(st.sampled_from(dates) for dates in (record_dates, bucket_edges) if dates)
    )
    return data.draw(st.lists(one, min_size=1, max_size=max_size), label="as_of")


bounds_strategy = st.lists(st.integers(1, 500), min_size=1, max_size=6, unique=True).map(
    lambda values: tuple(sorted(values))
)


# The reference: DOMAIN §5 in plain Python ----------------------------------------------


@dataclass
class RefInvoice:
    project: int
    number: str
    amount: Decimal
    settled: Decimal
    days_past_due: int


@dataclass
class RefProject:
    billed: Decimal
    paid: Decimal
    outstanding: Decimal
    overdue: Decimal
    credit: Decimal
    buckets: list[Decimal]
    oldest_days_past_due: int | None
    invoices: list[RefInvoice]  # in allocation order


def standing(record, as_of: dt.date) -> bool:
    """Dated on or before D and not reversed on or before D."""
    return record.date <= as_of and not (record.reversed_on and record.reversed_on <= as_of)


def bucket_index(days: int, bounds: tuple[int, ...]) -> int:
    if days <= 0:
        return 0
    for n, high in enumerate(bounds):
        if days <= high:
            return n + 1
    return len(bounds) + 1


def reference(invoices, payments, as_of: dt.date, bounds=DOMAIN_BOUNDS) -> dict[int, RefProject]:
    live_invoices = [i for i in invoices if standing(i, as_of)]
    live_payments = [p for p in payments if standing(p, as_of)]
    result = {}
    for project in {i.project for i in live_invoices} | {p.project for p in live_payments}:
        paid = sum((p.amount for p in live_payments if p.project == project), ZERO)
        left = paid
        rows = []
        buckets = [ZERO] * (len(bounds) + 2)
        own = sorted(
            (i for i in live_invoices if i.project == project), key=lambda i: i.allocation_key
        )
        for inv in own:
            settled = min(inv.amount, left)
            left -= settled
            days = (as_of - inv.due).days
            rows.append(RefInvoice(project, inv.number, inv.amount, settled, days))
            buckets[bucket_index(days, bounds)] += inv.amount - settled
        unsettled = [r for r in rows if r.amount > r.settled]
        result[project] = RefProject(
            billed=sum((i.amount for i in own), ZERO),
            paid=paid,
            outstanding=sum((r.amount - r.settled for r in rows), ZERO),
            overdue=sum((r.amount - r.settled for r in rows if r.days_past_due > 0), ZERO),
            credit=left,
            buckets=buckets,
            oldest_days_past_due=max((r.days_past_due for r in unsettled), default=None),
            invoices=rows,
        )
    return result


# Fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def projects(db):
    owner = UserFactory(username="props_owner", roles=["sales"])
    return [
        ProjectFactory(customer__owner=owner, payment_terms_days=TERMS_DAYS)
        for _ in range(N_PROJECTS)
    ]


def rolled_back(check):
    """Run `check` in a savepoint that is rolled back whatever happens."""
    with transaction.atomic():
        try:
            check()
        finally:
            transaction.set_rollback(True)


def post(projects, invoices, payments) -> None:
    for inv in invoices:
        record, created = services.invoice_post(
            actor=None, number=inv.number, project=projects[inv.project], date=inv.date,
            due_date=inv.due_date, amount=inv.amount,
        )  # fmt: skip
        assert created
        assert record.due_date == inv.due
        if inv.reversed_on:
            services.record_reverse(actor=None, record=record, date=inv.reversed_on, reason="test")
    for pay in payments:
        record, created = services.payment_post(
            actor=None, reference=pay.reference, project=projects[pay.project], date=pay.date,
            amount=pay.amount,
        )  # fmt: skip
        assert created
        if pay.reversed_on:
            services.record_reverse(actor=None, record=record, date=pay.reversed_on, reason="test")


def check_invariants(as_of, invoices, payments, projects) -> None:
    """What must hold whatever the allocation rule's details."""
    index = {project.pk: n for n, project in enumerate(projects)}
    rows = invoice_balances(as_of)
    balances = project_balances(as_of)
    by_project = defaultdict(list)
    for row in rows:
        by_project[index[row.project_id]].append(row)
    invoiced = defaultdict(lambda: ZERO)
    for inv in invoices:
        if standing(inv, as_of):
            invoiced[inv.project] += inv.amount
    paid = defaultdict(lambda: ZERO)
    for pay in payments:
        if standing(pay, as_of):
            paid[pay.project] += pay.amount

    assert {index[pk] for pk in balances} == set(invoiced) | set(paid)
    for pk, balance in balances.items():
        n = index[pk]
        own = by_project[n]
        settled = sum((r.settled for r in own), ZERO)
        unsettled = sum((r.unsettled for r in own), ZERO)
        # Allocation never creates or loses a cent.
        assert settled + unsettled == invoiced[n] == balance.billed
        assert settled + balance.credit == paid[n] == balance.paid
        assert balance.outstanding == unsettled
        for r in own:
            assert ZERO <= r.settled <= r.amount, r
            assert r.days_past_due == (as_of - r.due_date).days
        # Settled invoices are a prefix of the allocation order: full, at most one partial,
        # then nothing. (Checked in our own order, not trusting the query's.)
        ordered = sorted(own, key=lambda r: (r.due_date, r.date, r.number))
        first_open = next((k for k, r in enumerate(ordered) if r.settled < r.amount), len(ordered))
        assert all(r.settled == ZERO for r in ordered[first_open + 1 :]), ordered
        assert sum(1 for r in ordered if ZERO < r.settled < r.amount) <= 1
        # No credit while an invoice is open.
        assert balance.credit == ZERO or first_open == len(ordered)
        # Buckets.
        assert sum(balance.buckets.values(), ZERO) == balance.outstanding
        past_due = [name for name in balance.buckets if name != "not_due"]
        assert balance.overdue == sum((balance.buckets[name] for name in past_due), ZERO)
        describe(ordered, first_open, balance)
    # The query returns each project's invoices in allocation order.
    keys = [(r.project_id, r.due_date, r.date, r.number) for r in rows]
    assert keys == sorted(keys)


def describe(ordered, first_open: int, balance) -> None:
    """What an example exercised, shown by `pytest --hypothesis-show-statistics`."""
    event(f"{min(len(ordered), 5)}{'+' if len(ordered) >= 5 else ''} invoices in a project")
    partial = any(ZERO < r.settled < r.amount for r in ordered)
    event("a partly settled invoice" if partial else "no partly settled invoice")
    exact = 0 < first_open < len(ordered) and ordered[first_open].settled == ZERO
    event("paid exactly the first k invoices" if exact else "not an exact prefix")
    event("unapplied credit" if balance.credit else "no credit")
    dues = [r.due_date for r in ordered]
    event("a due-date tie" if len(set(dues)) < len(dues) else "no due-date tie")
    event("over 365 days past due" if balance.buckets["365+"] else "nothing over 365 days")


def check_against_reference(as_of, invoices, payments, projects, bounds) -> None:
    index = {project.pk: n for n, project in enumerate(projects)}
    expected = reference(invoices, payments, as_of)
    balances = project_balances(as_of)
    assert {index[pk] for pk in balances} == set(expected)
    for pk, balance in balances.items():
        ref = expected[index[pk]]
        assert list(balance.buckets) == list(DOMAIN_BUCKETS)
        assert (
            balance.billed, balance.paid, balance.outstanding, balance.overdue, balance.credit,
            list(balance.buckets.values()), balance.oldest_days_past_due,
        ) == (
            ref.billed, ref.paid, ref.outstanding, ref.overdue, ref.credit, ref.buckets,
            ref.oldest_days_past_due,
        )  # fmt: skip

    got = [
        (index[r.project_id], r.number, r.amount, r.settled, r.days_past_due)
        for r in invoice_balances(as_of)
    ]
    wanted = [
        (r.project, r.number, r.amount, r.settled, r.days_past_due)
        for n in sorted(expected, key=lambda n: projects[n].pk)
        for r in expected[n].invoices
    ]
    assert got == wanted

    # Other bucket bounds, as the policy may set them.
    other = project_balances(as_of, bounds=bounds)
    expected_other = reference(invoices, payments, as_of, bounds)
    for pk, balance in other.items():
        assert list(balance.buckets) == bucket_names(bounds)
        assert list(balance.buckets.values()) == expected_other[index[pk]].buckets

    # Restricted to some projects: the same figures for those, nothing for the rest.
    some = [projects[0].pk, projects[2].pk]
    scoped = project_balances(as_of, Project.objects.filter(pk__in=some))
    assert scoped == {pk: b for pk, b in balances.items() if pk in some}


# Properties -----------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(ledger=ledgers(), bounds=bounds_strategy, data=st.data())
def test_allocation_keeps_every_cent_and_matches_the_reference(projects, ledger, bounds, data):
    invoices, payments = ledger
    dates = as_of_dates(data, invoices, payments)

    def check():
        post(projects, invoices, payments)
        for as_of in dates:
            check_invariants(as_of, invoices, payments, projects)
            check_against_reference(as_of, invoices, payments, projects, bounds)

    rolled_back(check)


@st.composite
def later_records(draw, as_of: dt.date, invoices, payments):
    """Invoices and payments dated after `as_of`, and reversals dated after it."""
    later_invoices = []
    for n in range(draw(st.integers(0, 6))):
        date = as_of + dt.timedelta(days=draw(st.integers(1, 60)))
        later_invoices.append(
            Inv(
                project=draw(st.integers(0, N_PROJECTS - 1)),
                number=f"~L{n}",  # "~" is not in the first invoices' alphabet
                date=date,
                due_date=date + dt.timedelta(days=draw(st.integers(0, 90))),
                amount=draw(amounts),
            )
        )
    later_payments = [
        Pay(
            project=draw(st.integers(0, N_PROJECTS - 1)),
            reference=f"Q{n}",
            date=as_of + dt.timedelta(days=draw(st.integers(1, 60))),
            amount=draw(amounts),
        )
        for n in range(draw(st.integers(0, 6)))
    ]
    unreversed = [r for r in [*invoices, *payments] if r.reversed_on is None]
    to_reverse = draw(st.lists(st.sampled_from(unreversed), unique=True)) if unreversed else []
    reversals = [
        (r, max(as_of + dt.timedelta(days=1), r.date) + dt.timedelta(days=draw(st.integers(0, 30))))
        for r in to_reverse
    ]
    return later_invoices, later_payments, reversals


@PROPERTY_SETTINGS
@given(ledger=ledgers(), data=st.data())
def test_aging_as_of_a_date_ignores_records_dated_after_it(projects, ledger, data):
    invoices, payments = ledger
    (as_of,) = as_of_dates(data, invoices, payments, max_size=1)
    more_invoices, more_payments, reversals = data.draw(
        later_records(as_of, invoices, payments), label="later"
    )

    def check():
        post(projects, invoices, payments)
        before = (invoice_balances(as_of), project_balances(as_of))

        post(projects, more_invoices, more_payments)
        for record, date in reversals:
            model = Invoice if isinstance(record, Inv) else Payment
            key = {"number": record.number} if isinstance(record, Inv) else {
                "reference": record.reference
            }  # fmt: skip
            stored = model.objects.get(**key)
            services.record_reverse(actor=None, record=stored, date=date, reason="later")

        assert (invoice_balances(as_of), project_balances(as_of)) == before
        # ... while as of the last date, everything counts.
        everything = [*invoices, *more_invoices], [*payments, *more_payments]
        reversed_later = {id(record): date for record, date in reversals}
        last = max([as_of, *(date for _record, date in reversals)]) + dt.timedelta(days=90)
        with_reversals = tuple(
            [
                type(r)(**{**r.__dict__, "reversed_on": reversed_later.get(id(r), r.reversed_on)})
                for r in records
            ]
            for records in everything
        )
        check_invariants(last, *with_reversals, projects)
        check_against_reference(last, *with_reversals, projects, DOMAIN_BOUNDS)

    rolled_back(check)
