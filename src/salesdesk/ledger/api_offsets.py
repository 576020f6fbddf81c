"""Asset-offset endpoints (以物抵债, DOMAIN §5): apply, appraise, accept, reject. Helpers
and conventions are the ledger API's (ledger/api.py)."""

from django.db.models import QuerySet
from django.utils import timezone
from ninja import Router, Status

from salesdesk.core.models import User
from salesdesk.customers.models import Project
from salesdesk.ledger import services
from salesdesk.ledger.models import AssetOffset
from salesdesk.ledger.schemas import (
    AcceptIn,
    AppraiseIn,
    AssetOffsetIn,
    AssetOffsetOut,
    RejectIn,
)

router = Router(tags=["ledger"])


# Asset offsets -----------------------------------------------------------------------


def _offsets(user: User) -> QuerySet:
    return (
        AssetOffset.objects.visible_to(user)
        .select_related("project", "payment")
        .prefetch_related("steps__actor")
        .order_by("-created_at", "-id")
    )


@router.get(
    "/projects/{code}/asset-offsets",
    response=list[AssetOffsetOut],
    summary="A project's asset offsets with their timelines",
)
def offset_list(request, code: str):
    project = Project.objects.visible_to(request.user).get(code=code)
    return list(_offsets(request.user).filter(project=project))


@router.post(
    "/projects/{code}/asset-offsets",
    response={201: AssetOffsetOut},
    summary="Apply to settle debt with goods or assets (sales, managers, admin)",
)
def offset_apply(request, code: str, payload: AssetOffsetIn):
    project = Project.objects.visible_to(request.user).get(code=code)
    offset = services.offset_apply(
        actor=request.user,
        project=project,
        items=payload.items,
        claimed_value=payload.claimed_value,
    )
    return Status(201, _offsets(request.user).get(pk=offset.pk))


@router.get("/asset-offsets/{offset_id}", response=AssetOffsetOut)
def offset_detail(request, offset_id: int):
    return _offsets(request.user).get(pk=offset_id)


@router.post(
    "/asset-offsets/{offset_id}/appraise",
    response=AssetOffsetOut,
    summary="Finance sets the appraised value",
)
def offset_appraise(request, offset_id: int, payload: AppraiseIn):
    offset = _offsets(request.user).get(pk=offset_id)
    services.offset_appraise(
        actor=request.user,
        offset=offset,
        appraised_value=payload.appraised_value,
        note=payload.note,
    )
    return _offsets(request.user).get(pk=offset_id)


@router.post(
    "/asset-offsets/{offset_id}/accept",
    response=AssetOffsetOut,
    summary="Supply accepts the goods; a payment of method offset is posted at the appraised value",
)
def offset_accept(request, offset_id: int, payload: AcceptIn):
    offset = _offsets(request.user).get(pk=offset_id)
    services.offset_accept(
        actor=request.user, offset=offset, date=payload.date, note=payload.note,
        today=timezone.localdate(),
    )  # fmt: skip
    return _offsets(request.user).get(pk=offset_id)


@router.post(
    "/asset-offsets/{offset_id}/reject",
    response=AssetOffsetOut,
    summary="Reject at the current step (finance before appraisal, supply before acceptance)",
)
def offset_reject(request, offset_id: int, payload: RejectIn):
    offset = _offsets(request.user).get(pk=offset_id)
    services.offset_reject(actor=request.user, offset=offset, reason=payload.reason)
    return _offsets(request.user).get(pk=offset_id)
