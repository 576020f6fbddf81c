"""Expense advances (借支, DOMAIN §7): the cap on the day asked, the workflow, and the
write-off into sales expenses by the daily cycle once the project is 100% collected."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from salesdesk.collections.cycle import cycle_run
from salesdesk.compensation.models import Advance
from salesdesk.compensation.services import (
    advance_approve,
    advance_pay,
    advance_reject,
    advance_request,
)
from salesdesk.core.services import PermissionDenied
from salesdesk.customers.models import Project
from salesdesk.ledger.models import Expense
from tests.compensation.helpers import D, invoice, pay, project_of

pytestmark = pytest.mark.django_db
DAY = D(2026, 3, 1)


@pytest.fixture
def project(people):
    """Billed 100000.00, all collected: the cap is 1% of 100000.00 = 1000.00."""
    project = project_of(people.sales1, code="A1")
    invoice(project, "I1", D(2026, 1, 5), "100000.00", D(2026, 2, 4))
    pay(project, "P1", D(2026, 2, 10), "100000.00")
    return project


def ask(person, project, amount, purpose="site visits", day=DAY):
    return advance_request(actor=person, project=project, amount=amount, purpose=purpose, today=day)


def test_it_grants_an_advance_at_exactly_the_cap(people, project):
    advance, created = ask(people.sales1, project, "1000.00")
    assert created
    assert (advance.status, advance.cap, advance.collected, advance.billed) == (
        "asked", Decimal("1000.00"), Decimal("100000.00"), Decimal("100000.00"),
    )  # fmt: skip


def test_it_refuses_one_cent_over_the_cap_naming_it_and_its_figures(people, project):
    with pytest.raises(ValidationError) as refused:
        ask(people.sales1, project, "1000.01")
    assert "cap 1000.00: 1% of 100000.00 collected" in refused.value.messages[0]
    ask(people.sales1, project, "600.00")
    with pytest.raises(ValidationError, match=r"already open 600\.00"):
        ask(people.sales1, project, "400.01", purpose="more visits")
    assert Advance.objects.count() == 1


def test_the_cap_follows_the_collection_ratio(people):
    project = project_of(people.sales1)
    invoice(project, "I1", D(2026, 1, 5), "100000.00", D(2026, 2, 4))
    with pytest.raises(ValidationError, match=r"cap 0\.00"):
        ask(people.sales1, project, "0.01")  # no collection, no advance
    pay(project, "P1", D(2026, 2, 10), "25000.00")
    advance, _created = ask(people.sales1, project, "250.00")
    assert advance.cap == Decimal("250.00")


def test_asking_twice_the_same_is_one_request(people, project):
    first, created = ask(people.sales1, project, "500.00")
    again, created_again = ask(people.sales1, project, "500.00")
    assert (created, created_again, first.pk) == (True, False, again.pk)


def test_only_the_salesperson_of_a_visible_project_asks(people, project):
    with pytest.raises(Project.DoesNotExist):
        ask(people.sales2, project, "100.00")
    with pytest.raises(PermissionDenied):
        ask(people.finance, project, "100.00")


def test_the_manager_approves_finance_pays_and_the_cycle_writes_it_off(people, project):
    advance, _ = ask(people.sales1, project, "800.00")
    with pytest.raises(PermissionDenied):
        advance_approve(actor=people.sales1, advance=advance, today=DAY)
    with pytest.raises(Advance.DoesNotExist):  # not manager2's team
        advance_approve(actor=people.manager2, advance=advance, today=DAY)
    with pytest.raises(PermissionDenied):
        advance_pay(actor=people.manager1, advance=advance, today=DAY)
    advance_approve(actor=people.manager1, advance=advance, today=DAY)
    advance = advance_pay(actor=people.finance, advance=advance, today=D(2026, 3, 2))
    assert advance.status == "paid"

    cycle_run(as_of=D(2026, 3, 3))  # fully paid but not completed: it stays open
    advance.refresh_from_db()
    assert advance.status == "paid"

    project.status, project.completed_on = "completed", D(2026, 3, 4)
    project.save()
    report = cycle_run(as_of=D(2026, 3, 4))
    advance.refresh_from_db()
    assert (advance.status, advance.written_off_on) == ("written_off", D(2026, 3, 4))
    expense = Expense.objects.get()
    assert (expense.salesperson, expense.project, expense.amount, expense.date) == (
        people.sales1, project, Decimal("800.00"), D(2026, 3, 4),
    )  # fmt: skip
    assert "advance written off: project A1, 800.00" in report.lines()
    cycle_run(as_of=D(2026, 3, 4))  # again: nothing more
    assert Expense.objects.count() == 1
    # Written off, it no longer counts against the cap.
    ask(people.sales1, project, "1000.00", day=D(2026, 3, 5))


def test_a_rejected_advance_frees_the_cap_and_cannot_be_paid(people, project):
    advance, _ = ask(people.sales1, project, "1000.00")
    advance_reject(actor=people.manager1, advance=advance, today=DAY, reason="too much")
    with pytest.raises(ValidationError, match="cannot become"):
        advance_pay(actor=people.finance, advance=advance, today=DAY)
    ask(people.sales1, project, "1000.00", purpose="other")
