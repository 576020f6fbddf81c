"""Tiering over HTTP (DOMAIN §2): the preview, applying it, the tiers report, and setting
a tier by hand. The preview and the report cover every active customer (the ranking is
company-wide), so they are for managers, marketing and administrators; applying and
setting a tier are for managers and administrators (the services check it too)."""

import datetime as dt
from typing import Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import BaseModel, ConfigDict, Field

from salesdesk.core.errors import PermissionDenied
from salesdesk.core.policy import policy_as_of
from salesdesk.core.schemas import DateIn
from salesdesk.customers import selectors
from salesdesk.customers import services as customer_services
from salesdesk.customers.models import Customer
from salesdesk.tiering import services
from salesdesk.tiering.ranking import propose, summarise
from salesdesk.tiering.reports import tier_row, tiers_report
from salesdesk.tiering.selectors import tiering_rows
from salesdesk.tiering.views import can_apply, can_read, filter_proposals, page_of

router = Router(tags=["tiering"])


def _require_reader(request) -> None:
    if not can_read(request.user):
        raise PermissionDenied(_("Only a manager, marketing or an administrator may see tiering."))


def _require_applier(request) -> None:
    if not can_apply(request.user):
        raise PermissionDenied(_("Only a sales manager or an administrator may change tiers."))


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TierRowOut(_Open):
    """One active customer in rank order; further fields may be added."""

    customer: str
    customer_name: str
    rank: int
    score: str = Field(description="0-100, one decimal")
    business_points: str
    rating_points: str
    scale_points: str
    invoiced_12m: str
    current_tier: str | None
    proposed_tier: str
    locked: bool


class PreviewRowOut(TierRowOut):
    change: Literal["up", "down", "new"] | None = Field(
        description="how the tier moves; null when it stays"
    )
    lock_reason: str


class TierPlacesOut(Schema):
    places: int
    locked: int = Field(description="locked customers holding one of the places")
    current: int
    proposed: int


class ChangesOut(Schema):
    total: int
    up: int
    down: int
    new: int


class PreviewOut(Schema):
    as_of: dt.date
    customers: int = Field(description="active customers")
    untiered: int = Field(description="active customers without a tier now")
    quotas: dict[str, TierPlacesOut]
    changes: ChangesOut
    digest: str = Field(description="pass to POST /tiering/apply to apply exactly this proposal")
    count: int = Field(description="rows after the filters")
    page: int
    page_size: int
    num_pages: int
    items: list[PreviewRowOut]


class PreviewQuery(Schema):
    as_of: DateIn | None = None
    show: Literal["all", "changes", "up", "down", "new", "locked"] = "all"
    tier: Literal["strategic", "key", "general"] | None = None
    q: str | None = Field(None, max_length=200)
    page: int = 1
    page_size: int = 100


@router.get(
    "/tiering/preview",
    response=PreviewOut,
    summary="The proposed tiers of every active customer, in rank order, with the quotas",
    description="Nothing is written. `show=changes` lists only the customers whose tier "
    "would change; `digest` identifies this proposal for `POST /tiering/apply`.",
)
def tiering_preview(request, query: Query[PreviewQuery]):
    _require_reader(request)
    as_of = query.as_of or timezone.localdate()
    policy = policy_as_of(as_of)
    proposals = propose(tiering_rows(as_of), policy)
    summary = summarise(proposals, policy)
    rows = filter_proposals(proposals, show=query.show, tier=query.tier or "", q=query.q or "")
    page = page_of(rows, query.page, max(1, min(query.page_size, 1000)))
    return {
        "as_of": as_of,
        "customers": summary.customers,
        "untiered": summary.current.get("", 0),
        "quotas": {
            tier: {
                "places": places,
                "locked": summary.locked[tier],
                "current": summary.current[tier],
                "proposed": summary.proposed[tier],
            }
            for tier, places in summary.places.items()
        },
        "changes": summary.changes,
        "digest": summary.digest,
        "count": page.count,
        "page": page.number,
        "page_size": page.page_size,
        "num_pages": page.num_pages,
        "items": [
            {**tier_row(p), "change": p.direction or None, "lock_reason": p.row.lock_reason}
            for p in page.items
        ],
    }


class ApplyIn(Schema):
    as_of: DateIn
    digest: str | None = Field(
        None,
        max_length=100,
        description="the preview's digest: refused (422) if the proposal changed since",
    )


class AppliedRowOut(Schema):
    customer: str
    customer_name: str
    rank: int
    score: str
    from_tier: str | None
    to_tier: str
    change: Literal["up", "down", "new"]


class ApplyOut(Schema):
    as_of: dt.date
    changed: int
    rows: list[AppliedRowOut]


@router.post(
    "/tiering/apply",
    response=ApplyOut,
    summary="Apply the proposed tiers as of a date (audited; the tier history is kept)",
    description="Locked customers keep their tiers. A second call for the same date "
    "changes nothing. A date in the future is refused.",
)
def tiering_apply(request, payload: ApplyIn):
    _require_applier(request)
    changed = services.tiering_apply(
        actor=request.user, as_of=payload.as_of, expected=payload.digest
    )
    return {
        "as_of": payload.as_of,
        "changed": len(changed),
        "rows": [
            {
                "customer": p.row.code,
                "customer_name": p.row.name,
                "rank": p.rank,
                "score": str(p.score_1dp),
                "from_tier": p.row.tier or None,
                "to_tier": p.proposed,
                "change": p.direction,
            }
            for p in changed
        ],
    }


class TiersReportOut(_Open):
    """The report envelope of FORMATS.md, exactly as `salesdesk report tiers` prints it."""

    report: str
    as_of: str
    generated_at: str
    rows: list[TierRowOut]
    totals: dict[str, Any]


@router.get(
    "/reports/tiers",
    response=TiersReportOut,
    summary="The tiers report (FORMATS.md envelope): every active customer in rank order",
)
def report_tiers(request, as_of: DateIn | None = None):
    _require_reader(request)
    return tiers_report(as_of=as_of or timezone.localdate()).envelope()


class TierIn(Schema):
    tier: Literal["strategic", "key", "general", ""] | None = Field(
        None, description="null or empty: not tiered"
    )
    locked: bool = False
    reason: str = Field(
        "",
        max_length=Customer._meta.get_field("tier_lock_reason").max_length,
        description="required to lock",
    )


class TierOut(Schema):
    customer: str
    tier: str | None
    locked: bool
    reason: str
    changed: bool = Field(description="false when the customer already had this tier and lock")


@router.post(
    "/customers/{code}/tier",
    response=TierOut,
    summary="Set a customer's tier by hand, locked (with a reason) or not",
    description="A locked tier is kept by re-tiering and holds one of that tier's places.",
)
def customer_set_tier(request, code: str, payload: TierIn):
    _require_applier(request)
    customer = selectors.customer_get(request.user, code)
    changed = customer_services.customer_set_tier(
        actor=request.user,
        customer=customer,
        tier=payload.tier or "",
        locked=payload.locked,
        reason=payload.reason.strip(),
    )
    return {
        "customer": customer.code,
        "tier": customer.tier or None,
        "locked": customer.tier_locked,
        "reason": customer.tier_lock_reason,
        "changed": changed,
    }
