"""Who may see and change what (DOMAIN §1). Every scoped queryset starts here.

A salesperson sees records they own; a manager, records owned by their team (the users
whose manager they are, and themselves); marketing, finance, supply, legal and admin see
everything. Records out of scope are simply absent: views answer 404, not 403.
"""

from django.db.models import Q, QuerySet

from salesdesk.core.choices import Role
from salesdesk.core.models import User

ARCHIVE_EDITORS = (Role.SALES, Role.MANAGER, Role.MARKETING, Role.ADMIN)
OWNER_REASSIGNERS = (Role.MANAGER, Role.MARKETING, Role.ADMIN)


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


def scope(queryset: QuerySet, user: User, field: str = "owner") -> QuerySet:
    condition = owner_scope(user, field)
    return queryset if condition is None else queryset.filter(condition)


def can_edit_archive(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*ARCHIVE_EDITORS))


def can_reassign_owner(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*OWNER_REASSIGNERS))


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
