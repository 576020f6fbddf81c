"""The tiers report in its published shape (FORMATS.md)."""

import datetime as dt
from decimal import Decimal

from salesdesk.core.policy import policy_as_of
from salesdesk.core.reporting import Report
from salesdesk.tiering.ranking import Proposal, gc_paused, propose
from salesdesk.tiering.selectors import tiering_rows


def tier_row(p: Proposal) -> dict:
    """One row of the tiers report: a proposal in its published form."""
    return {
        "customer": p.row.code,
        "customer_name": p.row.name,
        "rank": p.rank,
        "score": str(p.score_1dp),
        "business_points": str(p.business_points),
        "rating_points": str(p.rating_points),
        "scale_points": str(p.scale_points_2dp),
        "invoiced_12m": f"{p.row.invoiced:.2f}",
        "current_tier": p.row.tier or None,
        "proposed_tier": p.proposed,
        "locked": p.row.locked,
    }


def tiers_report(*, as_of: dt.date, **_ignored) -> Report:
    """Every active customer: score, current tier, proposed tier, locked. Rank order."""
    proposals = propose(tiering_rows(as_of), policy_as_of(as_of))
    with gc_paused():
        rows = [tier_row(p) for p in proposals]
    counts = {
        tier: sum(1 for p in proposals if p.proposed == tier)
        for tier in ("strategic", "key", "general")
    }
    invoiced = sum((p.row.invoiced for p in proposals), Decimal("0.00"))
    return Report(
        name="tiers",
        as_of=as_of,
        rows=rows,
        totals={"customers": len(rows), "invoiced_12m": f"{invoiced:.2f}", "proposed": counts},
    )
