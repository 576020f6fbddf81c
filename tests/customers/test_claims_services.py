"""Claim protection (DOMAIN §9): registering prospects, refusals, takeovers, arbitration."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from salesdesk.core.errors import PermissionDenied
from salesdesk.core.models import AuditEntry
from salesdesk.core.services import policy_update
from salesdesk.customers.claims import access as claim_access
from salesdesk.customers.claims import selectors as claim_selectors
from salesdesk.customers.claims import services as claim_services
from salesdesk.customers.models import (
    ClaimDispute,
    ClaimStatus,
    Customer,
    CustomerOwnerChange,
    DisputeStatus,
    Project,
    ProspectClaim,
)
from tests.customers.builders import credit_code
from tests.factories import CustomerFactory, ProjectFactory

DAY = dt.date(2026, 3, 2)
NAME = "北京宏达建设有限公司"


def register(user, name=NAME, *, today=DAY, **values):
    return claim_services.prospect_register(actor=user, name=name, today=today, **values)


def refused(user, name=NAME, *, today=DAY, **values) -> claim_services.ClaimRefused:
    with pytest.raises(claim_services.ClaimRefused) as caught:
        register(user, name, today=today, **values)
    return caught.value


# Registering ----------------------------------------------------------------------------


def test_it_registers_a_new_prospect_and_protects_it_for_the_policy_days(people):
    registration = register(people.sales1, region="北京市", industry="建筑施工")

    claim, customer = registration.claim, registration.customer
    assert registration.outcome == claim_services.Registration.CREATED
    assert (customer.status, customer.owner, customer.region) == (
        "prospect",
        people.sales1,
        "北京市",
    )
    assert customer.name_key == "宏达建设" and customer.name_head == "hongda"
    assert (claim.claimant, claim.registered_on) == (people.sales1, DAY)
    # 90 days from the day of registration, that day included.
    assert claim.protected_until == DAY + dt.timedelta(days=89)
    assert claim.protects_on(DAY + dt.timedelta(days=89))
    assert not claim.protects_on(DAY + dt.timedelta(days=90))
    actions = set(
        AuditEntry.objects.filter(object_id=str(customer.pk)).values_list("action", flat=True)
    )
    assert {"create", "claim_register"} <= actions


def test_it_protects_for_the_days_the_policy_says_on_the_day_of_registration(people):
    policy_update(
        values={"claims.protection_days": 30}, effective_from=DAY, actor=people.admin, reason="t"
    )

    assert register(people.sales1).claim.protected_until == DAY + dt.timedelta(days=29)
    before = register(people.sales1, "天津另一家建材有限公司", today=DAY - dt.timedelta(days=1))
    assert before.claim.protected_until == DAY + dt.timedelta(days=88)


def test_it_refuses_a_second_registration_of_a_protected_prospect_and_opens_a_dispute(people):
    first = register(people.sales1)

    refusal = refused(people.sales2, "宏达建设（北京）有限责任公司", region="北京")

    # sales2 may not see sales1's prospect: the refusal says whom to ask, not whose it is.
    message = str(refusal.messages)
    assert "protected by a colleague's registration" in message and "Manager One" in message
    assert "北京宏达建设有限公司" not in message and first.customer.code not in message
    assert "Sales One" not in message
    assert (refusal.disclosed, refusal.ask) == (False, people.manager1)
    assert refusal.customer == first.customer
    dispute = ClaimDispute.objects.get()  # committed although the registration was refused
    assert dispute == refusal.dispute
    assert (dispute.challenger, dispute.owner, dispute.customer) == (
        people.sales2, people.sales1, first.customer,
    )  # fmt: skip
    assert (dispute.claim, dispute.status, dispute.match_reason) == (
        first.claim,
        "open",
        "same_name",
    )
    assert dispute.name == "宏达建设（北京）有限责任公司" and dispute.region == "北京"
    assert Customer.objects.count() == 1
    assert Customer.objects.get().owner == people.sales1
    assert AuditEntry.objects.filter(action="claim_dispute", actor=people.sales2).exists()


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        ("北京市宏达建设有限公司", "same_name"),
        ("北京鸿达建设有限公司", "same_sound"),
        ("北京宏达建設有限公司", "same_name"),
        ("宏达建设有限公司", "region_omitted"),
    ],
)
def test_it_refuses_spellings_of_the_same_company(people, second, reason):
    register(people.sales1)

    assert refused(people.sales3, second).dispute.match_reason == reason


def test_it_refuses_the_same_credit_code_under_another_name(people):
    code = credit_code(7)
    register(people.sales1, credit_code=code)

    refusal = refused(people.sales2, "完全不同的名字有限公司", credit_code=code.lower())

    assert refusal.dispute.match_reason == "same_credit_code"
    assert "credit_code" in refusal.message_dict


def test_it_refuses_an_existing_customer_of_someone_else(people):
    customer = CustomerFactory(name="天津恒泰路桥有限公司", owner=people.sales3, status="active")

    refusal = refused(people.sales1, "天津恒泰路桥有限责任公司")

    assert refusal.customer == customer
    assert refusal.dispute.claim is None
    message = str(refusal.messages)
    assert "already a colleague's customer" in message and "Manager One" in message
    assert "Sales Three" not in message and customer.code not in message


def test_it_names_the_customer_and_its_owner_to_whom_may_see_them(people):
    first = register(people.sales1)

    refusal = refused(people.manager1, "北京市宏达建设有限公司")

    message = str(refusal.messages)
    assert first.customer.code in message and "Sales One" in message
    assert refusal.disclosed is True


def test_it_sends_a_registrant_without_a_manager_to_an_administrator(people):
    CustomerFactory(name="天津恒泰路桥有限公司", owner=people.sales3, status="active")

    refusal = refused(people.manager1, "天津恒泰路桥有限责任公司")

    assert "ask an administrator" in str(refusal.messages)
    assert "Sales Three" not in str(refusal.messages)


def test_it_keeps_one_open_dispute_per_challenger_and_customer(people):
    register(people.sales1)

    first = refused(people.sales2).dispute
    second = refused(people.sales2, "北京宏达建设").dispute

    assert first == second
    assert ClaimDispute.objects.count() == 1


def test_it_registers_a_different_company_with_a_similar_name(people):
    register(people.sales1)

    other = register(people.sales2, "北京宏达建材有限公司")

    assert other.outcome == claim_services.Registration.CREATED
    assert ClaimDispute.objects.count() == 0


def test_it_still_protects_on_the_last_day(people):
    register(people.sales1)

    refused(people.sales2, today=DAY + dt.timedelta(days=89))


def test_it_hands_a_lapsed_prospect_to_the_next_registrant(people):
    first = register(people.sales1)

    taken = register(people.sales3, "北京宏达建设有限责任公司", today=DAY + dt.timedelta(days=90))

    assert taken.outcome == claim_services.Registration.TAKEN_OVER
    assert taken.customer == first.customer
    assert Customer.objects.get().owner == people.sales3
    first.claim.refresh_from_db()
    assert (first.claim.status, first.claim.ended_on) == (
        ClaimStatus.ENDED,
        DAY + dt.timedelta(days=90),
    )
    assert taken.claim.protected_until == DAY + dt.timedelta(days=179)
    change = CustomerOwnerChange.objects.get()
    assert (change.from_owner, change.to_owner) == (people.sales1, people.sales3)
    assert AuditEntry.objects.filter(action="claim_takeover", actor=people.sales3).exists()
    assert ClaimDispute.objects.count() == 0


def test_it_hands_over_an_unregistered_prospect(people):
    prospect = CustomerFactory(name=NAME, owner=people.sales1, status="prospect")

    assert register(people.sales2).outcome == claim_services.Registration.TAKEN_OVER
    prospect.refresh_from_db()
    assert prospect.owner == people.sales2


def test_it_hands_over_a_released_prospect(people):
    first = register(people.sales1)
    claim_services.claim_release(
        actor=people.sales1, claim=first.claim, reason="no budget", today=DAY
    )

    assert register(people.sales2).outcome == claim_services.Registration.TAKEN_OVER


def test_it_does_not_hand_over_when_the_name_matches_several_customers(people):
    CustomerFactory(name="北京宏达建设有限公司", owner=people.sales1, status="prospect")
    CustomerFactory(name="宏达建设（北京）有限责任公司", owner=people.sales2, status="prospect")

    assert refused(people.sales3).dispute is not None


def test_it_renews_the_registrants_own_lapsed_prospect(people):
    first = register(people.sales1)

    with pytest.raises(ValidationError, match="already: protected until"):
        register(people.sales1, today=DAY + dt.timedelta(days=10))
    renewed = register(people.sales1, today=DAY + dt.timedelta(days=95))

    assert renewed.outcome == claim_services.Registration.RENEWED
    assert ProspectClaim.objects.filter(status=ClaimStatus.ACTIVE).get() == renewed.claim
    first.claim.refresh_from_db()
    assert first.claim.status == ClaimStatus.ENDED


@pytest.mark.parametrize(
    ("owner", "status", "message"),
    [("sales1", "active", "already your customer"), ("sales3", "blacklisted", "blacklisted")],
)
def test_it_refuses_without_a_dispute_what_there_is_nothing_to_arbitrate(
    people, owner, status, message
):
    CustomerFactory(name=NAME, owner=getattr(people, owner), status=status)

    with pytest.raises(ValidationError, match=message) as caught:
        register(people.sales1)

    assert not isinstance(caught.value, claim_services.ClaimRefused)
    assert ClaimDispute.objects.count() == 0


@pytest.mark.parametrize("who", ["admin", "finance", "marketing", "supply", "legal", "nobody"])
def test_it_lets_only_salespeople_and_managers_register(people, who):
    with pytest.raises(PermissionDenied):
        register(getattr(people, who))


def test_a_manager_registers_for_themselves(people):
    assert register(people.manager1).customer.owner == people.manager1


@pytest.mark.parametrize(("name", "code"), [(" ", ""), ("北京宏达建设", "91110000802100433C")])
def test_it_says_what_is_wrong_with_a_registration(people, name, code):
    with pytest.raises(ValidationError) as caught:
        register(people.sales1, name, credit_code=code)

    assert not isinstance(caught.value, claim_services.ClaimRefused)
    assert Customer.objects.count() == 0


# Arbitration --------------------------------------------------------------------------


@pytest.fixture
def dispute(people):
    """sales2 (team of manager1) challenges sales1's (team of manager1) registration."""
    first = register(people.sales1)
    ProjectFactory(customer=first.customer, owner=people.sales1)
    return refused(people.sales2).dispute


def test_the_manager_of_both_reassigns_to_the_challenger(people, dispute):
    claim_services.dispute_decide(
        actor=people.manager1, dispute=dispute, decision="reassign", reason="sales2 met them first",
        today=DAY + dt.timedelta(days=3),
    )  # fmt: skip

    dispute.refresh_from_db()
    customer = Customer.objects.get()
    assert (dispute.status, dispute.decided_by) == (DisputeStatus.REASSIGNED, people.manager1)
    assert dispute.decision_reason == "sales2 met them first" and dispute.decided_at
    assert customer.owner == people.sales2
    assert set(Project.objects.values_list("owner__username", flat=True)) == {"sales2"}
    old, new = ProspectClaim.objects.order_by("pk")
    assert (old.status, old.claimant) == (ClaimStatus.ENDED, people.sales1)
    assert (new.status, new.claimant) == (ClaimStatus.ACTIVE, people.sales2)
    assert new.protected_until == DAY + dt.timedelta(days=92)
    assert AuditEntry.objects.filter(action="claim_decide", actor=people.manager1).exists()
    assert CustomerOwnerChange.objects.get().changed_by == people.manager1


def test_the_manager_keeps_it_with_the_owner(people, dispute):
    claim_services.dispute_decide(
        actor=people.manager1, dispute=dispute, decision="keep", reason="first"
    )

    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.KEPT
    assert Customer.objects.get().owner == people.sales1
    assert ProspectClaim.objects.get().status == ClaimStatus.ACTIVE


def test_a_decision_needs_a_reason_and_is_taken_once(people, dispute):
    with pytest.raises(ValidationError, match="reason"):
        claim_services.dispute_decide(
            actor=people.manager1, dispute=dispute, decision="keep", reason=" "
        )
    with pytest.raises(ValidationError):
        claim_services.dispute_decide(
            actor=people.manager1, dispute=dispute, decision="grab", reason="x"
        )
    claim_services.dispute_decide(actor=people.admin, dispute=dispute, decision="keep", reason="ok")
    with pytest.raises(ValidationError, match="already"):
        claim_services.dispute_decide(
            actor=people.manager1, dispute=dispute, decision="reassign", reason="x"
        )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("manager1", True), ("admin", True), ("manager2", False), ("sales1", False),
        ("sales2", False), ("marketing", False), ("finance", False),
    ],
)  # fmt: skip
def test_it_lets_the_manager_of_both_or_an_admin_decide(people, dispute, who, allowed):
    user = getattr(people, who)

    assert claim_access.can_decide(user, dispute) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied):
            claim_services.dispute_decide(actor=user, dispute=dispute, decision="keep", reason="x")


def test_across_teams_only_an_admin_decides(people):
    register(people.sales1)
    dispute = refused(people.sales3).dispute

    assert not claim_access.can_decide(people.manager1, dispute)
    assert not claim_access.can_decide(people.manager2, dispute)
    claim_services.dispute_decide(
        actor=people.admin, dispute=dispute, decision="reassign", reason="ok"
    )
    assert Customer.objects.get().owner == people.sales3


# Who sees what ------------------------------------------------------------------------


@pytest.fixture
def registrations(people):
    """One registration each for sales1, sales2 (manager1's team) and sales3 (manager2's),
    and a dispute of sales3 against sales1."""
    one = register(people.sales1, "北京宏达建设有限公司")
    register(people.sales2, "天津恒泰路桥有限公司")
    register(people.sales3, "廊坊鑫盛建材有限公司")
    refused(people.sales3, "北京宏达建设有限公司")
    return one


@pytest.mark.parametrize(
    ("who", "claimants", "disputes"),
    [
        ("sales1", {"sales1"}, 1), ("sales2", {"sales2"}, 0), ("sales3", {"sales3"}, 1),
        ("manager1", {"sales1", "sales2"}, 1), ("manager2", {"sales3"}, 1),
        ("admin", {"sales1", "sales2", "sales3"}, 1), ("finance", {"sales1", "sales2", "sales3"}, 1),
        ("nobody", set(), 0),
    ],
)  # fmt: skip
def test_it_shows_claims_and_disputes_by_scope(people, registrations, who, claimants, disputes):
    user = getattr(people, who)

    seen = set(claim_selectors.claim_queryset(user).values_list("claimant__username", flat=True))
    assert seen == claimants
    assert claim_selectors.dispute_queryset(user).count() == disputes


def test_it_lists_claims_by_state(people):
    today = DAY + dt.timedelta(days=80)
    register(people.sales1, "北京宏达建设有限公司")  # ends DAY + 89: expiring on `today`
    register(people.sales1, "天津恒泰路桥有限公司", today=DAY - dt.timedelta(days=100))  # expired
    register(people.sales1, "廊坊鑫盛建材有限公司", today=DAY + dt.timedelta(days=60))  # protected

    def names_in(state):
        return [
            c.customer.name
            for c in claim_selectors.claim_list(people.sales1, state=state, today=today)
        ]

    assert names_in("protected") == ["北京宏达建设有限公司", "廊坊鑫盛建材有限公司"]
    assert names_in("expiring") == ["北京宏达建设有限公司"]
    assert names_in("expired") == ["天津恒泰路桥有限公司"]
    assert len(names_in("all")) == 3


def test_it_recomputes_name_keys(people):
    customer = CustomerFactory(name=NAME, owner=people.sales1)
    Customer.objects.filter(pk=customer.pk).update(name_key="", name_head="", search_key="")

    assert claim_services.name_keys_refresh() == 1
    customer.refresh_from_db()
    assert (customer.name_key, customer.name_head) == ("宏达建设", "hongda")
    assert claim_services.name_keys_refresh() == 0


def test_the_namekeys_command_recomputes_the_keys(people):
    customer = CustomerFactory(name=NAME, owner=people.sales1)
    Customer.objects.filter(pk=customer.pk).update(name_key="")
    out = StringIO()

    call_command("namekeys", stdout=out)

    assert out.getvalue().startswith("1 customers")
    customer.refresh_from_db()
    assert customer.name_key == "宏达建设"
