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

`propose` is a pure function of its rows; `selectors.tiering_rows` reads them, set-based.
"""

import gc
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter, itemgetter

from salesdesk.core.policy import Policy
from salesdesk.customers.choices import Tier

RATING_POINTS = {"A": Decimal(100), "B": Decimal(75), "C": Decimal(50), "D": Decimal(25)}
MISSING_POINTS = Decimal(50)
TIERS = (Tier.STRATEGIC, Tier.KEY, Tier.GENERAL)
TIER_ORDER = {Tier.STRATEGIC: 0, Tier.KEY: 1, Tier.GENERAL: 2}
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


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
    lock_reason: str = ""


@dataclass(slots=True)
class Proposal:
    """One customer's place in the ranking. The score is kept exact, as the whole number
    `exact` = score × (N − 1) × `unit`, so that ranking never depends on rounding."""

    row: TierRow
    business_points: Decimal
    rating_points: Decimal
    rank: int
    proposed: str
    smaller: int  # other active customers with a smaller amount (N = 1: 1, for 100 points)
    spread: int  # N − 1 (N = 1: 1)
    exact: int
    unit: int  # the power of ten that makes the weights whole numbers
    direction: str = ""  # the move: "up", "down", "new" (not tiered before) or "" (none)

    @property
    def scale_points(self) -> Decimal:
        return Decimal(100 * self.smaller) / self.spread

    @property
    def score(self) -> Decimal:
        return Decimal(self.exact) / (self.unit * self.spread)

    @property
    def changes(self) -> bool:
        return bool(self.direction)

    @property
    def score_1dp(self) -> Decimal:
        """The score to one decimal, half up, rounded from the exact value."""
        whole, rest = divmod(self.exact * 10, self.unit * self.spread)
        if 2 * rest >= self.unit * self.spread:
            whole += 1
        return Decimal(whole).scaleb(-1)

    @property
    def scale_points_2dp(self) -> Decimal:
        """Scale points to two decimals, half even (as Decimal.quantize rounds them)."""
        whole, rest = divmod(10_000 * self.smaller, self.spread)
        if 2 * rest > self.spread or (2 * rest == self.spread and whole % 2):
            whole += 1
        return Decimal(whole).scaleb(-2)


def quotas(n: int, policy: Policy) -> dict[str, int]:
    """Places per tier for n customers: round(share × n) half up, general takes the rest."""
    shares = {tier: Decimal(policy[f"tiering.share_{tier}"]) for tier in TIERS}
    whole = sum(shares.values())
    strategic = int((shares[Tier.STRATEGIC] * n / whole).to_integral_value(ROUND_HALF_UP))
    key = int((shares[Tier.KEY] * n / whole).to_integral_value(ROUND_HALF_UP))
    key = min(key, n - strategic)
    return {Tier.STRATEGIC: strategic, Tier.KEY: key, Tier.GENERAL: n - strategic - key}


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while many objects are built at once.

    Ranking 100,000 customers allocates some hundreds of thousands of tuples and objects;
    every few hundred allocations start a collection that walks them again, which was half
    the time of `propose` (measured). Nothing built here forms a reference cycle, so
    nothing waits for the collector; it runs again as soon as we are done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _whole_weights(policy: Policy) -> tuple[int, int, int, int]:
    """The three weights as whole numbers over a common power of ten, and that power."""
    weights = [
        Decimal(policy[f"tiering.weight_{part}"]) for part in ("business", "rating", "scale")
    ]
    places = max(0, *(-weight.as_tuple().exponent for weight in weights))
    unit = 10**places
    return unit, *(int(weight.scaleb(places)) for weight in weights)


def propose(rows: list[TierRow], policy: Policy) -> list[Proposal]:
    """The proposed tier of every row, in rank order."""
    with gc_paused():
        return _propose(rows, policy)


def _propose(rows: list[TierRow], policy: Policy) -> list[Proposal]:
    n = len(rows)
    spread = max(n - 1, 1)
    # Scale points are 100 × smaller / (N − 1), rarely a finite decimal: a rounded score
    # would break some true ties the wrong way (ties go to the larger amount). Ranking
    # compares score × (N − 1) × unit instead, a whole number.
    unit, w_business, w_rating, w_scale = _whole_weights(policy)
    smaller_than: dict[Decimal, int] = {}
    for index, amount in enumerate(sorted(row.invoiced for row in rows)):
        smaller_than.setdefault(amount, index)  # the first index: the strictly smaller ones
    points: dict[tuple, tuple[Decimal, Decimal, int]] = {}
    scored = []
    for row in sorted(rows, key=attrgetter("code")):
        key = (row.business_score, row.credit_rating)
        part = points.get(key)
        if part is None:
            business = MISSING_POINTS if key[0] is None else Decimal(key[0])
            rating = RATING_POINTS.get(key[1], MISSING_POINTS)
            weighted = (w_business * int(business) + w_rating * int(rating)) * spread
            part = points[key] = (business, rating, weighted)
        smaller = smaller_than[row.invoiced] if n > 1 else 1
        scored.append((part[2] + w_scale * 100 * smaller, row.invoiced, row, part, smaller))
    # Highest score first, then the larger amount; the sort is stable, so equal ones stay
    # in code order.
    scored.sort(key=itemgetter(0, 1), reverse=True)

    places = quotas(n, policy)
    for _exact, _amount, row, _part, _smaller in scored:
        if row.locked and row.tier in places:
            places[row.tier] -= 1
    strategic, key_places = places[Tier.STRATEGIC], places[Tier.KEY]
    proposals = []
    for rank, (exact, _amount, row, part, smaller) in enumerate(scored, start=1):
        if row.locked and row.tier:
            proposed = row.tier
        elif strategic > 0:
            proposed, strategic = Tier.STRATEGIC, strategic - 1
        elif key_places > 0:
            proposed, key_places = Tier.KEY, key_places - 1
        else:
            proposed = Tier.GENERAL
        proposals.append(
            Proposal(
                row, part[0], part[1], rank, proposed, smaller, spread, exact, unit,
                _direction(row.tier, proposed),
            )
        )  # fmt: skip
    return proposals


def _direction(current: str, proposed: str) -> str:
    if proposed == current:
        return ""
    if not current:
        return "new"
    return "up" if TIER_ORDER[proposed] < TIER_ORDER[current] else "down"


def changes_digest(proposals: list[Proposal]) -> str:
    """A short fingerprint of the changes a proposal makes: applying checks that it is
    still the one the user confirmed."""
    text = "\n".join(f"{p.row.code}:{p.row.tier}>{p.proposed}" for p in proposals if p.changes)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Summary:
    """The figures above a preview: places per tier and what the proposal does."""

    customers: int
    places: dict[str, int]  # tier -> places for the N active customers
    locked: dict[str, int]  # tier -> locked customers holding one of its places
    current: dict[str, int]  # tier ("" = not tiered) -> customers in it now
    proposed: dict[str, int]  # tier -> customers proposed for it
    changes: dict[str, int]  # "up", "down", "new", "total"
    digest: str


def summarise(proposals: list[Proposal], policy: Policy) -> Summary:
    """Counts over a proposal, in one pass."""
    tiers = [str(tier) for tier in TIERS]
    locked = dict.fromkeys(tiers, 0)
    current = dict.fromkeys([*tiers, ""], 0)
    proposed = dict.fromkeys(tiers, 0)
    changes = {"up": 0, "down": 0, "new": 0, "total": 0}
    for p in proposals:
        current[p.row.tier] = current.get(p.row.tier, 0) + 1
        proposed[p.proposed] += 1
        if p.row.locked and p.row.tier:
            locked[p.row.tier] += 1
        direction = p.direction
        if direction:
            changes[direction] += 1
            changes["total"] += 1
    places = {str(tier): count for tier, count in quotas(len(proposals), policy).items()}
    return Summary(
        len(proposals), places, locked, current, proposed, changes, changes_digest(proposals)
    )
