from ninja import Router

from salesdesk.core.policy import SETTINGS, policy_as_of
from salesdesk.core.schemas import DateIn, MeOut, PolicyOut

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
