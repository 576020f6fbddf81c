"""Who may see and change what (DOMAIN §1): the one place for both.

Seeing: a salesperson sees records they own; a manager, records owned by their team (the
users whose manager they are, and themselves); marketing, finance, supply, legal and
admin see everything. Every model a user reads has a `ScopedQuerySet` naming the owner
its records belong to, `Model.objects.visible_to(user)` is the only way a view or the API
gets records, and a record out of scope is simply absent: `get_visible_or_404` answers
404, not 403.

Doing: `PERMISSIONS` is the table of which roles may take each action. Services `require`
it (PermissionDenied: a 403 in the UI and the API), views ask `can` to hide a button
the user may not press. Rules about one record (the owner's manager may edit an
opportunity) build on the table in their app's access module.
"""

from enum import StrEnum

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from salesdesk.core.choices import Role
from salesdesk.core.errors import PermissionDenied
from salesdesk.core.models import User


class Action(StrEnum):
    """What a user may be allowed to do, named `<subject>.<verb>`."""

    ARCHIVE_EDIT = "archive.edit"
    OWNER_REASSIGN = "owner.reassign"
    OPPORTUNITY_CREATE = "opportunity.create"
    OPPORTUNITY_CHANGE_OWNER = "opportunity.change_owner"
    FAB_EDIT = "fab.edit"
    VISIT_LOG = "visit.log"
    TASK_READ = "task.read"
    TASK_SIGN_MARKETING = "task.sign_marketing"
    TASK_SIGN_FINANCE = "task.sign_finance"
    LETTER_READ = "letter.read"
    LETTER_SEND = "letter.send"
    HOLD_READ = "hold.read"
    HOLD_OVERRIDE = "hold.override"
    LEGAL_READ = "legal.read"
    LEGAL_REFER = "legal.refer"
    CYCLE_RUN = "cycle.run"
    WORKBOOK_IMPORT = "workbook.import"


_SUPERVISORS = (Role.MANAGER, Role.ADMIN)
_TASK_READERS = (Role.SALES, Role.MANAGER, Role.MARKETING, Role.FINANCE, Role.LEGAL, Role.ADMIN)

# Role x action: the roles that may take each action, in the order error messages name
# them. A superuser may take every action.
PERMISSIONS: dict[Action, tuple[str, ...]] = {
    Action.ARCHIVE_EDIT: (Role.SALES, Role.MANAGER, Role.MARKETING, Role.ADMIN),
    Action.OWNER_REASSIGN: (Role.MANAGER, Role.MARKETING, Role.ADMIN),
    Action.OPPORTUNITY_CREATE: (Role.SALES, Role.MANAGER, Role.ADMIN),
    Action.OPPORTUNITY_CHANGE_OWNER: _SUPERVISORS,
    Action.FAB_EDIT: (Role.MANAGER, Role.MARKETING, Role.ADMIN),
    Action.VISIT_LOG: (Role.SALES, Role.MANAGER, Role.ADMIN),
    Action.TASK_READ: _TASK_READERS,
    Action.TASK_SIGN_MARKETING: (Role.MARKETING,),
    Action.TASK_SIGN_FINANCE: (Role.FINANCE,),
    Action.LETTER_READ: (*_TASK_READERS, Role.SUPPLY),
    Action.LETTER_SEND: _SUPERVISORS,
    Action.HOLD_READ: (*_TASK_READERS, Role.SUPPLY),
    Action.HOLD_OVERRIDE: _SUPERVISORS,
    Action.LEGAL_READ: (Role.LEGAL, Role.FINANCE, Role.MANAGER, Role.ADMIN),
    Action.LEGAL_REFER: _SUPERVISORS,
    Action.CYCLE_RUN: (Role.ADMIN,),
    Action.WORKBOOK_IMPORT: (Role.FINANCE, Role.ADMIN),
}


def can(user: User | None, action: Action) -> bool:
    """Whether `user` may take `action`: a role of theirs is in its row of the table."""
    return (
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.has_role(*PERMISSIONS[action]))
    )


def require(actor: User | None, action: Action, message: str | None = None) -> None:
    """PermissionDenied unless `actor` may take `action`. `actor=None` is the system (an
    import run from the command line), which may take every action."""
    deny_unless(actor is None or can(actor, action), message)


def deny_unless(allowed: bool, message: str | None = None) -> None:
    """PermissionDenied unless `allowed`: for the rules about one record (the owner's
    manager may edit an opportunity) that build on the table."""
    if not allowed:
        raise PermissionDenied(message or _("You may not do this."))


def owner_scope(user: User, field: str = "owner") -> Q | None:
    """The filter restricting `field` (a FK to User) to what `user` may see.

    None means no restriction. An anonymous or role-less user gets a filter matching nothing.
    """
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.sees_company:
        return None
    if user.has_role(Role.MANAGER):
        return Q(**{f"{field}_id": user.pk}) | Q(**{f"{field}__manager_id": user.pk})
    if user.has_role(Role.SALES):
        return Q(**{f"{field}_id": user.pk})
    return Q(pk__in=[])


def team_scope(user: User, field: str = "owner") -> Q:
    """`field` (a FK to User) is the user, or, for a manager, one of their team: the work
    that is the user's own to do, which for a company-wide role is not everyone's."""
    condition = Q(**{field: user})
    if user.has_role(Role.MANAGER):
        condition |= Q(**{f"{field}__manager": user})
    return condition


class ScopedQuerySet(QuerySet):
    """Records scoped to what a user may see: `owner_field` is the path to the User they
    belong to ("owner", "project__owner"). A model whose scope is not one owner
    overrides `scope_condition`."""

    owner_field = "owner"

    @classmethod
    def by(cls, owner_field: str) -> type["ScopedQuerySet"]:
        """The queryset class of records belonging to the user at `owner_field`."""
        return type(cls.__name__, (cls,), {"owner_field": owner_field})

    def scope_condition(self, user: User) -> Q | None:
        return owner_scope(user, self.owner_field)

    def visible_to(self, user: User) -> QuerySet:
        condition = self.scope_condition(user)
        return self if condition is None else self.filter(condition)


def get_visible_or_404(queryset: ScopedQuerySet, user: User, **lookup):
    """The record of `queryset` matching `lookup` if `user` may see it; Http404 when it is
    missing or out of scope alike, so a page never tells which."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except ObjectDoesNotExist:
        raise Http404 from None


def can_edit_archive(user: User) -> bool:
    return can(user, Action.ARCHIVE_EDIT)


def can_reassign_owner(user: User) -> bool:
    return can(user, Action.OWNER_REASSIGN)


def assignable_owners(user: User) -> QuerySet:
    """Salespeople and managers `user` may make owner of a customer or project."""
    candidates = User.objects.filter(
        is_active=True, role_set__role__in=[Role.SALES, Role.MANAGER]
    ).distinct()
    if user.sees_company:
        return candidates
    if user.has_role(Role.MANAGER):
        return candidates.filter(Q(pk=user.pk) | Q(manager_id=user.pk))
    return candidates.filter(pk=user.pk)


def visible_people(user: User) -> QuerySet:
    """The users whose own records (statements, advances) `user` may see: the same rule
    as `owner_scope`, applied to the people themselves."""
    people = User.objects.all()
    if not user.is_authenticated:
        return people.none()
    if user.sees_company:
        return people
    if user.has_role(Role.MANAGER):
        return people.filter(Q(pk=user.pk) | Q(manager_id=user.pk))
    if user.has_role(Role.SALES):
        return people.filter(pk=user.pk)
    return people.none()
