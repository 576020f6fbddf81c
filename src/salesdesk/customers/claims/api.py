"""Claim protection over HTTP: register a prospect, check for duplicates, list claims
and disputes, decide a dispute. Every list is scoped to the caller (DOMAIN §1, §9)."""

import datetime as dt

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status

from salesdesk.core.errors import PermissionDenied
from salesdesk.core.models import User
from salesdesk.core.pagination import api_page, page_schema
from salesdesk.core.schemas import CREDIT_CODE_TEXT, UserRef, column
from salesdesk.customers import selectors
from salesdesk.customers.choices import LeadSource
from salesdesk.customers.claims import access as claim_access
from salesdesk.customers.claims import selectors as claim_selectors
from salesdesk.customers.claims import services as claim_services
from salesdesk.customers.models import ClaimDispute, Customer, DisputeStatus

router = Router(tags=["claims"])


# Schemas -----------------------------------------------------------------------------


class ProspectIn(Schema):
    name: str = column(Customer, "name", min_length=1)
    credit_code: str = Field("", max_length=CREDIT_CODE_TEXT)
    region: str = column(Customer, "region", "")
    industry: str = column(Customer, "industry", "")
    address: str = column(Customer, "address", "")
    source: LeadSource | None = None


class ClaimOut(Schema):
    id: int
    customer: str = Field(..., alias="customer.code")
    customer_name: str = Field(..., alias="customer.name")
    claimant: str = Field(..., alias="claimant.username")
    registered_on: dt.date
    protected_until: dt.date
    status: str
    state: str = Field(..., description="protected, expiring, expired or ended (as of today)")
    ended_on: dt.date | None
    end_reason: str

    @staticmethod
    def resolve_state(obj):
        return claim_selectors.claim_state(obj, dt.date.today())


class RegistrationOut(Schema):
    outcome: str = Field(..., description="created, renewed or taken_over")
    claim: ClaimOut


class DuplicateOut(Schema):
    customer: str | None = Field(None, description="code; null when the caller may not see it")
    name: str
    owner: str
    owner_name: str
    status: str
    match: bool
    reason: str
    reason_label: str
    score: int
    protected_until: dt.date | None = Field(None, description="of the owner's registration")


class DuplicateCheckOut(Schema):
    matches: list[DuplicateOut]
    similar: list[DuplicateOut]


class ErrorItem(Schema):
    field: str | None
    message: str


class RefusalOut(Schema):
    detail: list[ErrorItem]
    existing: DuplicateOut | None = Field(
        None, description="the existing customer; null when the caller may not see it"
    )
    ask: UserRef | None = Field(
        None, description="whom to ask (the caller's manager) when `existing` is null"
    )
    dispute: int | None = Field(None, description="the dispute sent to the managers")


class DisputeOut(Schema):
    id: int
    status: str
    name: str
    credit_code: str
    region: str
    challenger: str = Field(..., alias="challenger.username")
    customer: str | None = Field(None, description="code; null when the caller may not see it")
    customer_name: str = Field(..., alias="customer.name")
    owner: str = Field(..., alias="owner.username")
    match_reason: str
    match_score: int
    protected_until: dt.date | None = None
    created_at: dt.datetime
    decided_by: str | None = None
    decided_at: dt.datetime | None
    decision_reason: str
    can_decide: bool = False

    @staticmethod
    def resolve_customer(obj):
        return obj.customer.code if getattr(obj, "customer_visible", False) else None

    @staticmethod
    def resolve_protected_until(obj):
        return obj.claim.protected_until if obj.claim_id else None

    @staticmethod
    def resolve_decided_by(obj):
        return obj.decided_by.username if obj.decided_by_id else None


class DecisionIn(Schema):
    decision: str = Field(..., pattern="^(keep|reassign)$")
    reason: str = column(ClaimDispute, "decision_reason", min_length=1)


ClaimPage = page_schema(ClaimOut)
DisputePage = page_schema(DisputeOut)


class ClaimQuery(Schema):
    state: str = Field(
        claim_selectors.ClaimState.PROTECTED,
        max_length=20,
        description="protected, expiring, expired, ended or all",
    )
    page: int = 1
    page_size: int = 50


class DisputeQuery(Schema):
    status: str = Field(
        DisputeStatus.OPEN, max_length=20, description="open, kept, reassigned or all"
    )
    page: int = 1
    page_size: int = 50


class DuplicateQuery(Schema):
    name: str = column(Customer, "name", "")
    credit_code: str = Field("", max_length=CREDIT_CODE_TEXT)


# Helpers -----------------------------------------------------------------------------


def _duplicate_out(duplicate: claim_selectors.Duplicate, visible: set[int]) -> dict:
    customer, result = duplicate.customer, duplicate.result
    return {
        "customer": customer.code if customer.pk in visible else None,
        "name": customer.name,
        "owner": customer.owner.username,
        "owner_name": str(customer.owner),
        "status": customer.status,
        "match": result.is_match,
        "reason": result.reason.value,
        "reason_label": duplicate.reason_label,
        "score": round(result.score),
        "protected_until": duplicate.claim.protected_until if duplicate.claim else None,
    }


def _visible_ids(user: User, records) -> set[int]:
    """Which of the customers of `records` (duplicates or disputes) `user` may see."""
    ids = [record.customer.pk for record in records]
    if not ids:
        return set()
    return set(selectors.customer_queryset(user).filter(pk__in=ids).values_list("pk", flat=True))


def _page(queryset, page: int, page_size: int) -> dict:
    return api_page(queryset, page, page_size)


def _for_caller(user: User, disputes: list[ClaimDispute]) -> list[ClaimDispute]:
    """The disputes with what the caller may do and see: decide, and the customer's code
    (as in the duplicate check, only when the caller may see the customer)."""
    visible = _visible_ids(user, disputes)
    for dispute in disputes:
        dispute.can_decide = dispute.status == DisputeStatus.OPEN and claim_access.can_decide(
            user, dispute
        )
        dispute.customer_visible = dispute.customer_id in visible
    return disputes


# Endpoints ---------------------------------------------------------------------------


@router.get(
    "/customers/duplicates",
    response=DuplicateCheckOut,
    summary="Which customers a name or credit code would duplicate (the claim check)",
)
def duplicates(request, query: Query[DuplicateQuery]):
    if not claim_access.can_check(request.user):
        raise PermissionDenied("only sales, managers and company-wide roles check duplicates")
    check = claim_selectors.duplicates_find(query.name, query.credit_code)
    visible = _visible_ids(request.user, check.matches + check.similar)
    return {
        "matches": [_duplicate_out(d, visible) for d in check.matches],
        "similar": [_duplicate_out(d, visible) for d in check.similar],
    }


@router.post(
    "/prospects",
    response={201: RegistrationOut, 409: RefusalOut},
    summary="Register a prospect and protect it (409 with the existing customer when taken)",
)
def prospect_register(request, payload: ProspectIn):
    values = payload.dict()
    values["source"] = values["source"] or ""
    try:
        registration = claim_services.prospect_register(actor=request.user, **values)
    except claim_services.ClaimRefused as refusal:
        ask = refusal.ask
        return Status(
            409,
            {
                "detail": [
                    {"field": field, "message": message}
                    for field, messages in refusal.message_dict.items()
                    for message in messages
                ],
                # Only what the caller may see: the customer, or else whom to ask.
                "existing": _duplicate_out(refusal.duplicate, {refusal.customer.pk})
                if refusal.disclosed
                else None,
                "ask": {"username": ask.username, "name": str(ask)} if ask else None,
                "dispute": refusal.dispute.pk if refusal.dispute else None,
            },
        )
    return Status(201, {"outcome": registration.outcome, "claim": registration.claim})


@router.get("/claims", response=ClaimPage, summary="Prospect registrations the caller may see")
def claim_list(request, query: Query[ClaimQuery]):
    states = {value for value, _label in claim_selectors.ClaimState.CHOICES}
    if query.state not in states:
        raise ValidationError({"state": f"one of {', '.join(sorted(states))}"})
    return _page(
        claim_selectors.claim_list(request.user, state=query.state), query.page, query.page_size
    )


@router.get(
    "/claim-disputes", response=DisputePage, summary="Registration disputes the caller may see"
)
def dispute_list(request, query: Query[DisputeQuery]):
    if query.status not in (*DisputeStatus.values, "all"):
        raise ValidationError({"status": "one of open, kept, reassigned, all"})
    page = _page(
        claim_selectors.dispute_list(request.user, status=query.status), query.page, query.page_size
    )
    page["items"] = _for_caller(request.user, list(page["items"]))
    return page


@router.get("/claim-disputes/{dispute_id}", response=DisputeOut)
def dispute_detail(request, dispute_id: int):
    return _for_caller(request.user, [claim_selectors.dispute_get(request.user, dispute_id)])[0]


@router.post(
    "/claim-disputes/{dispute_id}/decide",
    response=DisputeOut,
    summary="Keep the customer with its owner or reassign it to the challenger (manager of "
    "both salespeople, or an administrator)",
)
def dispute_decide(request, dispute_id: int, payload: DecisionIn):
    dispute = claim_selectors.dispute_get(request.user, dispute_id)
    claim_services.dispute_decide(
        actor=request.user, dispute=dispute, decision=payload.decision, reason=payload.reason
    )
    return _for_caller(request.user, [claim_selectors.dispute_get(request.user, dispute_id)])[0]
