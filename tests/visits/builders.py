"""Visit builders and the personas' reach, shared by the visit tests."""

import datetime as dt

from salesdesk.visits.services import CommitmentIn, visit_record

PERSONAS = [
    "sales1", "sales2", "sales3", "manager1", "manager2", "finance", "marketing", "supply",
    "legal", "admin", "nobody",
]  # fmt: skip


# Whose visits (S1 of sales1, S2 of sales2, K3 of sales3) each persona sees.
VISIBLE = {
    "sales1": {"S1"}, "sales2": {"S2"}, "sales3": {"K3"}, "manager1": {"S1", "S2"},
    "manager2": {"K3"}, "finance": {"S1", "S2", "K3"}, "marketing": {"S1", "S2", "K3"},
    "supply": {"S1", "S2", "K3"}, "legal": {"S1", "S2", "K3"}, "admin": {"S1", "S2", "K3"},
    "nobody": set(),
}  # fmt: skip


def log(customer, date, outcome="continuation", salesperson=None, **values):
    """A visit logged by the system: the customer's owner unless said otherwise."""
    if outcome == "advance" and "commitment" not in values:
        values["commitment"] = CommitmentIn(
            what="试用样品", who="采购经理", due=date + dt.timedelta(days=14)
        )
    return visit_record(
        actor=None,
        customer=customer,
        date=date,
        salesperson=salesperson or customer.owner,
        outcome=outcome,
        **values,
    )
