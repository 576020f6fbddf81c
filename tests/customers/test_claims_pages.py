"""Claim-protection pages: register with a live check, registrations, disputes, decisions."""

import datetime as dt

import pytest
from django.test import Client

from salesdesk.customers.claims import services as claim_services
from salesdesk.customers.models import ClaimDispute, ClaimStatus, Customer, ProspectClaim
from tests.customers.builders import PROSPECT_NAME


def text_of(response) -> str:
    return response.content.decode()


# Register ------------------------------------------------------------------------------


def test_it_registers_a_prospect_from_the_form(page_for, people):
    page = page_for(people.sales1)

    response = page.post(
        "/claims/register/", {"name": PROSPECT_NAME, "region": "北京市"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/claims/"
    assert "registered: protected until" in text_of(response)
    assert PROSPECT_NAME in text_of(response)
    assert Customer.objects.get().owner == people.sales1


def test_it_shows_the_refusal_and_the_dispute(page_for, people, registered):
    response = page_for(people.sales3).post("/claims/register/", {"name": "北京市宏达建设"})

    assert response.status_code == 200
    html = text_of(response)
    dispute = ClaimDispute.objects.get(challenger=people.sales3)
    assert "Not registered." in html
    assert f"/claims/disputes/{dispute.pk}/" in html
    assert "protected by a colleague&#x27;s registration" in html
    assert Customer.objects.count() == 1


def test_it_names_neither_the_customer_nor_its_owner_to_whom_may_not_see_them(
    page_for, people, registered
):
    response = page_for(people.sales3).post("/claims/register/", {"name": "北京市宏达建设"})

    form = response.context["form"]
    message = " ".join(form.errors["name"])
    code = Customer.objects.get().code
    assert "ask Manager Two" in message
    assert code not in message and "Sales One" not in message and PROSPECT_NAME not in message
    refusal = text_of(response).split('id="refusal"')[1].split("</div>")[0]
    assert code not in refusal and "Sales One" not in refusal


def test_it_names_the_customer_to_a_manager_who_may_see_it(page_for, people, registered):
    response = page_for(people.manager1).post("/claims/register/", {"name": "北京市宏达建设"})

    message = " ".join(response.context["form"].errors["name"])
    assert Customer.objects.get().code in message and "Sales One" in message


def test_the_form_asks_for_the_live_check_as_the_user_types(page_for, people):
    html = text_of(page_for(people.sales1).get("/claims/register/"))

    assert 'hx-get="/claims/check/"' in html
    assert 'id="duplicate-check"' in html


def test_the_live_check_names_the_owner_and_what_registering_would_do(page_for, people, registered):
    html = text_of(page_for(people.sales3).get("/claims/check/", {"name": "北京鸿达建设"}))

    assert PROSPECT_NAME in html and "Sales One" in html
    assert "Refused: goes to the managers to arbitrate." in html
    assert "/customers/" not in html  # sales3 may not open sales1's customer


def test_the_live_check_offers_a_lapsed_prospect(page_for, people):
    claim_services.prospect_register(
        actor=people.sales1, name=PROSPECT_NAME, today=dt.date(2020, 1, 1)
    )

    html = text_of(page_for(people.sales2).get("/claims/check/", {"name": PROSPECT_NAME}))

    assert "Not protected: registering makes it yours." in html


def test_the_live_check_says_when_a_name_is_free(page_for, people):
    html = text_of(page_for(people.sales1).get("/claims/check/", {"name": "全新公司"}))

    assert "No customer has this name or credit code" in html


@pytest.mark.parametrize(
    ("who", "register", "check"),
    [("sales1", 200, 200), ("manager1", 200, 200), ("finance", 403, 200), ("admin", 403, 200),
     ("nobody", 403, 403)],
)  # fmt: skip
def test_it_lets_who_may_register_or_check(page_for, people, who, register, check):
    page = page_for(getattr(people, who))

    assert page.get("/claims/register/").status_code == register
    assert page.get("/claims/check/", {"name": PROSPECT_NAME}).status_code == check


@pytest.mark.parametrize(
    "path",
    ["/claims/", "/claims/register/", "/claims/check/", "/claims/disputes/", "/claims/disputes/1/"],
)
def test_it_sends_anonymous_visitors_to_sign_in(db, path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# Registrations ------------------------------------------------------------------------


@pytest.fixture
def three_registrations(people):
    claim_services.prospect_register(actor=people.sales1, name="北京宏达建设有限公司")
    claim_services.prospect_register(actor=people.sales2, name="天津恒泰路桥有限公司")
    claim_services.prospect_register(actor=people.sales3, name="廊坊鑫盛建材有限公司")


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("sales1", ["北京宏达建设"], ["天津恒泰路桥", "廊坊鑫盛建材"]),
        ("manager1", ["北京宏达建设", "天津恒泰路桥"], ["廊坊鑫盛建材"]),
        ("manager2", ["廊坊鑫盛建材"], ["北京宏达建设", "天津恒泰路桥"]),
        ("admin", ["北京宏达建设", "天津恒泰路桥", "廊坊鑫盛建材"], []),
        ("nobody", [], ["北京宏达建设", "天津恒泰路桥", "廊坊鑫盛建材"]),
    ],
)
def test_it_lists_the_registrations_the_user_may_see(
    page_for, people, three_registrations, who, shown, hidden
):
    html = text_of(page_for(getattr(people, who)).get("/claims/"))

    for name in shown:
        assert name in html
    for name in hidden:
        assert name not in html


def test_it_marks_registrations_expiring_soon(page_for, people):
    claim_services.prospect_register(
        actor=people.sales1, name=PROSPECT_NAME, today=dt.date.today() - dt.timedelta(days=85)
    )

    html = text_of(page_for(people.sales1).get("/claims/?state=expiring"))

    assert PROSPECT_NAME in html and "5 days left" in html


def test_the_claimant_releases_a_registration(page_for, people, registered):
    claim, _dispute = registered

    response = page_for(people.sales1).post(f"/claims/{claim.pk}/release/", follow=True)

    assert "released" in text_of(response)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RELEASED


@pytest.mark.parametrize(("who", "status"), [("sales2", 404), ("sales3", 404), ("manager2", 404)])
def test_others_cannot_release_a_registration(page_for, people, registered, who, status):
    claim, _dispute = registered

    assert page_for(getattr(people, who)).post(f"/claims/{claim.pk}/release/").status_code == status
    assert ProspectClaim.objects.get(pk=claim.pk).status == ClaimStatus.ACTIVE


def test_the_claimants_manager_may_release(page_for, people, registered):
    claim, _dispute = registered

    page_for(people.manager1).post(f"/claims/{claim.pk}/release/")

    assert ProspectClaim.objects.get(pk=claim.pk).status == ClaimStatus.RELEASED


# Disputes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "visible", "decide_button"),
    [("sales1", True, False), ("sales2", True, False), ("sales3", False, False),
     ("manager1", True, True), ("manager2", False, False), ("admin", True, True)],
)  # fmt: skip
def test_it_lists_the_disputes_the_user_may_see(
    page_for, people, registered, who, visible, decide_button
):
    html = text_of(page_for(getattr(people, who)).get("/claims/disputes/"))

    assert ("宏达建设（北京）有限公司" in html) is visible
    assert (">Decide</a>" in html) is decide_button


def test_the_manager_decides_on_the_dispute_page(page_for, people, registered):
    _claim, dispute = registered
    page = page_for(people.manager1)
    path = f"/claims/disputes/{dispute.pk}/"

    assert "Record the decision" in text_of(page.get(path))
    response = page.post(
        path, {"decision": "reassign", "reason": "sales2 met them first"}, follow=True
    )

    html = text_of(response)
    assert "Decision recorded." in html and "sales2 met them first" in html
    assert Customer.objects.get().owner == people.sales2


def test_a_decision_without_a_reason_is_refused_on_the_page(page_for, people, registered):
    _claim, dispute = registered

    response = page_for(people.manager1).post(
        f"/claims/disputes/{dispute.pk}/", {"decision": "keep"}
    )

    assert response.status_code == 200
    assert ClaimDispute.objects.get().status == "open"


@pytest.mark.parametrize(
    ("who", "get", "post"),
    [("sales1", 200, 403), ("sales2", 200, 403), ("sales3", 404, 404), ("manager2", 404, 404)],
)
def test_only_the_manager_of_both_may_decide_on_the_page(
    page_for, people, registered, who, get, post
):
    _claim, dispute = registered
    page = page_for(getattr(people, who))
    path = f"/claims/disputes/{dispute.pk}/"

    response = page.get(path)
    assert response.status_code == get
    if get == 200:
        assert "Record the decision" not in text_of(response)
        assert "Awaiting the decision of their manager." in text_of(response)
    assert page.post(path, {"decision": "reassign", "reason": "mine"}).status_code == post
    assert ClaimDispute.objects.get().status == "open"


def test_a_cross_team_dispute_says_an_admin_decides(page_for, people):
    claim_services.prospect_register(actor=people.sales1, name=PROSPECT_NAME)
    with pytest.raises(claim_services.ClaimRefused) as caught:
        claim_services.prospect_register(actor=people.sales3, name=PROSPECT_NAME)

    html = text_of(page_for(people.manager1).get(f"/claims/disputes/{caught.value.dispute.pk}/"))

    assert "an administrator decides" in html


@pytest.mark.parametrize(
    ("who", "shown"), [("sales1", True), ("manager1", True), ("admin", True), ("finance", False)]
)
def test_the_navigation_offers_claims_to_who_registers_or_decides(page_for, people, who, shown):
    assert ('href="/claims/"' in text_of(page_for(getattr(people, who)).get("/"))) is shown


def test_the_lists_take_a_fixed_number_of_queries(page_for, people, django_assert_max_num_queries):
    for n in range(12):
        claim_services.prospect_register(actor=people.sales1, name=f"北京第{n}号测试建设有限公司")
        claim_services.prospect_register(actor=people.sales3, name=f"天津{n}号测试路桥有限公司")
    for n in range(6):
        with pytest.raises(claim_services.ClaimRefused):
            claim_services.prospect_register(
                actor=people.sales2, name=f"北京第{n}号测试建设有限公司"
            )
    page = page_for(people.admin)

    with django_assert_max_num_queries(12):
        assert page.get("/claims/?state=all").status_code == 200
    with django_assert_max_num_queries(12):
        assert page.get("/claims/disputes/?status=all").status_code == 200


@pytest.mark.parametrize(
    ("who", "shown"), [("sales2", False), ("sales1", True), ("manager1", True)]
)
def test_the_dispute_pages_show_the_customer_code_only_to_who_may_see_it(
    page_for, people, registered, who, shown
):
    claim, dispute = registered
    code = claim.customer.code
    assert len(code) >= 5  # long enough not to turn up by chance
    client = page_for(getattr(people, who))

    listing = text_of(client.get("/claims/disputes/"))
    detail = text_of(client.get(f"/claims/disputes/{dispute.pk}/"))

    assert PROSPECT_NAME in listing and PROSPECT_NAME in detail
    assert (code in listing) is shown
    assert (code in detail) is shown
