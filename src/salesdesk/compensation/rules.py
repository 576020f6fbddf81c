"""The rules of DOMAIN §7, one function each, on plain values (no database).

Points and rates are per cent of the cash collected; money is rounded to 0.01 half up
per line.
"""

from decimal import Decimal

from salesdesk.core.policy import Policy
from salesdesk.customers.choices import Tier
from salesdesk.lib.money import ZERO, to_cents

NO_POINTS = Decimal("0")


def base_rate(policy: Policy, tier: str) -> Decimal:
    """The policy's base rate for a tier; a customer never tiered counts as general."""
    return policy[f"commission.base_rate_{tier or Tier.GENERAL}"]


def band_points(policy: Policy, task_count: int, collected: Decimal, target: Decimal) -> Decimal:
    """Penalty points for the month's task completion (Σ collected / Σ target over the
    issued tasks): the points of the highest band whose threshold (per cent) it reaches.
    No issued task: no band penalty. Compared as collected × 100 ≥ threshold × target,
    so exactly 80% is in the 80% band whatever the amounts."""
    if task_count == 0:
        return NO_POINTS
    for threshold, points in policy["commission.penalty_bands"]:
        if collected * 100 >= threshold * target:
            return points
    return policy["commission.penalty_bands"][-1][1]


def legal_points(policy: Policy, in_legal: bool) -> Decimal:
    """Cash collected while the project is in legal recovery carries the policy points."""
    return policy["commission.legal_penalty_points"] if in_legal else NO_POINTS


def bonus_points(policy: Policy, days_past_due: int) -> Decimal:
    """Old-debt bonus: the points of the highest bound the invoice is more than (strictly)
    that many days past due on the day the cash settled it."""
    for bound, points in policy["commission.old_debt_bands"]:
        if days_past_due > bound:
            return points
    return NO_POINTS


def rate(base: Decimal, band: Decimal, legal: Decimal, bonus: Decimal) -> Decimal:
    """rate = max(0, base − penalties) + bonus."""
    return max(NO_POINTS, base - band - legal) + bonus


def earned(collected: Decimal, line_rate: Decimal) -> Decimal:
    return to_cents(collected * line_rate / 100)


def held_back(policy: Policy, line_earned: Decimal, balance: Decimal) -> Decimal:
    """The policy share of a line's earnings kept until the project is 100% collected.
    A negative line (a reversal) gives back at most what is still held for the project,
    so the balance never goes below zero; the rest comes off the payable."""
    share = to_cents(line_earned * policy["commission.holdback_pct"] / 100)
    return max(share, -balance) if share < 0 else share


def advance_cap(policy: Policy, billed: Decimal, collected: Decimal) -> Decimal:
    """Open advances on a project may not exceed the policy share of billed × collection
    ratio, which is the cash applied to its invoices (no collection, no advance)."""
    if billed <= 0:
        return ZERO
    return to_cents(policy["advances.cap_pct"] * min(collected, billed) / 100)


def format_points(value: Decimal) -> str:
    """Points and rates as published: a plain decimal with at least one place ("2.5",
    "2.0", "0.0", "1.25"), the same whether computed or read back from a statement."""
    text = format(Decimal(value).normalize(), "f")
    return text if "." in text else f"{text}.0"
