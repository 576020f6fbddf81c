"""Claim protection over the HTTP API: every endpoint, its scope and its refusals."""

import pytest
from django.test import Client

from salesdesk.customers.models import ClaimDispute, Customer
from tests.customers.builders import PROSPECT_NAME, json_of
from tests.factories import CustomerFactory

# POST /prospects -------------------------------------------------------------------------


def test_it_registers_a_prospect(api_for, people):
    status, body = json_of(
        api_for(people.sales1), "post", "/api/v1/prospects",
        {"name": PROSPECT_NAME, "region": "北京市", "source": "tender"},
    )  # fmt: skip

    assert status == 201, body
    assert body["outcome"] == "created"
    claim = body["claim"]
    assert (claim["claimant"], claim["customer_name"], claim["state"]) == (
        "sales1",
        PROSPECT_NAME,
        "protected",
    )
    customer = Customer.objects.get(code=claim["customer"])
    assert (customer.status, customer.source, customer.owner) == (
        "prospect",
        "tender",
        people.sales1,
    )


def test_it_answers_409_with_the_existing_customer_and_the_dispute(api_for, people, registered):
    claim, _dispute = registered

    status, body = json_of(
        api_for(people.sales3), "post", "/api/v1/prospects", {"name": "北京市宏达建设"}
    )

    assert status == 409, body
    # sales3 may not see sales1's customer: no code, no name, no claimant; whom to ask.
    assert body["existing"] is None
    assert body["ask"] == {"username": "manager2", "name": "Manager Two"}
    text = str(body)
    assert claim.customer.code not in text and PROSPECT_NAME not in text
    assert "sales1" not in text and "Sales One" not in text
    assert "protected by a colleague's registration" in body["detail"][0]["message"]
    dispute = ClaimDispute.objects.get(pk=body["dispute"])  # committed despite the 409
    assert dispute.challenger == people.sales3
    assert body["detail"][0]["field"] == "name"


def test_it_answers_409_with_the_existing_customer_to_whom_may_see_it(api_for, people, registered):
    claim, _dispute = registered

    status, body = json_of(
        api_for(people.manager1), "post", "/api/v1/prospects", {"name": "北京市宏达建设"}
    )

    assert status == 409, body
    assert body["existing"]["customer"] == claim.customer.code
    assert body["existing"]["name"] == PROSPECT_NAME
    assert (body["existing"]["owner"], body["existing"]["owner_name"]) == ("sales1", "Sales One")
    assert body["existing"]["protected_until"] == claim.protected_until.isoformat()
    assert body["ask"] is None


@pytest.mark.parametrize(("who", "status"), [("finance", 403), ("admin", 403), ("nobody", 403)])
def test_it_refuses_registration_to_roles_that_do_not_sell(api_for, people, who, status):
    code, _body = json_of(
        api_for(getattr(people, who)), "post", "/api/v1/prospects", {"name": PROSPECT_NAME}
    )

    assert code == status
    assert not Customer.objects.exists()


def test_it_needs_authentication(db):
    assert (
        Client().post("/api/v1/prospects", {}, content_type="application/json").status_code == 401
    )
    assert Client().get("/api/v1/customers/duplicates?name=x").status_code == 401
    assert Client().get("/api/v1/claims").status_code == 401
    assert Client().get("/api/v1/claim-disputes").status_code == 401


def test_it_answers_422_for_a_bad_credit_code(api_for, people):
    status, body = json_of(
        api_for(people.sales1), "post", "/api/v1/prospects",
        {"name": PROSPECT_NAME, "credit_code": "91110000802100433C"},
    )  # fmt: skip

    assert status == 422
    assert body["detail"][0]["field"] == "credit_code"


# GET /customers/duplicates -----------------------------------------------------------------


def test_it_checks_a_name_for_duplicates(api_for, people, registered):
    CustomerFactory(code="C9", name="北京宏达建材有限公司", owner=people.sales1, status="active")

    response = api_for(people.sales1).get("/api/v1/customers/duplicates", {"name": "北京鸿达建设"})

    assert response.status_code == 200, response.content
    body = response.json()
    [match] = body["matches"]
    assert (match["name"], match["owner"], match["reason"], match["match"]) == (
        PROSPECT_NAME, "sales1", "same_sound", True,
    )  # fmt: skip
    assert match["customer"] is not None  # sales1's own customer: the code is shown
    assert [s["name"] for s in body["similar"]] == ["北京宏达建材有限公司"]
    assert body["similar"][0]["match"] is False


def test_it_hides_the_code_of_customers_the_caller_may_not_see(api_for, people, registered):
    body = (
        api_for(people.sales3).get("/api/v1/customers/duplicates", {"name": PROSPECT_NAME}).json()
    )

    assert body["matches"][0]["customer"] is None
    assert body["matches"][0]["owner_name"] == "Sales One"


def test_it_checks_a_credit_code_alone(api_for, people):
    customer = CustomerFactory(owner=people.sales3)

    body = (
        api_for(people.sales1)
        .get("/api/v1/customers/duplicates", {"credit_code": customer.credit_code})
        .json()
    )

    assert [m["reason"] for m in body["matches"]] == ["same_credit_code"]


@pytest.mark.parametrize(("who", "status"), [("nobody", 403), ("supply", 200), ("sales2", 200)])
def test_it_lets_who_registers_or_sees_everything_check(api_for, people, who, status):
    response = api_for(getattr(people, who)).get(
        "/api/v1/customers/duplicates", {"name": PROSPECT_NAME}
    )

    assert response.status_code == status


def test_the_duplicates_path_is_not_taken_for_a_customer_code(api_for, people):
    CustomerFactory(code="duplicates", owner=people.sales1)

    body = api_for(people.sales1).get("/api/v1/customers/duplicates", {"name": "x"}).json()

    assert body == {"matches": [], "similar": []}


# GET /claims -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "claimants"),
    [("sales1", ["sales1"]), ("sales2", []), ("manager1", ["sales1"]), ("manager2", []),
     ("admin", ["sales1"]), ("nobody", [])],
)  # fmt: skip
def test_it_lists_the_claims_the_caller_may_see(api_for, people, registered, who, claimants):
    status, body = json_of(api_for(getattr(people, who)), "get", "/api/v1/claims")

    assert status == 200
    assert [item["claimant"] for item in body["items"]] == claimants


def test_it_refuses_an_unknown_claim_state(api_for, people):
    assert api_for(people.sales1).get("/api/v1/claims?state=forever").status_code == 422


# GET /claim-disputes, POST /claim-disputes/{id}/decide ----------------------------------


@pytest.mark.parametrize(
    ("who", "count", "can_decide"),
    [("sales1", 1, False), ("sales2", 1, False), ("sales3", 0, None), ("manager1", 1, True),
     ("manager2", 0, None), ("admin", 1, True), ("marketing", 1, False), ("nobody", 0, None)],
)  # fmt: skip
def test_it_lists_the_disputes_the_caller_may_see(
    api_for, people, registered, who, count, can_decide
):
    status, body = json_of(api_for(getattr(people, who)), "get", "/api/v1/claim-disputes")

    assert status == 200
    assert body["count"] == count
    if count:
        assert body["items"][0]["can_decide"] is can_decide
        assert (body["items"][0]["challenger"], body["items"][0]["owner"]) == ("sales2", "sales1")


def test_it_shows_one_dispute_or_404(api_for, people, registered):
    _claim, dispute = registered
    path = f"/api/v1/claim-disputes/{dispute.pk}"

    assert api_for(people.sales2).get(path).json()["match_reason"] == "same_name"
    assert api_for(people.sales3).get(path).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("sales1", 403), ("sales2", 403), ("manager2", 404), ("sales3", 404), ("marketing", 403)],
)
def test_it_refuses_decisions_to_anyone_but_the_manager_of_both_or_an_admin(
    api_for, people, registered, who, status
):
    _claim, dispute = registered

    code, _body = json_of(
        api_for(getattr(people, who)), "post", f"/api/v1/claim-disputes/{dispute.pk}/decide",
        {"decision": "reassign", "reason": "mine"},
    )  # fmt: skip

    assert code == status
    dispute.refresh_from_db()
    assert dispute.status == "open"


@pytest.mark.parametrize("who", ["manager1", "admin"])
def test_the_manager_or_an_admin_decides_over_the_api(api_for, people, registered, who):
    _claim, dispute = registered
    client = api_for(getattr(people, who))
    path = f"/api/v1/claim-disputes/{dispute.pk}/decide"

    status, body = json_of(client, "post", path, {"decision": "reassign", "reason": "met first"})

    assert status == 200, body
    assert (body["status"], body["decided_by"], body["can_decide"]) == ("reassigned", who, False)
    assert Customer.objects.get(name=PROSPECT_NAME).owner == people.sales2
    again, _body = json_of(client, "post", path, {"decision": "keep", "reason": "x"})
    assert again == 422


def test_it_validates_a_decision(api_for, people, registered):
    _claim, dispute = registered
    path = f"/api/v1/claim-disputes/{dispute.pk}/decide"
    client = api_for(people.manager1)

    assert json_of(client, "post", path, {"decision": "grab", "reason": "x"})[0] == 422
    assert json_of(client, "post", path, {"decision": "keep", "reason": ""})[0] == 422


@pytest.mark.parametrize(("who", "shown"), [("sales2", False), ("sales1", True), ("admin", True)])
def test_it_gives_a_disputes_customer_code_only_to_who_may_see_it(
    api_for, people, registered, who, shown
):
    claim, dispute = registered
    client = api_for(getattr(people, who))

    listed = client.get("/api/v1/claim-disputes").json()["items"][0]
    one = client.get(f"/api/v1/claim-disputes/{dispute.pk}").json()

    expected = claim.customer.code if shown else None
    assert listed["customer"] == one["customer"] == expected
    assert listed["customer_name"] == PROSPECT_NAME
