import datetime as dt

from django.http import Http404
from django.utils import timezone
from ninja import Router, Status

from salesdesk.core.models import ApiToken
from salesdesk.core.policy import SETTINGS, policy_as_of
from salesdesk.core.schemas import DateIn, ErrorOut, MeOut, PolicyOut, TokenOut
from salesdesk.core.services import token_queryset, token_revoke

router = Router(tags=["users and policy"])


@router.get("/users/me", response=MeOut, summary="The signed-in user and their roles")
def users_me(request):
    user = request.user
    return MeOut(
        username=user.username,
        name=user.name,
        email=user.email,
        roles=sorted(user.roles),
        manager=user.manager.username if user.manager_id else None,
        plant=user.plant.code if user.plant_id else None,
        sees_company=user.sees_company,
    )


@router.get("/policy", response=PolicyOut, summary="Policy values in force on a date")
def policy_read(request, as_of: DateIn | None = None):
    policy = policy_as_of(as_of)
    return PolicyOut(
        as_of=policy.as_of.isoformat(),
        values=[
            {"key": s.key, "value": policy.text(s.key), "kind": s.kind.value, "label": str(s.label)}
            for s in SETTINGS
        ],
    )


# API tokens --------------------------------------------------------------------------


def _stamp(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def token_out(token: ApiToken, now: dt.datetime) -> dict:
    return {
        "id": token.pk,
        "user": token.user.username,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": _stamp(token.created_at),
        "expires_at": _stamp(token.expires_at),
        "last_used_at": _stamp(token.last_used_at),
        "revoked_at": _stamp(token.revoked_at),
        "state": token.state(now),
    }


@router.get(
    "/tokens",
    response=list[TokenOut],
    summary="API tokens: the caller's own; an administrator's, everyone's (or one user's)",
)
def token_list(request, user: str | None = None):
    tokens = token_queryset(request.user)
    if user:
        tokens = tokens.filter(user__username=user)
    now = timezone.now()
    return [token_out(token, now) for token in tokens]


@router.delete(
    "/tokens/{token_id}",
    response={204: None, 404: ErrorOut},
    summary="Revoke a token (the caller's own; an administrator, anyone's)",
)
def token_delete(request, token_id: int):
    token = token_queryset(request.user).filter(pk=token_id).first()
    if token is None:
        raise Http404
    token_revoke(token=token, actor=request.user, now=timezone.now(), reason="API")
    return Status(204, None)
