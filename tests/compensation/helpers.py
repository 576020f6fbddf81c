"""Setting up commission scenarios through the services, and reading statements back."""

import datetime as dt
from decimal import Decimal

from salesdesk.collections.choices import TaskStatus
from salesdesk.collections.models import CollectionTask, LegalCase
from salesdesk.compensation.rules import format_points
from salesdesk.compensation.statements import month_statements
from salesdesk.customers.models import CustomerTierChange
from salesdesk.ledger import services as ledger
from tests.factories import CustomerFactory, ProjectFactory

D = dt.date


def project_of(owner, *, tier="general", code=None, terms=30):
    customer = CustomerFactory(owner=owner, tier=tier)
    values = {"customer": customer, "owner": owner, "payment_terms_days": terms}
    if code:
        values["code"] = code
    return ProjectFactory(**values)


def tier_change(project, tier, effective_on):
    customer = project.customer
    CustomerTierChange.objects.create(
        customer=customer, from_tier=customer.tier, to_tier=tier, effective_on=effective_on
    )


def invoice(project, number, date, amount, due_date=None):
    return ledger.invoice_post(
        actor=None, number=number, project=project, date=date, amount=amount,
        due_date=due_date or date + dt.timedelta(days=30),
    )[0]  # fmt: skip


def pay(project, reference, date, amount):
    return ledger.payment_post(
        actor=None, reference=reference, project=project, date=date, amount=amount
    )[0]


def reverse(record, date, reason="returned"):
    return ledger.record_reverse(actor=None, record=record, date=date, reason=reason)


def task(project, month, target, status=TaskStatus.ISSUED):
    return CollectionTask.objects.create(
        month=month, project=project, salesperson=project.owner, target=Decimal(target),
        drafted_on=month - dt.timedelta(days=5), status=status,
    )  # fmt: skip


def to_legal(project, opened_on):
    project.status = "legal"
    project.save(update_fields=["status"])
    return LegalCase.objects.create(
        project=project, opened_on=opened_on, reason="manager", overdue=Decimal("0"),
        previous_status="active",
    )  # fmt: skip


def statement(month, person):
    return month_statements(month)[person.pk]


def row(line) -> tuple:
    """The figures of a line a person checks by hand."""
    return (
        line.kind, line.payment, line.invoice, line.days_past_due, str(line.collected),
        format_points(line.rate), str(line.earned), str(line.held_back), str(line.released),
        str(line.payable),
    )  # fmt: skip
