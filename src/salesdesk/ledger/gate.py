"""The order gate: may we deliver to this customer (and project) now? DOMAIN §6.

Blocks when the customer is blacklisted or on supply hold, when the project is in legal
recovery, or when the project's outstanding amount plus the new delivery would exceed its
credit limit.
Asked about a customer alone, only the customer-wide reasons apply: a credit limit
belongs to a project.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk.collections.selectors import holds_in_force
from salesdesk.customers.choices import CustomerStatus, ProjectStatus
from salesdesk.customers.models import Customer, Project
from salesdesk.ledger.allocation import project_balances

# The reasons' wording; each is rendered in the reader's language, except in the verdict
# line, which is English for the dispatch systems that parse it.
MESSAGES = {
    "blacklisted": gettext_lazy("customer %(customer)s is blacklisted"),
    "hold": gettext_lazy("customer %(customer)s is on supply hold since %(since)s"),
    "legal": gettext_lazy("project %(project)s is in legal recovery"),
    "credit_limit": gettext_lazy(
        "project %(project)s outstanding %(outstanding)s + delivery %(amount)s "
        "exceeds its credit limit %(limit)s"
    ),
}


@dataclass
class Reason:
    code: str
    params: dict

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code]) % self.params


@dataclass
class Verdict:
    customer: str
    project: str | None
    as_of: dt.date
    reasons: list[Reason] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.reasons

    def line(self) -> str:
        """`allowed` or `blocked: <reasons>`, always in English (FORMATS.md)."""
        if self.allowed:
            return "allowed"
        with translation.override("en"):
            return "blocked: " + "; ".join(reason.message for reason in self.reasons)


def order_gate(
    *,
    customer: Customer,
    project: Project | None = None,
    as_of: dt.date | None = None,
    amount: Decimal = Decimal("0"),
) -> Verdict:
    as_of = as_of or dt.date.today()
    if project is not None and project.customer_id != customer.pk:
        raise ValidationError(
            {"project": _("Project %(project)s is not a project of customer %(customer)s.")
             % {"project": project.code, "customer": customer.code}}
        )  # fmt: skip
    verdict = Verdict(
        customer=customer.code, project=project.code if project else None, as_of=as_of
    )
    if customer.status == CustomerStatus.BLACKLISTED:
        verdict.reasons.append(Reason("blacklisted", {"customer": customer.code}))
    hold = holds_in_force([customer.pk], as_of).get(customer.pk)
    if hold is not None:
        verdict.reasons.append(
            Reason("hold", {"customer": customer.code, "since": hold.since.isoformat()})
        )
    if project is None:
        return verdict
    if project.status == ProjectStatus.LEGAL:
        verdict.reasons.append(Reason("legal", {"project": project.code}))
    if project.credit_limit is not None:
        balance = project_balances(as_of, Project.objects.filter(pk=project.pk)).get(project.pk)
        outstanding = balance.outstanding if balance else Decimal("0.00")
        if outstanding + amount > project.credit_limit:
            verdict.reasons.append(
                Reason(
                    "credit_limit",
                    {
                        "project": project.code,
                        "outstanding": f"{outstanding:.2f}",
                        "amount": f"{amount:.2f}",
                        "limit": f"{project.credit_limit:.2f}",
                    },
                )
            )
    return verdict
