"""What tiering reads (DOMAIN §2): every active customer with its amount invoiced."""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from salesdesk.customers.choices import CustomerStatus
from salesdesk.customers.models import Customer
from salesdesk.ledger.models import Invoice
from salesdesk.tiering.ranking import CENT, ZERO, TierRow, gc_paused


def tiering_rows(as_of: dt.date) -> list[TierRow]:
    """Every active customer with its amount invoiced in the 12 months up to `as_of`
    (invoices dated after the same day a year earlier, not reversed by `as_of`).

    Two set-based queries: the customers, and the invoiced totals per customer. A total
    per customer as a correlated subquery made the database probe the invoices once per
    customer (1.7 s for 100,000 on PostgreSQL, against 0.3 s for one grouped scan)."""
    totals = dict(
        Invoice.objects.filter(date__gt=_year_before(as_of), date__lte=as_of)
        .exclude(reversal__date__lte=as_of)
        .order_by()
        .values("project__customer")
        .annotate(total=Sum("amount"))
        .values_list("project__customer", "total")
    )
    customers = (
        Customer.objects.filter(status=CustomerStatus.ACTIVE)
        .order_by()
        .values_list(
            "pk",
            "code",
            "name",
            "business_score",
            "credit_rating",
            "tier",
            "tier_locked",
            "tier_lock_reason",
        )
    )
    with gc_paused():
        return [
            TierRow(pk, code, name, score, rating, _money(totals.get(pk)), tier, locked, why)
            for pk, code, name, score, rating, tier, locked, why in customers
        ]


def _money(amount) -> Decimal:
    return ZERO if amount is None else Decimal(amount).quantize(CENT)


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
