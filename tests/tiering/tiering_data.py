"""Ten active customers whose re-tiering as of 2026-06-30 is worked out by hand.

Score = 0.4 × business + 0.3 × rating points + 0.3 × 100 × smaller / 9. With C10 locked
in key, the places are strategic 2, key 3 (one held by C10), general 5:

    rank code business rating invoiced score  now        proposed
    1    C01  90       A      1000.00  96.0   strategic  strategic
    2    C02  80       B       900.00  81.2   key        strategic  up
    3    C03  -        A       800.00  73.3   -          key        new
    4    C04  70       C       700.00  63.0   general    key        up
    5    C07  40       A       400.00  56.0   strategic  general    down
    6    C05  60       -       600.00  55.7   key        general    down
    7    C08  30       B       300.00  41.2   -          general    new
    8    C06  50       D       500.00  40.8   general    general
    9    C09  20       C         0.00  23.0   general    general
    10   C10  10       D         0.00  11.5   key 🔒     key
"""

import datetime as dt

from salesdesk.ledger import services as ledger
from tests.factories import CustomerFactory, ProjectFactory

AS_OF = dt.date(2026, 6, 30)
CUSTOMERS = [
    # code, business score, rating, invoiced in the window, tier now, locked
    ("C01", 90, "A", "1000.00", "strategic", False),
    ("C02", 80, "B", "900.00", "key", False),
    ("C03", None, "A", "800.00", "", False),
    ("C04", 70, "C", "700.00", "general", False),
    ("C05", 60, "", "600.00", "key", False),
    ("C06", 50, "D", "500.00", "general", False),
    ("C07", 40, "A", "400.00", "strategic", False),
    ("C08", 30, "B", "300.00", "", False),
    ("C09", 20, "C", "0", "general", False),
    ("C10", 10, "D", "0", "key", True),
]
RANKED = ["C01", "C02", "C03", "C04", "C07", "C05", "C08", "C06", "C09", "C10"]
PROPOSED = {
    "C01": "strategic", "C02": "strategic", "C03": "key", "C04": "key", "C05": "general",
    "C06": "general", "C07": "general", "C08": "general", "C09": "general", "C10": "key",
}  # fmt: skip
CHANGES = {"C02": "up", "C04": "up", "C05": "down", "C07": "down", "C03": "new", "C08": "new"}
LOCK_REASON = "三年框架合同"


def make_ten(owner, as_of=AS_OF) -> dict:
    """The ten customers, owned by `owner`, with their invoices; plus a dormant customer
    and invoices outside the window or reversed, which must not count."""
    customers = {}
    for code, score, rating, amount, tier, locked in CUSTOMERS:
        customer = CustomerFactory(
            code=code, name=f"{code} 建设有限公司", owner=owner, business_score=score,
            credit_rating=rating, tier=tier, tier_locked=locked,
            tier_lock_reason=LOCK_REASON if locked else "",
        )  # fmt: skip
        project = ProjectFactory(code=f"P{code}", customer=customer, owner=owner)
        if amount != "0":
            ledger.invoice_post(
                actor=None, number=f"{code}-1", project=project,
                date=as_of - dt.timedelta(days=100), amount=amount,
            )  # fmt: skip
        customers[code] = customer
    # A year and a day back is outside the window; a reversal before the date cancels.
    ledger.invoice_post(
        actor=None, number="C09-OLD", project=customers["C09"].projects.get(),
        date=as_of.replace(year=as_of.year - 1), amount="99999.00",
    )  # fmt: skip
    reversed_ = ledger.invoice_post(
        actor=None, number="C10-REV", project=customers["C10"].projects.get(),
        date=as_of - dt.timedelta(days=50), amount="99999.00",
    )[0]  # fmt: skip
    ledger.record_reverse(
        actor=None, record=reversed_, date=as_of - dt.timedelta(days=10), reason="开错"
    )
    CustomerFactory(code="D01", owner=owner, status="dormant", business_score=100)
    return customers
