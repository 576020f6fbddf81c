"""Rules of the customer-archive services that the pages and the API share."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from salesdesk.core.errors import PermissionDenied
from salesdesk.core.models import AuditEntry
from salesdesk.core.services import policy_update
from salesdesk.customers import services
from salesdesk.customers.models import Customer, CustomerOwnerChange, CustomerTierChange, Project
from tests.factories import ContactFactory, CustomerFactory, ProjectFactory


def new_customer(actor, owner, **values):
    return services.customer_create(actor=actor, name=values.pop("name", "新客户有限公司"),
                                    owner=owner, **values)  # fmt: skip


def test_it_lets_the_importer_register_customers_for_anyone(people):
    customer = new_customer(None, people.sales3, code="IMP-1")

    assert (customer.code, customer.owner) == ("IMP-1", people.sales3)
    assert AuditEntry.objects.get(object_id=str(customer.pk)).actor is None


def test_it_refuses_a_taken_customer_code(people):
    CustomerFactory(code="C9", owner=people.sales1)

    with pytest.raises(ValidationError) as caught:
        new_customer(people.sales1, people.sales1, code="C9")

    assert list(caught.value.error_dict) == ["code"]


def test_it_allows_many_customers_without_a_credit_code(people):
    new_customer(people.sales1, people.sales1, credit_code="")
    new_customer(people.sales1, people.sales1, credit_code="", name="另一家")

    assert list(Customer.objects.values_list("code", flat=True).order_by("code")) == [
        "C000001",
        "C000002",
    ]


def test_it_records_a_tier_given_at_creation_in_the_tier_history(people):
    customer = new_customer(None, people.sales1, tier="key", tier_locked=True)

    change = CustomerTierChange.objects.get(customer=customer)
    assert (change.from_tier, change.to_tier, change.locked) == ("", "key", True)


def test_it_collapses_spaces_in_names(people):
    customer = new_customer(people.sales1, people.sales1, name="  中建  三局\t有限公司 ")

    assert customer.name == "中建 三局 有限公司"


@pytest.mark.parametrize("score", [-1, 101])
def test_it_refuses_a_business_score_outside_0_to_100(score, people):
    with pytest.raises(ValidationError) as caught:
        new_customer(people.sales1, people.sales1, business_score=score)

    assert list(caught.value.error_dict) == ["business_score"]


def test_it_writes_nothing_and_no_audit_for_an_update_that_changes_nothing(people):
    customer = CustomerFactory(owner=people.sales1, industry="建筑")

    changes = services.customer_update(
        actor=people.sales1, customer=customer, industry="建筑", owner=people.sales1
    )

    assert changes == {}
    assert not AuditEntry.objects.exists()


def test_it_ignores_a_reassignment_to_the_current_owner(people):
    customer = CustomerFactory(owner=people.sales1)

    services.customer_reassign(
        actor=people.manager1, customer=customer, owner=people.sales1, reason=""
    )

    assert not CustomerOwnerChange.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_moves_only_the_previous_owners_projects_on_reassignment(people):
    customer = CustomerFactory(owner=people.sales1)
    ProjectFactory(code="P1", customer=customer, owner=people.sales1)
    ProjectFactory(code="P2", customer=customer, owner=people.sales2)
    ProjectFactory(code="P3", owner=people.sales1)  # another customer's

    services.customer_reassign(
        actor=people.admin, customer=customer, owner=people.manager1, reason="team change"
    )

    owners = dict(Project.objects.values_list("code", "owner__username"))
    assert owners == {"P1": "manager1", "P2": "sales2", "P3": "sales1"}


@pytest.mark.parametrize("persona", ["sales1", "finance", "supply", "legal", "nobody"])
def test_it_refuses_reassignment_by_anyone_but_managers_marketing_and_admin(persona, people):
    customer = CustomerFactory(owner=people.sales1)

    with pytest.raises(PermissionDenied):
        services.customer_reassign(
            actor=getattr(people, persona), customer=customer, owner=people.sales2, reason=""
        )

    customer.refresh_from_db()
    assert customer.owner == people.sales1


def test_it_refuses_to_make_a_non_salesperson_the_owner(people):
    customer = CustomerFactory(owner=people.sales1)

    with pytest.raises(ValidationError) as caught:
        services.customer_reassign(
            actor=people.admin, customer=customer, owner=people.finance, reason=""
        )

    assert list(caught.value.error_dict) == ["owner"]


@pytest.mark.parametrize(
    ("tier", "locked", "reason", "field"),
    [("gold", False, "", "tier"), ("", True, "because", "tier"), ("key", True, " ", "reason")],
)
def test_it_validates_a_tier_set_by_hand(tier, locked, reason, field, people):
    customer = CustomerFactory(owner=people.sales1)

    with pytest.raises(ValidationError) as caught:
        services.customer_set_tier(
            actor=people.manager1, customer=customer, tier=tier, locked=locked, reason=reason
        )

    assert list(caught.value.error_dict) == [field]
    assert not CustomerTierChange.objects.exists()


def test_it_unlocks_a_tier_and_forgets_the_lock_reason(people):
    customer = CustomerFactory(owner=people.sales1)
    services.customer_set_tier(
        actor=people.manager1, customer=customer, tier="key", locked=True, reason="big order"
    )

    changed = services.customer_set_tier(
        actor=people.manager1, customer=customer, tier="key", locked=False, reason="",
        effective_on=dt.date(2026, 7, 1),
    )  # fmt: skip
    unchanged = services.customer_set_tier(
        actor=people.manager1, customer=customer, tier="key", locked=False, reason=""
    )

    customer.refresh_from_db()
    assert (changed, unchanged) == (True, False)
    assert (customer.tier, customer.tier_locked, customer.tier_lock_reason) == ("key", False, "")
    latest = CustomerTierChange.objects.filter(customer=customer).first()
    assert (latest.locked, latest.effective_on) == (False, dt.date(2026, 7, 1))
    assert CustomerTierChange.objects.count() == 2


@pytest.mark.parametrize("persona", ["sales1", "marketing", "finance"])
def test_it_refuses_a_hand_set_tier_by_anyone_but_managers_and_admin(persona, people):
    customer = CustomerFactory(owner=people.sales1)

    with pytest.raises(PermissionDenied):
        services.customer_set_tier(
            actor=getattr(people, persona), customer=customer, tier="key", locked=False, reason=""
        )


def test_it_reports_whether_a_contact_upsert_changed_anything(people):
    customer = CustomerFactory(owner=people.sales1)

    first = services.contact_upsert(
        actor=people.sales1, customer=customer, name=" 王总 ", role="manager"
    )
    again = services.contact_upsert(
        actor=people.sales1, customer=customer, name="王总", role="manager"
    )
    changed = services.contact_upsert(
        actor=people.sales1, customer=customer, name="王总", role="decision_maker"
    )

    assert [first[1], again[1], changed[1]] == [True, False, True]
    assert first[0].pk == again[0].pk == changed[0].pk
    assert customer.contacts.get().role == "decision_maker"


def test_it_refuses_contacts_from_roles_without_archive_rights(people):
    customer = CustomerFactory(owner=people.sales1)
    contact = ContactFactory(customer=customer, name="王总")

    with pytest.raises(PermissionDenied):
        services.contact_upsert(actor=people.finance, customer=customer, name="李工")
    with pytest.raises(PermissionDenied):
        services.contact_update(actor=people.legal, contact=contact, name="王董")


def test_it_uses_the_tier_policy_in_force_on_the_date_for_default_terms(people):
    customer = CustomerFactory(owner=people.sales1, tier="strategic")
    policy_update(
        values={"tier.strategic.payment_terms_days": 120},
        effective_from=dt.date(2030, 1, 1),
        actor=people.admin,
    )

    assert services.default_payment_terms(customer, dt.date(2029, 12, 31)) == 90
    assert services.default_payment_terms(customer, dt.date(2030, 1, 1)) == 120
    assert (
        services.project_create(
            actor=people.sales1, customer=customer, name="现在"
        ).payment_terms_days
        == 90
    )
