"""Tiering active customers into strategic, key and general (DOMAIN §2).

    score = w_business × business_score (missing: 50)
          + w_rating   × rating points (A 100, B 75, C 50, D 25, unrated 50)
          + w_scale    × scale points

scale points = 100 × (other active customers with a smaller amount invoiced in the 12
months up to the as-of date) / (N − 1), N the number of active customers (N = 1: 100).
Customers are ranked by score (ties: larger invoiced amount, then code). With shares
2:3:5, strategic gets round(0.2 × N) places and key round(0.3 × N), half up; the rest are
general. A locked customer keeps its tier and takes one of that tier's places; the other
places go down the ranking.

`propose` is a pure function of its rows; `tiering_rows` reads them in one query.
"""

import datetime as dt
from bisect import bisect_left
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from salesdesk.core.policy import Policy
from salesdesk.customers.choices import CustomerStatus, Tier

RATING_POINTS = {"A": Decimal(100), "B": Decimal(75), "C": Decimal(50), "D": Decimal(25)}
MISSING_POINTS = Decimal(50)
TIERS = (Tier.STRATEGIC, Tier.KEY, Tier.GENERAL)


@dataclass
class TierRow:
    """One active customer as tiering sees it."""

    id: int
    code: str
    name: str
    business_score: int | None
    credit_rating: str
    invoiced: Decimal
    tier: str
    locked: bool


@dataclass
class Proposal:
    row: TierRow
    business_points: Decimal
    rating_points: Decimal
    scale_points: Decimal
    score: Decimal
    rank: int
    proposed: str

    @property
    def changes(self) -> bool:
        return self.proposed != self.row.tier

    @property
    def score_1dp(self) -> Decimal:
        return self.score.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def quotas(n: int, policy: Policy) -> dict[str, int]:
    """Places per tier for n customers: round(share × n) half up, general takes the rest."""
    shares = {tier: Decimal(policy[f"tiering.share_{tier}"]) for tier in TIERS}
    whole = sum(shares.values())
    strategic = int((shares[Tier.STRATEGIC] * n / whole).to_integral_value(ROUND_HALF_UP))
    key = int((shares[Tier.KEY] * n / whole).to_integral_value(ROUND_HALF_UP))
    key = min(key, n - strategic)
    return {Tier.STRATEGIC: strategic, Tier.KEY: key, Tier.GENERAL: n - strategic - key}


def propose(rows: list[TierRow], policy: Policy) -> list[Proposal]:
    """The proposed tier of every row, in rank order."""
    n = len(rows)
    w_business = policy["tiering.weight_business"]
    w_rating = policy["tiering.weight_rating"]
    w_scale = policy["tiering.weight_scale"]
    amounts = sorted(row.invoiced for row in rows)
    scored = []
    for row in rows:
        business = Decimal(row.business_score) if row.business_score is not None else MISSING_POINTS
        rating = RATING_POINTS.get(row.credit_rating, MISSING_POINTS)
        if n == 1:
            scale = Decimal(100)
        else:
            smaller = bisect_left(amounts, row.invoiced)  # strictly smaller amounts
            scale = Decimal(100) * smaller / (n - 1)
        score = w_business * business + w_rating * rating + w_scale * scale
        scored.append((row, business, rating, scale, score))
    scored.sort(key=lambda item: (-item[4], -item[0].invoiced, item[0].code))

    places = quotas(n, policy)
    for row, *_parts in scored:
        if row.locked and row.tier in places:
            places[row.tier] -= 1
    proposals = []
    for rank, (row, business, rating, scale, score) in enumerate(scored, start=1):
        if row.locked and row.tier:
            proposed = row.tier
        else:
            proposed = next(
                (tier for tier in (Tier.STRATEGIC, Tier.KEY) if places[tier] > 0), Tier.GENERAL
            )
            if proposed != Tier.GENERAL:
                places[proposed] -= 1
        proposals.append(Proposal(row, business, rating, scale, score, rank, proposed))
    return proposals


def tiering_rows(as_of: dt.date) -> list[TierRow]:
    """Every active customer with its amount invoiced in the 12 months up to `as_of`
    (invoices dated after the same day a year earlier, not reversed by `as_of`)."""
    from salesdesk.customers.models import Customer
    from salesdesk.ledger.models import Invoice

    year_before = _year_before(as_of)
    invoiced = (
        Invoice.objects.filter(
            project__customer=OuterRef("pk"), date__gt=year_before, date__lte=as_of
        )
        .exclude(reversal__date__lte=as_of)
        .order_by()
        .values("project__customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=18, decimal_places=2))
    customers = (
        Customer.objects.filter(status=CustomerStatus.ACTIVE)
        .annotate(invoiced=Coalesce(Subquery(invoiced), zero))
        .values_list(
            "pk",
            "code",
            "name",
            "business_score",
            "credit_rating",
            "invoiced",
            "tier",
            "tier_locked",
        )
    )
    return [
        TierRow(
            pk, code, name, score, rating, Decimal(amount).quantize(Decimal("0.01")), tier, locked
        )
        for pk, code, name, score, rating, amount, tier, locked in customers
    ]


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
