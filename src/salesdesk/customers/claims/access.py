"""Who may register prospects, check for duplicates, release claims and decide disputes."""

from salesdesk.core.choices import Role
from salesdesk.core.models import User
from salesdesk.customers.models import (
    ClaimDispute,
    ProspectClaim,
)


def can_register(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.SALES, Role.MANAGER)


def can_check(user: User) -> bool:
    """Who may run the duplicate check: who registers, and the roles that see everything."""
    return can_register(user) or (user.is_authenticated and user.sees_company)


def can_release(user: User, claim: ProspectClaim) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_admin or claim.claimant_id == user.pk:
        return True
    return user.has_role(Role.MANAGER) and claim.claimant.manager_id == user.pk


def can_decide(user: User, dispute: ClaimDispute) -> bool:
    """An administrator, or the manager of both parties. A manager never arbitrates
    between their own salesperson and another team's, nor in their own case."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return (
        user.has_role(Role.MANAGER)
        and dispute.challenger.manager_id == user.pk
        and dispute.owner.manager_id == user.pk
    )
