"""Allocation and aging, checked against figures worked out by hand from DOMAIN §5."""

import datetime as dt
from decimal import Decimal

import pytest

from salesdesk.customers.models import Project
from salesdesk.ledger import services
from salesdesk.ledger.allocation import invoice_balances, project_balances
from tests.factories import ProjectFactory
from tests.ledger.builders import post_invoice, post_payment

D = dt.date
M = Decimal


@pytest.fixture
def project(db):
    return ProjectFactory(payment_terms_days=30)


def test_it_settles_the_oldest_due_date_first(project):
    post_invoice(project, "B", D(2026, 1, 10), "100.00", due=D(2026, 3, 1))
    post_invoice(project, "A", D(2026, 2, 1), "50.00", due=D(2026, 2, 15))
    post_payment(project, "P1", D(2026, 3, 5), "70.00")

    rows = {row.number: row for row in invoice_balances(D(2026, 3, 31))}
    assert rows["A"].settled == M("50.00")  # due first, though invoiced later
    assert rows["B"].settled == M("20.00")
    assert rows["B"].unsettled == M("80.00")
    assert rows["B"].days_past_due == 30


def test_it_breaks_due_date_ties_by_invoice_date_then_number(project):
    post_invoice(project, "X2", D(2026, 1, 5), "10.00", due=D(2026, 2, 1))
    post_invoice(project, "X1", D(2026, 1, 5), "10.00", due=D(2026, 2, 1))
    post_invoice(project, "X0", D(2026, 1, 6), "10.00", due=D(2026, 2, 1))
    post_payment(project, "P", D(2026, 2, 2), "15.00")
    rows = {row.number: row.settled for row in invoice_balances(D(2026, 2, 2))}
    assert rows == {"X1": M("10.00"), "X2": M("5.00"), "X0": M("0.00")}


def test_it_ages_as_of_a_past_date_ignoring_later_records(project):
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 2026-01-31
    post_payment(project, "P1", D(2026, 2, 10), "400.00")
    post_invoice(project, "I2", D(2026, 3, 1), "500.00")  # due 2026-03-31, after as_of
    post_payment(project, "P2", D(2026, 3, 20), "600.00")  # after as_of

    balance = project_balances(D(2026, 2, 28))[project.pk]
    assert balance.billed == M("1000.00")
    assert balance.paid == M("400.00")
    assert balance.outstanding == M("600.00")
    assert balance.buckets["1-30"] == M("600.00")  # 28 days past due
    assert balance.credit == M("0.00")

    later = project_balances(D(2026, 4, 30))[project.pk]
    assert later.outstanding == M("500.00")
    assert later.buckets["1-30"] == M("500.00")  # I2 is 30 days past due
    assert later.buckets["61-90"] == M("0.00")


def test_it_carries_unapplied_credit_to_later_invoices(project):
    post_payment(project, "ADV", D(2026, 1, 1), "300.00")
    before = project_balances(D(2026, 1, 31))[project.pk]
    assert before.credit == M("300.00")
    assert before.outstanding == M("0.00")

    post_invoice(project, "I1", D(2026, 2, 1), "250.00")
    after = project_balances(D(2026, 2, 1))[project.pk]
    assert after.credit == M("50.00")
    assert after.outstanding == M("0.00")


def test_it_puts_each_day_count_in_the_right_bucket(project):
    as_of = D(2026, 12, 31)
    expected = {0: "not_due", 1: "1-30", 30: "1-30", 31: "31-60", 60: "31-60", 61: "61-90",
                90: "61-90", 91: "91-180", 180: "91-180", 181: "181-365", 365: "181-365",
                366: "365+"}  # fmt: skip
    for n, days in enumerate(expected):
        due = as_of - dt.timedelta(days=days)
        post_invoice(project, f"I{n:02d}", due - dt.timedelta(days=1), f"{n + 1}.00", due=due)
    balance = project_balances(as_of)[project.pk]
    wanted = dict.fromkeys(balance.buckets, M("0.00"))
    for n, bucket in enumerate(expected.values()):
        wanted[bucket] += M(n + 1)
    assert balance.buckets == wanted


def test_it_treats_a_reversed_payment_as_absent_from_its_reversal_date(project):
    post_invoice(project, "I1", D(2026, 1, 1), "100.00")
    payment = post_payment(project, "P1", D(2026, 1, 10), "100.00")
    services.record_reverse(
        actor=None, record=payment, date=D(2026, 1, 20), reason="bill dishonoured"
    )
    assert project_balances(D(2026, 1, 15))[project.pk].outstanding == M("0.00")
    assert project_balances(D(2026, 1, 20))[project.pk].outstanding == M("100.00")


def test_it_scopes_balances_to_the_given_projects(project):
    other = ProjectFactory()
    post_invoice(project, "I1", D(2026, 1, 1), "100.00")
    post_invoice(other, "I2", D(2026, 1, 1), "200.00")
    balances = project_balances(D(2026, 6, 1), Project.objects.filter(pk=other.pk))
    assert set(balances) == {other.pk}
    assert balances[other.pk].outstanding == M("200.00")


def test_it_adds_cents_exactly(project):
    for n in range(10):
        post_invoice(project, f"C{n}", D(2026, 1, 1), "0.10")
    post_payment(project, "P", D(2026, 1, 2), "0.30")
    balance = project_balances(D(2026, 1, 2))[project.pk]
    assert balance.billed == M("1.00")
    assert balance.outstanding == M("0.70")
