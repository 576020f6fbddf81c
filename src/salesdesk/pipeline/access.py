"""Who may do what with opportunities and FAB lines (DOMAIN §1).

Reading follows the owner scope of `core.access`: a salesperson sees their own
opportunities, a manager their team's, marketing, finance, supply, legal and admin all.
Changing an opportunity is for its owner, the owner's manager and administrators;
marketing and finance read only. FAB lines are company messaging: managers, marketing
and administrators edit them, everyone reads them.
"""

from django.utils.translation import gettext as _

from salesdesk.core.access import Action, can, deny_unless, require
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


# The checks of the services, which the API also makes before it reads a request's body.
# `actor=None` is the system.


def require_create(actor: User | None) -> None:
    require(actor, Action.OPPORTUNITY_CREATE, _("You may not create opportunities."))


def require_edit(actor: User | None, opportunity) -> None:
    deny_unless(
        actor is None or can_edit(actor, opportunity),
        _("Only the owner, their manager or an administrator may change this opportunity."),
    )


def require_fab_editor(actor: User | None) -> None:
    require(
        actor, Action.FAB_EDIT, _("Only managers, marketing and administrators edit FAB lines.")
    )
