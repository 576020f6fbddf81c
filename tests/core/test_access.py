"""Who may do what (DOMAIN §1): the access rules every view, API and service relies on."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from salesdesk.core.access import (
    PERMISSIONS,
    Action,
    assignable_owners,
    can,
    can_edit_archive,
    can_reassign_owner,
    get_visible_or_404,
    require,
)
from salesdesk.core.errors import PermissionDenied
from salesdesk.customers.models import Customer
from tests.factories import CustomerFactory, UserFactory

EDITORS = {"sales1", "sales2", "sales3", "manager1", "manager2", "marketing", "admin"}
REASSIGNERS = {"manager1", "manager2", "marketing", "admin"}
EVERYONE = EDITORS | {"finance", "supply", "legal", "nobody"}


@pytest.mark.parametrize("persona", sorted(EVERYONE))
def test_it_lets_only_sales_managers_marketing_and_admin_edit_the_archive(persona, people):
    assert can_edit_archive(getattr(people, persona)) is (persona in EDITORS)


@pytest.mark.parametrize("persona", sorted(EVERYONE))
def test_it_lets_only_managers_marketing_and_admin_reassign(persona, people):
    assert can_reassign_owner(getattr(people, persona)) is (persona in REASSIGNERS)


@pytest.mark.parametrize(
    ("persona", "owners"),
    [
        ("sales1", {"sales1"}),
        ("manager1", {"manager1", "sales1", "sales2"}),
        ("manager2", {"manager2", "sales3"}),
        ("marketing", {"sales1", "sales2", "sales3", "manager1", "manager2"}),
        ("admin", {"sales1", "sales2", "sales3", "manager1", "manager2"}),
        ("finance", {"sales1", "sales2", "sales3", "manager1", "manager2"}),
        ("nobody", set()),
    ],
)
def test_it_offers_as_owners_only_salespeople_and_managers_in_scope(persona, owners, people):
    offered = assignable_owners(getattr(people, persona))

    assert set(offered.values_list("username", flat=True)) == owners
    assert offered.count() == len(owners)  # a user with two roles is offered once


def test_it_never_offers_an_inactive_user_as_owner(people):
    people.sales2.is_active = False
    people.sales2.save()

    assert set(assignable_owners(people.manager1).values_list("username", flat=True)) == {
        "manager1",
        "sales1",
    }


def test_it_gives_a_user_with_several_roles_the_widest_view(people):
    both = UserFactory(username="both", roles=["sales", "finance"])
    CustomerFactory(owner=people.sales3)

    assert Customer.objects.visible_to(both).count() == 1
    assert not can_reassign_owner(both)
    assert can_edit_archive(both)


def test_it_shows_nothing_to_an_anonymous_user(people):
    CustomerFactory(owner=people.sales1)

    assert Customer.objects.visible_to(AnonymousUser()).count() == 0
    assert not can_edit_archive(AnonymousUser())


def test_it_treats_a_superuser_without_roles_as_administrator(people):
    root = UserFactory(username="root", roles=[], is_superuser=True)
    CustomerFactory(owner=people.sales3)

    assert root.is_admin and root.sees_company
    assert Customer.objects.visible_to(root).count() == 1
    assert can_reassign_owner(root)


def test_it_gives_the_nobody_persona_no_role(people):
    assert people.nobody.roles == frozenset()
    assert people.sales1.roles == {"sales"}


@pytest.mark.parametrize("action", list(Action))
def test_it_gives_each_action_to_the_roles_of_its_row_and_to_superusers(action, people):
    for persona in sorted(EVERYONE):
        user = getattr(people, persona)
        assert can(user, action) is bool(user.roles & set(PERMISSIONS[action])), persona
    assert can(UserFactory(username="root", roles=[], is_superuser=True), action)
    assert not can(AnonymousUser(), action)


def test_it_refuses_an_action_with_permission_denied_and_lets_the_system_through(people):
    with pytest.raises(PermissionDenied):
        require(people.finance, Action.FAB_EDIT)
    require(people.marketing, Action.FAB_EDIT)
    require(None, Action.FAB_EDIT)


def test_it_answers_404_alike_for_a_record_out_of_scope_and_a_missing_one(people):
    CustomerFactory(code="C1", owner=people.sales1)

    assert get_visible_or_404(Customer.objects, people.manager1, code="C1").code == "C1"
    for user, code in [(people.sales2, "C1"), (people.manager2, "C1"), (people.admin, "C9")]:
        with pytest.raises(Http404):
            get_visible_or_404(Customer.objects, user, code=code)
