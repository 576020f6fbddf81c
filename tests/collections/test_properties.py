"""The daily cycle (DOMAIN §6), checked on random ledgers and random run days.

Hypothesis draws a few projects of one or two customers, their invoices and payments
(some payments settle exactly up to an invoice, so overdue amounts reach zero; a few
records are reversed), a policy (short intervals, so sequences, holds and legal recovery
all happen within months, sometimes changed on a day in the middle), and the days the
cycle runs on: sorted, some repeated, with gaps. Records are posted through
`ledger.services` in date order as the days go by (a record dated D before the run of
D), so the cycle never sees history change behind it.

Then, against a plain-Python reference of the records (allocation oldest due date first,
recomputed here from scratch):

* never two letters for one project on one date;
* within a sequence the letters are numbered 1, 2, 3... without gaps, never above the
  policy maximum of their day, and sequences are numbered 1, 2, 3... per project;
* a letter is issued only when its project had an overdue amount on its date, and it
  states that amount; a sequence goes on only while the overdue amount stays above zero,
  and a new one starts only after it reached zero;
* no customer is put on hold on a day when its overdue amount is zero;
* a second run for the same day changes nothing;
* a hold is released on the first day its customer's overdue amount was zero, and one
  still in force had an overdue amount on every day since it was placed;
* and the whole outcome (letters, holds, legal cases) equals a reference simulation of
  the rules on the same days.

A second property checks the two set-based measures those rules stand on,
`first_clear_day_of_projects` and `first_clear_day_of_customers`, for arbitrary windows
(several per customer, bounds often on the days amounts change) against the reference.

Each example runs in a savepoint that is rolled back. COLLECTIONS_PROPERTY_EXAMPLES=300
searches longer than the default 35 examples.
"""

import datetime as dt
import functools
import os
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from salesdesk.collections.cycle import cycle_run
from salesdesk.collections.measures import (
    first_clear_day_of_customers,
    first_clear_day_of_projects,
)
from salesdesk.collections.models import DunningLetter, LegalCase, SupplyHold
from salesdesk.core.models import AuditEntry
from salesdesk.core.services import policy_update
from salesdesk.customers.models import Project
from salesdesk.ledger import services
from tests.factories import CustomerFactory, ProjectFactory, UserFactory

BASE = dt.date(2025, 1, 1)  # in the past: payment_post looks up to today for releases
ZERO = Decimal("0.00")
N_CUSTOMERS = 2
N_PROJECTS = 4

PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("COLLECTIONS_PROPERTY_EXAMPLES", 35)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def day(n: int) -> dt.date:
    return BASE + dt.timedelta(days=n)


# The data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inv:
    project: int
    number: str
    date: dt.date
    due: dt.date
    amount: Decimal
    reversed_on: dt.date | None = None


@dataclass(frozen=True)
class Pay:
    project: int
    reference: str
    date: dt.date
    amount: Decimal
    reversed_on: dt.date | None = None


POLICY_KEYS = {
    "collections.letter_first_after_days": [0, 5, 30],
    "collections.letter_interval_days": [1, 4, 15],
    "collections.letter_max": [1, 2, 3],
    "collections.hold_after_days": [0, 3, 15],
    "collections.legal_after_days": [25, 60, 180],
}
DEFAULT_POLICY = {
    "collections.letter_first_after_days": 30,
    "collections.letter_interval_days": 15,
    "collections.letter_max": 3,
    "collections.hold_after_days": 15,
    "collections.legal_after_days": 180,
}
policies = st.fixed_dictionaries({key: st.sampled_from(v) for key, v in POLICY_KEYS.items()})
amounts = st.sampled_from(["100.00", "250.00", "1000.00", "0.01", "333.33"]).map(Decimal)


@dataclass
class Case:
    customer_of: list[int]  # project index -> customer index
    invoices: list[Inv]
    payments: list[Pay]
    policy: dict  # from BASE
    change: tuple[dt.date, dict] | None  # a policy change effective from a day
    days: list[dt.date]  # the cycle runs, sorted, with repeats


@st.composite
def cases(draw):
    n_projects = draw(st.integers(1, N_PROJECTS))
    customer_of = [draw(st.integers(0, N_CUSTOMERS - 1)) for _ in range(n_projects)]
    project = st.integers(0, n_projects - 1)
    invoices = []
    for n in range(draw(st.integers(1, 7))):
        date = day(draw(st.integers(0, 120)))
        lag = draw(st.one_of(st.none(), st.none(), st.none(), st.none(), st.integers(0, 60)))
        invoices.append(
            Inv(
                project=draw(project),
                number=f"I{n}",
                date=date,
                due=date + dt.timedelta(days=draw(st.sampled_from([0, 10, 30, 45]))),
                amount=draw(amounts),
                reversed_on=None if lag is None else date + dt.timedelta(days=lag),
            )
        )
    payments = []
    paid = defaultdict(lambda: ZERO)
    for n in range(draw(st.integers(0, 7))):
        target = draw(project)
        own = sorted(
            (i for i in invoices if i.project == target), key=lambda i: (i.due, i.date, i.number)
        )
        # Often exactly what settles the project's first k invoices: overdue reaches zero.
        settles = st.one_of(st.just(len(own)), st.integers(1, max(1, len(own))))
        k = draw(settles) if own and draw(st.booleans()) else None
        amount = sum((i.amount for i in own[:k]), ZERO) - paid[target] if k else ZERO
        if amount <= ZERO:
            amount = draw(amounts)
        paid[target] += amount
        date = day(draw(st.integers(0, 220)))
        lag = draw(st.one_of(st.none(), st.none(), st.none(), st.none(), st.integers(1, 60)))
        payments.append(
            Pay(
                project=target,
                reference=f"P{n}",
                date=date,
                amount=amount,
                reversed_on=None if lag is None else date + dt.timedelta(days=lag),
            )
        )
    policy = draw(policies)
    change = None
    if draw(st.booleans()):
        change = (day(draw(st.integers(20, 200))), draw(policies))
    # Run days: a start, then steps; 0 repeats a day, larger steps leave gaps.
    steps = st.sampled_from([0, 1, 1, 1, 1, 1, 1, 2, 3, 8, 25])
    steps = draw(st.lists(steps, min_size=25, max_size=100))
    n = draw(st.integers(0, 40))
    days = [day(n)]
    for step in steps:
        n += step
        days.append(day(n))
    return Case(customer_of, invoices, payments, policy, change, days)


# The reference: DOMAIN §5 and §6 in plain Python ------------------------------------------


class Ledger:
    """Amounts of the records as of any day, by allocation (oldest due date first; ties:
    invoice date, then number), computed without the application."""

    def __init__(self, case: Case):
        self.case = case
        self._unsettled: dict[tuple, Decimal] = {}

    def policy(self, on: dt.date) -> dict:
        if self.case.change and on >= self.case.change[0]:
            return self.case.change[1]
        return self.case.policy

    def unsettled_due_before(self, project: int, on: dt.date, cutoff: dt.date) -> Decimal:
        key = (project, on, cutoff)
        if key not in self._unsettled:
            self._unsettled[key] = self._compute(project, on, cutoff)
        return self._unsettled[key]

    def _compute(self, project: int, on: dt.date, cutoff: dt.date) -> Decimal:
        invoices = sorted(
            (
                i
                for i in self.case.invoices
                if i.project == project
                and i.date <= on
                and not (i.reversed_on and i.reversed_on <= on)
            ),
            key=lambda i: (i.due, i.date, i.number),
        )
        paid = sum(
            (
                p.amount
                for p in self.case.payments
                if p.project == project
                and p.date <= on
                and not (p.reversed_on and p.reversed_on <= on)
            ),
            ZERO,
        )
        unsettled = ZERO
        for inv in invoices:
            settled = min(inv.amount, paid)
            paid -= settled
            if inv.due < cutoff:
                unsettled += inv.amount - settled
        return unsettled

    def overdue(self, project: int, on: dt.date) -> Decimal:
        return self.unsettled_due_before(project, on, on)

    def customer_overdue(self, customer: int, on: dt.date) -> Decimal:
        return sum(
            (self.overdue(p, on) for p, c in enumerate(self.case.customer_of) if c == customer),
            ZERO,
        )

    def clear_day(self, overdue, first: dt.date, last: dt.date) -> dt.date | None:
        """The first day in [first, last] on which overdue(day) is zero."""
        on = first
        while on <= last:
            if overdue(on) == 0:
                return on
            on += dt.timedelta(days=1)
        return None


@dataclass
class Outcome:
    letters: set = field(default_factory=set)  # (project, sequence, number, date, amount)
    holds: set = field(default_factory=set)  # (customer, since, released_on)
    legal: set = field(default_factory=set)  # (project, opened_on)


def simulate(case: Case) -> Outcome:
    """DOMAIN §6 run every day from the first run day to the last, in the order a run
    does it: releases, letters and holds, legal recovery. The application runs only on
    the case's days, with gaps and repeats: the outcome must not depend on the schedule."""
    ref = Ledger(case)
    letters: dict[int, list[tuple]] = defaultdict(list)  # project -> [(seq, n, date, amount)]
    holds: dict[int, list[list]] = defaultdict(list)  # customer -> [[since, released_on]]
    legal: dict[int, dt.date] = {}
    first, last = case.days[0], case.days[-1]
    for on in (first + dt.timedelta(days=n) for n in range((last - first).days + 1)):
        policy = ref.policy(on)
        for customer, own in holds.items():
            for hold in own:
                if hold[1] is None:
                    hold[1] = ref.clear_day(
                        lambda t, c=customer: ref.customer_overdue(c, t), hold[0], on
                    )
        candidates = set()
        for project, customer in enumerate(case.customer_of):
            if project in legal:
                continue
            past = letters[project]
            last = past[-1] if past else None
            if last and last[2] == on:
                continue
            overdue = ref.overdue(project, on)
            current = (
                last is not None
                and ref.clear_day(lambda t, p=project: ref.overdue(p, t), last[2], on) is None
            )
            if not current:
                threshold = on - dt.timedelta(days=policy["collections.letter_first_after_days"])
                if ref.unsettled_due_before(project, on, threshold) > 0:
                    sequence = last[0] + 1 if last else 1
                    past.append((sequence, 1, on, overdue))
            elif last[1] < policy["collections.letter_max"]:
                if on >= last[2] + dt.timedelta(days=policy["collections.letter_interval_days"]):
                    past.append((last[0], last[1] + 1, on, overdue))
            elif on >= last[2] + dt.timedelta(days=policy["collections.hold_after_days"]):
                candidates.add(customer)
        for customer in candidates:
            if not any(h[1] is None or h[1] > on for h in holds[customer]):
                holds[customer].append([on, None])
        limit = on - dt.timedelta(days=policy["collections.legal_after_days"])
        for project in range(len(case.customer_of)):
            if project not in legal and ref.unsettled_due_before(project, on, limit) > 0:
                legal[project] = on
    outcome = Outcome()
    for project, past in letters.items():
        outcome.letters |= {(project, *letter) for letter in past}
    for customer, own in holds.items():
        outcome.holds |= {(customer, since, released) for since, released in own}
    outcome.legal = set(legal.items())
    return outcome


# Running the application -------------------------------------------------------------------


@pytest.fixture
def people_and_projects(db):
    owner = UserFactory(username="props_owner", roles=["sales"])
    admin = UserFactory(username="props_admin", roles=["admin"])
    customers = [CustomerFactory(owner=owner, code=f"PC{n}") for n in range(N_CUSTOMERS)]
    projects = [
        ProjectFactory(customer=customers[0], owner=owner, code=f"PP{n}", payment_terms_days=30)
        for n in range(N_PROJECTS)
    ]
    return admin, customers, projects


def rolled_back(check):
    """Run `check` in a savepoint that is rolled back whatever happens."""
    with transaction.atomic():
        try:
            check()
        finally:
            transaction.set_rollback(True)


def postings(case: Case, projects) -> list[tuple[dt.date, int, callable]]:
    """Every posting as (date, order within the day, post): invoices, their reversals,
    payments, then payment reversals, so a payment sees the day's invoices."""
    out = []
    for inv in case.invoices:
        holder = {}

        def post_invoice(inv=inv, holder=holder):
            holder["record"] = services.invoice_post(
                actor=None, number=inv.number, project=projects[inv.project], date=inv.date,
                due_date=inv.due, amount=inv.amount,
            )[0]  # fmt: skip

        out.append((inv.date, 0, post_invoice))
        if inv.reversed_on:
            out.append((inv.reversed_on, 1, lambda inv=inv, h=holder: services.record_reverse(
                actor=None, record=h["record"], date=inv.reversed_on, reason="test")))  # fmt: skip
    for pay in case.payments:
        holder = {}

        def post_payment(pay=pay, holder=holder):
            holder["record"] = services.payment_post(
                actor=None, reference=pay.reference, project=projects[pay.project],
                date=pay.date, amount=pay.amount,
            )[0]  # fmt: skip

        out.append((pay.date, 2, post_payment))
        if pay.reversed_on:
            out.append((pay.reversed_on, 3, lambda pay=pay, h=holder: services.record_reverse(
                actor=None, record=h["record"], date=pay.reversed_on, reason="test")))  # fmt: skip
    return sorted(out, key=lambda x: (x[0], x[1]))


def state() -> tuple:
    return (
        list(DunningLetter.objects.order_by("pk").values_list()),
        list(SupplyHold.objects.order_by("pk").values_list("pk", "since", "released_on")),
        list(LegalCase.objects.order_by("pk").values_list()),
        list(Project.objects.order_by("pk").values_list("pk", "status")),
        AuditEntry.objects.count(),
    )


def run(case: Case, admin, customers, projects):
    """Post the records and run the cycle on the case's days. Returns the repeats' checks."""
    for n, project in enumerate(projects[: len(case.customer_of)]):
        Project.objects.filter(pk=project.pk).update(customer=customers[case.customer_of[n]])
        project.customer = customers[case.customer_of[n]]
    policy_update(values=case.policy, effective_from=BASE - dt.timedelta(days=1), actor=admin)
    if case.change:
        policy_update(values=case.change[1], effective_from=case.change[0], actor=admin)
    pending = postings(case, projects)
    previous = None
    for on in case.days:
        while pending and pending[0][0] <= on:
            pending.pop(0)[2]()
        before = state()
        report = cycle_run(as_of=on)
        if on == previous:
            # Property: a second run for the same day changes nothing.
            assert not report.changed, report.lines()
            assert state() == before
        previous = on


# The properties ----------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(case=cases())
def test_the_cycle_keeps_the_rules_on_random_ledgers_and_days(people_and_projects, case):
    admin, customers, projects = people_and_projects
    rolled_back(lambda: check(case, admin, customers, projects))


def check(case: Case, admin, customers, projects) -> None:
    run(case, admin, customers, projects)
    ref = Ledger(case)
    index = {p.pk: n for n, p in enumerate(projects)}
    customer_index = {c.pk: n for n, c in enumerate(customers)}
    rows = list(
        DunningLetter.objects.order_by("project_id", "issued_on").values_list(
            "project_id", "sequence", "number", "issued_on", "amount"
        )
    )
    letters = defaultdict(list)
    for project_id, sequence, number, issued_on, amount in rows:
        letters[index[project_id]].append((sequence, number, issued_on, amount))

    for project, own in letters.items():
        # Never two letters for one project on one date.
        assert len({issued_on for _s, _n, issued_on, _a in own}) == len(own)
        previous = None
        for sequence, number, issued_on, amount in own:
            # Issued only with an overdue amount on its date, and stating it.
            assert ref.overdue(project, issued_on) > 0
            assert amount == ref.overdue(project, issued_on)
            assert number <= ref.policy(issued_on)["collections.letter_max"]
            if previous is None:
                assert (sequence, number) == (1, 1)
            elif number == 1:
                # A new sequence: the previous one ended, the overdue amount reached zero.
                assert sequence == previous[0] + 1
                assert ref.clear_day(lambda t, p=project: ref.overdue(p, t), previous[2], issued_on)
            else:
                # The same sequence: numbered on without a gap, overdue all along.
                assert (sequence, number) == (previous[0], previous[1] + 1)
                assert not ref.clear_day(
                    lambda t, p=project: ref.overdue(p, t), previous[2], issued_on
                )
                interval = ref.policy(issued_on)["collections.letter_interval_days"]
                assert issued_on >= previous[2] + dt.timedelta(days=interval)
            previous = (sequence, number, issued_on)
        event(f"longest sequence: {max(n for _s, n, _d, _a in own)}")

    last_day = case.days[-1]
    holds = list(SupplyHold.objects.values_list("customer_id", "since", "released_on"))
    for customer_id, since, released_on in holds:
        customer = customer_index[customer_id]
        overdue = functools.partial(ref.customer_overdue, customer)
        # Never placed on a day when the customer's overdue amount is zero.
        assert overdue(since) > 0
        if released_on is None:
            assert ref.clear_day(overdue, since, last_day) is None
        else:
            # Released on a day its overdue amount was zero: the first such day.
            assert overdue(released_on) == 0
            assert ref.clear_day(overdue, since, released_on) == released_on
    event(f"holds: {len(holds)}")
    event(f"holds released: {sum(1 for h in holds if h[2])}")
    event(f"run days: {len(case.days) // 25 * 25}+")

    # The whole outcome equals the reference simulation of the rules.
    expected = simulate(case)
    assert {(index[p], *rest) for p, *rest in rows} == expected.letters
    assert {(customer_index[c], s, r) for c, s, r in holds} == expected.holds
    legal = set(LegalCase.objects.values_list("project_id", "opened_on"))
    assert {(index[p], on) for p, on in legal} == expected.legal
    event(f"legal cases: {len(legal)}")


# The measures the cycle reads, on their own ------------------------------------------------


@PROPERTY_SETTINGS
@given(case=cases(), data=st.data())
def test_the_first_clear_day_of_any_window_is_the_references(people_and_projects, case, data):
    """`first_clear_day_of_projects` and `_of_customers` (sequence ends, hold releases)
    for arbitrary windows, several per customer, against the reference day by day."""
    _admin, customers, projects = people_and_projects
    n_projects = len(case.customer_of)
    # Bounds often on the days an overdue amount changes, or next to them.
    edges = sorted(
        {i.due + dt.timedelta(days=1) for i in case.invoices}
        | {r.date for r in case.payments}
        | {r.reversed_on for r in [*case.invoices, *case.payments] if r.reversed_on}
    )
    near = st.tuples(st.sampled_from(edges), st.sampled_from([-1, 0, 0, 0, 1])).map(
        lambda e: e[0] + dt.timedelta(days=e[1])
    )
    bound = st.one_of(st.integers(-10, 260).map(day), near)
    windows = data.draw(st.lists(st.tuples(bound, bound), min_size=1, max_size=6))
    windows = [(min(a, b), max(a, b)) for a, b in windows]
    owners = data.draw(
        st.lists(st.integers(0, n_projects - 1), min_size=len(windows), max_size=len(windows))
    )

    def check_windows():
        for n, project in enumerate(projects[:n_projects]):
            Project.objects.filter(pk=project.pk).update(customer=customers[case.customer_of[n]])
            project.customer = customers[case.customer_of[n]]
        for _day, _order, post in postings(case, projects):
            post()
        ref = Ledger(case)

        # One window per project (the function's key is the project).
        unique = {}
        for p, (lo, hi) in zip(owners, windows, strict=True):
            unique.setdefault(p, (lo, hi))
        by_project = first_clear_day_of_projects(
            [(projects[p].pk, lo, hi) for p, (lo, hi) in unique.items()]
        )
        assert by_project == {
            projects[p].pk: found
            for p, (lo, hi) in unique.items()
            if (found := ref.clear_day(functools.partial(ref.overdue, p), lo, hi))
        }
        # Any number of windows per customer (keyed by the window).
        customer_windows = [
            (k, customers[case.customer_of[p]].pk, case.customer_of[p], lo, hi)
            for k, (p, (lo, hi)) in enumerate(zip(owners, windows, strict=True))
        ]
        by_customer = first_clear_day_of_customers(
            [(k, pk, lo, hi) for k, pk, _c, lo, hi in customer_windows]
        )
        assert by_customer == {
            k: found
            for k, _pk, c, lo, hi in customer_windows
            if (found := ref.clear_day(functools.partial(ref.customer_overdue, c), lo, hi))
        }
        event(f"windows with a clear day: {len(by_customer)} of {len(customer_windows)}")

    rolled_back(check_windows)
