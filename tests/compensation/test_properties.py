"""Commission statements on random ledgers (DOMAIN §7), months finalised in order while
invoices, payments (back-dated too), reversals, completions and write-offs keep coming:

* Σ earned over every finalised line = Σ over the settlement slices of the whole period,
  as the records finally stand, of slice × rate, rounded per slice: adjustments bring
  every finalised month to the truth, never a cent more or less;
* held back − released − forfeited ≥ 0 for every salesperson and project;
* a finalised month's statements are the same, byte for byte, after any later posting.

Each example runs in a savepoint that is rolled back. COMPENSATION_PROPERTY_EXAMPLES
searches longer.
"""

import datetime as dt
import json
import os
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdesk.compensation import rules
from salesdesk.compensation.models import StatementLine
from salesdesk.compensation.reports import commissions_report
from salesdesk.compensation.services import month_finalise
from salesdesk.compensation.statements import month_statements
from salesdesk.core.policy import Policy
from salesdesk.ledger import services as ledger
from salesdesk.ledger.allocation import settlement_slices
from salesdesk.ledger.models import Payment
from salesdesk.lib.dates import month_end, next_month
from tests.compensation.helpers import project_of
from tests.factories import UserFactory

JAN = dt.date(2026, 1, 1)
MONTHS = 4  # January to April 2026
LAST = month_end(dt.date(2026, 4, 1))
POLICY = Policy(JAN, {})
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("COMPENSATION_PROPERTY_EXAMPLES", 25)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

amounts = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
projects = st.integers(min_value=0, max_value=2)
# (kind, project, month offset from the open month (negative: back-dated), day, amount, terms)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), projects, st.integers(-12, 0), st.integers(1, 28),
                  amounts, st.integers(0, 400)),
        st.tuples(st.just("pay"), projects, st.integers(-2, 0), st.integers(1, 28),
                  amounts, st.just(0)),
        st.tuples(st.just("reverse"), projects, st.just(0), st.integers(1, 28),
                  st.just(Decimal(0)), st.integers(0, 50)),
        st.tuples(st.just("complete"), projects, st.just(0), st.integers(1, 28),
                  st.just(Decimal(0)), st.just(0)),
        st.tuples(st.just("write_off"), projects, st.just(0), st.integers(1, 28),
                  st.just(Decimal(0)), st.just(0)),
        st.just(("finalise", 0, 0, 1, Decimal(0), 0)),
    ),
    max_size=30,
)  # fmt: skip


def shift(month: dt.date, offset: int) -> dt.date:
    year, index = divmod(month.year * 12 + month.month - 1 + offset, 12)
    return dt.date(year, index + 1, 1)


def snapshot(month: dt.date) -> str:
    report = commissions_report(month=f"{month:%Y-%m}")
    return json.dumps([report.rows, report.totals, report.statements], sort_keys=True)


class Book:
    def __init__(self, people, finance):
        self.projects = people
        self.finance = finance
        self.open = JAN  # the month being worked in: the next to finalise
        self.n = 0
        self.frozen: dict[dt.date, str] = {}

    def apply(self, op) -> None:
        kind, index, offset, day, amount, extra = op
        project = self.projects[index]
        if kind == "finalise":
            self.finalise()
            return
        if self.open > LAST:
            return
        date = shift(self.open, offset).replace(day=day)
        self.n += 1
        if kind == "invoice":
            ledger.invoice_post(
                actor=None, number=f"I{self.n}", project=project, date=date, amount=amount,
                due_date=date + dt.timedelta(days=extra),
            )  # fmt: skip
        elif kind == "pay":
            ledger.payment_post(
                actor=None, reference=f"P{self.n}", project=project,
                date=max(date, JAN), amount=amount,
            )  # fmt: skip
        elif kind == "reverse":
            payments = list(Payment.objects.filter(project=project, reversal__isnull=True))
            if payments:
                payment = payments[extra % len(payments)]
                ledger.record_reverse(
                    actor=None, record=payment, date=max(payment.date, date), reason="returned"
                )
        elif kind == "complete" and project.status == "active":
            project.status, project.completed_on = "completed", date
            project.save()
        elif kind == "write_off" and project.status != "written_off":
            project.status = "written_off"
            project.save()

    def finalise(self) -> None:
        if self.open > dt.date(2026, 4, 1):
            return
        month_finalise(actor=self.finance, month=self.open, today=next_month(self.open))
        self.frozen[self.open] = snapshot(self.open)
        self.open = next_month(self.open)


def truth_earned(tiers: dict[int, str]) -> Decimal:
    total = Decimal(0)
    for s in settlement_slices(as_of=LAST, first=JAN, last=LAST):
        base = rules.base_rate(POLICY, tiers[s.project_id])
        bonus = rules.bonus_points(POLICY, (s.date - s.due_date).days)
        total += rules.earned(s.amount, rules.rate(base, 0, 0, bonus))
    return total


@PROPERTY_SETTINGS
@given(ops=operations)
def test_finalised_months_add_up_to_the_truth_and_never_change(people, ops):
    with transaction.atomic():
        seller = UserFactory(username="prop-seller")
        book_projects = [
            project_of(seller, tier=tier, code=f"H{n}")
            for n, tier in enumerate(("general", "key", "strategic"))
        ]
        book = Book(book_projects, people.finance)
        for op in ops:
            before = dict(book.frozen)
            book.apply(op)
            for month, text in before.items():
                assert snapshot(month) == text, f"{month:%Y-%m} changed after {op}"
        while book.open <= dt.date(2026, 4, 1):
            book.finalise()

        # Added up in Python: SQLite sums decimals as floating point.
        recorded = sum(StatementLine.objects.values_list("earned", flat=True), Decimal(0))
        tiers = {p.pk: p.customer.tier for p in book_projects}
        assert recorded == truth_earned(tiers)

        held = defaultdict(Decimal)
        for line in StatementLine.objects.values(
            "statement__salesperson_id", "project_id", "held_back", "released", "forfeited"
        ):
            key = (line["statement__salesperson_id"], line["project_id"])
            held[key] += line["held_back"] - line["released"] - line["forfeited"]
        assert all(amount >= 0 for amount in held.values()), held
        # The open month after the last one carries on from there without going below zero.
        for statement in month_statements(dt.date(2026, 5, 1)).values():
            assert all(amount >= 0 for amount in statement.held.values())
        transaction.set_rollback(True)
