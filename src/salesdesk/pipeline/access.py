"""Who may do what with opportunities and FAB lines (DOMAIN §1).

Reading follows the owner scope of `core.access`: a salesperson sees their own
opportunities, a manager their team's, marketing, finance, supply, legal and admin all.
Changing an opportunity is for its owner, the owner's manager and administrators;
marketing and finance read only. FAB lines are company messaging: managers, marketing
and administrators edit them, everyone reads them.
"""

from salesdesk.core.access import Action, can
from salesdesk.core.choices import Role
from salesdesk.core.models import User


def can_create(user: User) -> bool:
    return can(user, Action.OPPORTUNITY_CREATE)


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
    return can(user, Action.OPPORTUNITY_CHANGE_OWNER)


def can_edit_fab(user: User) -> bool:
    return can(user, Action.FAB_EDIT)
