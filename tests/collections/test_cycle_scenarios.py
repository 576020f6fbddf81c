"""Projects walked through months of daily cycles; every date worked out by hand from
DOMAIN §6 with the default policy (letter 1 after 30 days past due, then every 15 days,
3 letters, hold 15 days after the third, legal after 180 days)."""

import datetime as dt
from decimal import Decimal

import pytest

from salesdesk.collections.cycle import cycle_run
from salesdesk.collections.models import DunningLetter, LegalCase, SupplyHold
from salesdesk.ledger import services as ledger
from salesdesk.ledger.gate import order_gate
from tests.factories import ProjectFactory

D = dt.date


def run_daily(first: dt.date, last: dt.date) -> None:
    day = first
    while day <= last:
        cycle_run(as_of=day)
        day += dt.timedelta(days=1)


@pytest.fixture
def project(db):
    project = ProjectFactory(payment_terms_days=30)
    ledger.invoice_post(
        actor=None, number="I1", project=project, date=D(2026, 1, 1), amount="1000.00"
    )
    return project  # I1 is due 2026-01-31


def letters(project):
    return list(
        DunningLetter.objects.filter(project=project)
        .order_by("issued_on")
        .values_list("number", "issued_on", "amount")
    )


def test_it_issues_letters_then_holds_on_the_exact_days(project):
    run_daily(D(2026, 1, 1), D(2026, 4, 30))

    assert letters(project) == [
        (1, D(2026, 3, 3), Decimal("1000.00")),  # 31 days past due
        (2, D(2026, 3, 18), Decimal("1000.00")),
        (3, D(2026, 4, 2), Decimal("1000.00")),
    ]
    hold = SupplyHold.objects.get(customer=project.customer)
    assert hold.since == D(2026, 4, 17)
    assert hold.released_on is None
    assert not order_gate(customer=project.customer, project=project, as_of=D(2026, 4, 17)).allowed
    assert order_gate(customer=project.customer, project=project, as_of=D(2026, 4, 16)).allowed


def test_it_releases_the_hold_on_the_payment_day_and_restarts_the_sequence(project):
    run_daily(D(2026, 1, 1), D(2026, 4, 20))
    ledger.payment_post(
        actor=None, reference="P1", project=project, date=D(2026, 4, 25), amount="1000.00"
    )
    ledger.invoice_post(
        actor=None, number="I2", project=project, date=D(2026, 5, 1), amount="500.00"
    )
    run_daily(D(2026, 4, 21), D(2026, 7, 15))

    hold = SupplyHold.objects.get(customer=project.customer)
    assert hold.released_on == D(2026, 4, 25)
    assert order_gate(customer=project.customer, project=project, as_of=D(2026, 4, 25)).allowed
    # I2 is due 2026-05-31; 31 days past due on 2026-07-01: the new sequence starts at 1.
    assert letters(project)[3:] == [(1, D(2026, 7, 1), Decimal("500.00"))]
    assert DunningLetter.objects.get(project=project, issued_on=D(2026, 7, 1)).sequence == 2


def test_it_changes_nothing_when_run_twice_for_a_day(project):
    run_daily(D(2026, 3, 1), D(2026, 4, 17))
    before = (DunningLetter.objects.count(), SupplyHold.objects.count())
    report = cycle_run(as_of=D(2026, 4, 17))
    assert (DunningLetter.objects.count(), SupplyHold.objects.count()) == before
    assert not report.changed


def test_it_sends_one_letter_per_run_after_a_gap(project):
    cycle_run(as_of=D(2026, 6, 1))
    assert letters(project) == [(1, D(2026, 6, 1), Decimal("1000.00"))]
    cycle_run(as_of=D(2026, 6, 10))  # within 15 days: nothing
    cycle_run(as_of=D(2026, 6, 16))
    assert [n for n, _day, _amount in letters(project)] == [1, 2]


def test_it_sends_a_project_to_legal_after_180_days(project):
    cycle_run(as_of=D(2026, 7, 30))  # 180 days past due: not yet
    assert not LegalCase.objects.exists()
    cycle_run(as_of=D(2026, 7, 31))  # 181 days
    case = LegalCase.objects.get(project=project)
    assert case.opened_on == D(2026, 7, 31)
    project.refresh_from_db()
    assert project.status == "legal"
    assert not order_gate(customer=project.customer, project=project, as_of=D(2026, 8, 1)).allowed


def test_it_ends_a_sequence_when_the_overdue_amount_reaches_zero_between_runs(project):
    cycle_run(as_of=D(2026, 3, 3))
    ledger.payment_post(
        actor=None, reference="P1", project=project, date=D(2026, 3, 10), amount="1000.00"
    )
    ledger.invoice_post(
        actor=None, number="I2", project=project, date=D(2026, 3, 5), amount="200.00"
    )
    # Every day from 03-04 is run: I2 (due 04-04) is first more than 30 days past due
    # on 05-05.
    cycle_run(as_of=D(2026, 5, 6))

    assert letters(project) == [
        (1, D(2026, 3, 3), Decimal("1000.00")),
        (1, D(2026, 5, 5), Decimal("200.00")),  # overdue was zero on 03-10: a new sequence
    ]


def test_it_goes_on_with_the_sequence_while_something_stays_overdue(project):
    cycle_run(as_of=D(2026, 3, 3))
    ledger.payment_post(
        actor=None, reference="P1", project=project, date=D(2026, 3, 10), amount="999.99"
    )
    cycle_run(as_of=D(2026, 3, 18))
    assert letters(project)[-1] == (2, D(2026, 3, 18), Decimal("0.01"))
