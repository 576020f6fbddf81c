"""What collections tells the ledger's order gate (DOMAIN §6), registered at start-up:
a customer on supply hold takes no delivery; a supervisor's hold override lets one
delivery through; a payment that clears the overdue amount releases the hold at once."""

import datetime as dt

from django.utils.translation import gettext_lazy

from salesdesk.collections.cycle import holds_release_due
from salesdesk.collections.selectors import holds_in_force
from salesdesk.collections.services import unused_override
from salesdesk.customers.models import Project
from salesdesk.ledger.gate import Asking, Reason, Waiver, register_check, register_waiver
from salesdesk.ledger.models import Payment
from salesdesk.ledger.services import register_payment_hook

HOLD = gettext_lazy("customer %(customer)s is on supply hold since %(since)s")
HOLD_REFUSAL = gettext_lazy(
    "Customer %(code)s is on supply hold since %(since)s; a supervisor may let one delivery "
    "through."
)


def hold_check(askings: list[Asking], as_of: dt.date) -> None:
    holds = holds_in_force(list({a.customer.pk for a in askings}), as_of)
    for asking in askings:
        hold = holds.get(asking.customer.pk)
        if hold is not None:
            code = asking.customer.code
            params = {"customer": code, "code": code, "since": hold.since.isoformat()}
            asking.reasons.append(Reason("hold", HOLD, params, HOLD_REFUSAL, subject=hold))


def hold_waiver(project: Project) -> Waiver | None:
    override = unused_override(project)
    if override is None:
        return None

    def use(delivery) -> None:
        override.delivery = delivery
        override.save(update_fields=["delivery"])

    return Waiver(covers=frozenset({"hold"}), use=use)


def release_holds_cleared_by(payment: Payment, up_to: dt.date) -> None:
    """A hold ends the moment the customer's overdue amount reaches zero: recorded now
    rather than at the next cycle."""
    holds_release_due(customer_ids=[payment.project.customer_id], up_to=up_to)


def register() -> None:
    register_check("hold", hold_check, order=20)
    register_waiver("hold_override", hold_waiver, order=10)
    register_payment_hook("release_holds", release_holds_cleared_by)
