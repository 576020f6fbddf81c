"""Who may do what with opportunities and FAB lines (DOMAIN §1).

Reading follows the owner scope of `core.access`: a salesperson sees their own
opportunities, a manager their team's, marketing, finance, supply, legal and admin all.
Changing an opportunity is for its owner, the owner's manager and administrators;
marketing and finance read only. FAB lines are company messaging: managers, marketing
and administrators edit them, everyone reads them.
"""

from salesdesk.core.choices import Role
from salesdesk.core.models import User

CREATORS = (Role.SALES, Role.MANAGER, Role.ADMIN)
FAB_EDITORS = (Role.MANAGER, Role.MARKETING, Role.ADMIN)
OWNER_CHANGERS = (Role.MANAGER, Role.ADMIN)


def _has(user: User, roles) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*roles))


def can_create(user: User) -> bool:
    return _has(user, CREATORS)


def can_edit(user: User, opportunity) -> bool:
    """The owner, the owner's manager, or an administrator. `opportunity.owner` is read,
    so select it with the opportunity."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    if opportunity.owner_id == user.pk:
        return user.has_role(Role.SALES, Role.MANAGER)
    return user.has_role(Role.MANAGER) and opportunity.owner.manager_id == user.pk


def can_change_owner(user: User) -> bool:
    return _has(user, OWNER_CHANGERS)


def can_edit_fab(user: User) -> bool:
    return _has(user, FAB_EDITORS)
