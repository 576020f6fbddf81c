"""Floor prices, approvals of deliveries below them, and the asset-offset workflow
(以物抵债: sales applies, finance appraises, supply accepts, a payment is posted)."""

import datetime as dt

import pytest

from salesdesk.ledger.choices import OffsetStatus
from salesdesk.ledger.models import AssetOffset, Delivery, FloorPrice, Payment, PriceApproval
from tests.factories import PlantFactory
from tests.ledger.builders import make_ledger, post, post_invoice

D = dt.date


@pytest.fixture
def ledger(people):
    return make_ledger(people)


# Floor prices ------------------------------------------------------------------------

FLOOR = {"product": "C30", "price": "400.00", "effective_from": "2026-01-01"}


def test_it_sets_a_company_wide_floor_price_and_lists_it(people, ledger, api_for):
    api = api_for(people.manager1)

    response = post(api, "floor-prices", FLOOR)
    listed = api_for(people.sales1).get("/api/v1/floor-prices").json()

    assert response.status_code == 201
    body = response.json()
    assert (body["product"], body["plant"], body["price"]) == ("C30", None, "400.00")
    assert body["effective_from"] == "2026-01-01"
    assert body["set_by"] == "manager1"
    assert listed["count"] == 1
    assert listed["items"][0]["price"] == "400.00"


def test_it_replaces_the_price_of_the_same_product_plant_and_date(people, ledger, api_for):
    api = api_for(people.admin)
    post(api, "floor-prices", {**FLOOR, "plant": "PL01"})

    again = post(api, "floor-prices", {**FLOOR, "plant": "PL01", "price": "410"})

    assert again.status_code == 200
    assert again.json()["price"] == "410.00"
    assert again.json()["plant"] == "PL01"
    assert FloorPrice.objects.count() == 1


def test_it_filters_floor_prices_by_product_and_plant(people, ledger, api_for):
    PlantFactory(code="PL02")
    api = api_for(people.admin)
    post(api, "floor-prices", FLOOR)
    post(api, "floor-prices", {**FLOOR, "plant": "PL02", "price": "420"})
    post(api, "floor-prices", {**FLOOR, "product": "C40", "price": "450"})

    def prices(query):
        items = api.get(f"/api/v1/floor-prices?{query}").json()["items"]
        return [(item["product"], item["plant"], item["price"]) for item in items]

    assert prices("product=C30") == [("C30", None, "400.00"), ("C30", "PL02", "420.00")]
    assert prices("plant=PL02") == [("C30", "PL02", "420.00")]


@pytest.mark.parametrize("persona", ["sales1", "supply", "finance", "marketing"])
def test_it_lets_only_managers_and_admin_set_floor_prices(persona, people, ledger, api_for):
    response = post(api_for(getattr(people, persona)), "floor-prices", FLOOR)

    assert response.status_code == 403
    assert FloorPrice.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [({"price": "-1"}, "price"), ({"price": "1.234"}, "price"), ({"plant": "PL99"}, "plant")],
)
def test_it_refuses_a_bad_floor_price(change, field, people, ledger, api_for):
    response = post(api_for(people.manager1), "floor-prices", {**FLOOR, **change})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


# Deliveries below the floor ----------------------------------------------------------

CHEAP = {
    "ticket": "T-LOW",
    "project": "P1",
    "date": "2026-02-01",
    "product": "C30",
    "quantity": "10",
    "unit_price": "380.00",
}


@pytest.fixture
def floor(people, ledger, api_for):
    post(api_for(people.manager1), "floor-prices", FLOOR)
    return ledger


def test_it_records_a_delivery_below_the_floor_waiting_for_approval(people, floor, api_for):
    response = post(api_for(people.supply), "deliveries", CHEAP)
    listed = api_for(people.sales1).get("/api/v1/deliveries/below-floor").json()

    assert response.status_code == 201
    assert response.json()["floor_price"] == "400.00"
    assert response.json()["price_approval"] is None
    assert [item["ticket"] for item in listed["items"]] == ["T-LOW"]
    assert listed["items"][0]["price_approval"] is None


def test_it_lists_only_deliveries_below_the_floor(people, floor, api_for):
    api = api_for(people.supply)
    post(api, "deliveries", CHEAP)
    post(api, "deliveries", {**CHEAP, "ticket": "T-OK", "unit_price": "400.00"})

    items = api.get("/api/v1/deliveries/below-floor").json()["items"]

    assert [item["ticket"] for item in items] == ["T-LOW"]
    assert api.get("/api/v1/deliveries/T-OK").json()["floor_price"] is None


def test_it_lets_the_team_manager_approve_a_price_below_the_floor(people, floor, api_for):
    post(api_for(people.supply), "deliveries", CHEAP)
    api = api_for(people.manager1)

    response = post(api, "deliveries/T-LOW/price-approval", {"reason": "flagship project"})
    pending = api.get("/api/v1/deliveries/below-floor?approved=false").json()
    approved = api.get("/api/v1/deliveries/below-floor?approved=true").json()

    assert response.status_code == 201
    approval = response.json()["price_approval"]
    assert approval["approved_by"] == "manager1"
    assert approval["reason"] == "flagship project"
    assert pending["count"] == 0
    assert [item["ticket"] for item in approved["items"]] == ["T-LOW"]


def test_it_refuses_a_second_approval_and_one_for_a_price_at_the_floor(people, floor, api_for):
    post(api_for(people.supply), "deliveries", CHEAP)
    post(api_for(people.supply), "deliveries", {**CHEAP, "ticket": "T-OK", "unit_price": "400"})
    api = api_for(people.manager1)
    post(api, "deliveries/T-LOW/price-approval", {"reason": "flagship project"})

    again = post(api, "deliveries/T-LOW/price-approval", {"reason": "again"})
    at_floor = post(api, "deliveries/T-OK/price-approval", {"reason": "why"})

    assert again.status_code == 422
    assert at_floor.status_code == 422
    assert PriceApproval.objects.count() == 1


@pytest.mark.parametrize(
    ("persona", "status"), [("sales1", 403), ("supply", 403), ("manager2", 404)]
)
def test_it_refuses_approvals_by_anyone_but_the_teams_manager_or_admin(
    persona, status, people, floor, api_for
):
    post(api_for(people.supply), "deliveries", CHEAP)

    response = post(
        api_for(getattr(people, persona)), "deliveries/T-LOW/price-approval", {"reason": "ok"}
    )

    assert response.status_code == status
    assert PriceApproval.objects.count() == 0


def test_it_approves_at_once_when_an_admin_posts_below_the_floor_with_a_reason(
    people, floor, api_for
):
    response = post(api_for(people.admin), "deliveries", {**CHEAP, "approval_reason": "tender"})

    assert response.status_code == 201
    assert response.json()["price_approval"]["approved_by"] == "admin"
    assert response.json()["price_approval"]["reason"] == "tender"


def test_it_refuses_an_approval_reason_from_a_poster_who_may_not_approve(people, floor, api_for):
    response = post(api_for(people.supply), "deliveries", {**CHEAP, "approval_reason": "tender"})

    assert response.status_code == 403
    assert Delivery.objects.count() == 0  # the post and its approval stand or fall together


def test_it_hides_other_teams_deliveries_below_the_floor(people, floor, api_for):
    post(api_for(people.supply), "deliveries", {**CHEAP, "project": "P3", "ticket": "T-3"})

    assert api_for(people.sales1).get("/api/v1/deliveries/below-floor").json()["count"] == 0
    assert api_for(people.sales3).get("/api/v1/deliveries/below-floor").json()["count"] == 1


# Asset offsets -----------------------------------------------------------------------


@pytest.fixture
def owing(ledger):
    """P1 owes 1000.00 (I1, 2026-01-01, due 01-31)."""
    post_invoice(ledger.p1, "I1", D(2026, 1, 1), "1000.00")
    return ledger


APPLY = {"items": "20 t rebar HRB400", "claimed_value": "600.00"}


def apply_offset(people, api_for) -> int:
    response = post(api_for(people.sales1), "projects/P1/asset-offsets", APPLY)
    assert response.status_code == 201
    return response.json()["id"]


def outstanding(api, as_of="2026-03-31"):
    return api.get(f"/api/v1/projects/P1/balance?as_of={as_of}").json()["outstanding"]


def test_it_runs_the_asset_offset_workflow_and_posts_a_payment_at_the_appraised_value(
    people, owing, api_for
):
    offset_id = apply_offset(people, api_for)
    appraised = post(
        api_for(people.finance),
        f"asset-offsets/{offset_id}/appraise",
        {"appraised_value": "500.00", "note": "market price"},
    )
    assert outstanding(api_for(people.sales1)) == "1000.00"

    accepted = post(
        api_for(people.supply),
        f"asset-offsets/{offset_id}/accept",
        {"date": "2026-03-01", "note": "received at PL01"},
    )

    assert appraised.status_code == 200
    assert appraised.json()["status"] == "appraised"
    assert appraised.json()["appraised_value"] == "500.00"
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["status"] == "posted"
    assert body["claimed_value"] == "600.00"
    assert [(s["step"], s["actor"], s["value"]) for s in body["steps"]] == [
        ("apply", "sales1", "600.00"),
        ("appraise", "finance", "500.00"),
        ("accept", "supply", "500.00"),
    ]
    payment = Payment.objects.get(reference=body["payment"])
    assert (payment.method, str(payment.amount), payment.date) == (
        "offset",
        "500.00",
        D(2026, 3, 1),
    )
    api = api_for(people.sales1)
    assert api.get(f"/api/v1/payments/{payment.reference}").json()["method"] == "offset"
    assert outstanding(api) == "500.00"
    assert outstanding(api, "2026-02-28") == "1000.00"  # the offset counts from its date


def test_it_lists_a_projects_offsets_with_their_timeline(people, owing, api_for):
    offset_id = apply_offset(people, api_for)
    post(api_for(people.finance), f"asset-offsets/{offset_id}/reject", {"reason": "scrap"})
    apply_offset(people, api_for)

    listed = api_for(people.manager1).get("/api/v1/projects/P1/asset-offsets").json()
    one = api_for(people.sales1).get(f"/api/v1/asset-offsets/{offset_id}").json()

    assert [item["status"] for item in listed] == ["applied", "rejected"]  # newest first
    assert [step["step"] for step in one["steps"]] == ["apply", "reject"]
    assert one["steps"][1]["note"] == "scrap"
    assert one["items"] == "20 t rebar HRB400"
    assert one["project"] == "P1"
    assert one["payment"] is None


def test_it_lets_finance_reject_before_appraisal(people, owing, api_for):
    offset_id = apply_offset(people, api_for)

    response = post(
        api_for(people.finance), f"asset-offsets/{offset_id}/reject", {"reason": "not needed"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["steps"][-1]["actor"] == "finance"
    assert Payment.objects.count() == 0


def test_it_lets_supply_reject_after_appraisal(people, owing, api_for):
    offset_id = apply_offset(people, api_for)
    post(api_for(people.finance), f"asset-offsets/{offset_id}/appraise", {"appraised_value": 500})

    response = post(
        api_for(people.supply), f"asset-offsets/{offset_id}/reject", {"reason": "goods damaged"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert Payment.objects.count() == 0
    assert outstanding(api_for(people.sales1)) == "1000.00"


def test_it_refuses_to_reject_a_posted_offset(people, owing, api_for):
    offset_id = apply_offset(people, api_for)
    post(api_for(people.finance), f"asset-offsets/{offset_id}/appraise", {"appraised_value": 500})
    post(api_for(people.supply), f"asset-offsets/{offset_id}/accept", {"date": "2026-03-01"})

    response = post(api_for(people.admin), f"asset-offsets/{offset_id}/reject", {"reason": "late"})

    assert response.status_code == 422
    assert AssetOffset.objects.get(pk=offset_id).status == OffsetStatus.POSTED


def test_it_refuses_a_rejection_without_a_reason(people, owing, api_for):
    offset_id = apply_offset(people, api_for)

    response = post(api_for(people.finance), f"asset-offsets/{offset_id}/reject", {"reason": " "})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "reason"


@pytest.mark.parametrize("persona", ["finance", "supply", "marketing"])
def test_it_lets_only_sales_apply_for_an_offset(persona, people, owing, api_for):
    response = post(api_for(getattr(people, persona)), "projects/P1/asset-offsets", APPLY)

    assert response.status_code == 403
    assert AssetOffset.objects.count() == 0


def test_it_answers_404_to_an_application_on_another_teams_project(people, owing, api_for):
    response = post(api_for(people.sales3), "projects/P1/asset-offsets", APPLY)

    assert response.status_code == 404
    assert api_for(people.sales3).get("/api/v1/projects/P1/asset-offsets").status_code == 404


@pytest.mark.parametrize("persona", ["sales1", "manager1", "supply"])
def test_it_lets_only_finance_appraise(persona, people, owing, api_for):
    offset_id = apply_offset(people, api_for)

    response = post(
        api_for(getattr(people, persona)),
        f"asset-offsets/{offset_id}/appraise",
        {"appraised_value": "500.00"},
    )

    assert response.status_code == 403
    assert AssetOffset.objects.get(pk=offset_id).status == OffsetStatus.APPLIED


@pytest.mark.parametrize("persona", ["sales1", "manager1", "finance"])
def test_it_lets_only_supply_accept(persona, people, owing, api_for):
    offset_id = apply_offset(people, api_for)
    post(api_for(people.finance), f"asset-offsets/{offset_id}/appraise", {"appraised_value": 500})

    response = post(
        api_for(getattr(people, persona)),
        f"asset-offsets/{offset_id}/accept",
        {"date": "2026-03-01"},
    )

    assert response.status_code == 403
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("appraised", "persona"),
    [(False, "supply"), (False, "sales1"), (True, "finance"), (True, "sales1")],
)
def test_it_lets_only_the_role_of_the_current_step_reject(
    appraised, persona, people, owing, api_for
):
    offset_id = apply_offset(people, api_for)
    if appraised:
        post(api_for(people.finance), f"asset-offsets/{offset_id}/appraise", {"appraised_value": 1})

    response = post(
        api_for(getattr(people, persona)), f"asset-offsets/{offset_id}/reject", {"reason": "no"}
    )

    assert response.status_code == 403
    assert AssetOffset.objects.get(pk=offset_id).status != OffsetStatus.REJECTED


def test_it_refuses_steps_out_of_order(people, owing, api_for):
    offset_id = apply_offset(people, api_for)

    early = post(
        api_for(people.supply), f"asset-offsets/{offset_id}/accept", {"date": "2026-03-01"}
    )
    post(api_for(people.finance), f"asset-offsets/{offset_id}/appraise", {"appraised_value": 500})
    twice = post(
        api_for(people.finance), f"asset-offsets/{offset_id}/appraise", {"appraised_value": 400}
    )

    assert early.status_code == 422
    assert twice.status_code == 422
    assert AssetOffset.objects.get(pk=offset_id).appraised_value == 500


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("projects/P1/asset-offsets", {"items": " ", "claimed_value": "1.00"}, "items"),
        ("projects/P1/asset-offsets", {"items": "steel", "claimed_value": "0"}, "claimed_value"),
        (
            "projects/P1/asset-offsets",
            {"items": "steel", "claimed_value": "1.001"},
            "claimed_value",
        ),
    ],
)
def test_it_refuses_a_bad_application(path, body, field, people, owing, api_for):
    response = post(api_for(people.sales1), path, body)

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


def test_it_refuses_a_bad_appraised_value(people, owing, api_for):
    offset_id = apply_offset(people, api_for)

    response = post(
        api_for(people.finance), f"asset-offsets/{offset_id}/appraise", {"appraised_value": "-5"}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "appraised_value"


def test_it_answers_404_for_another_teams_offset(people, owing, api_for):
    offset_id = apply_offset(people, api_for)

    assert api_for(people.sales3).get(f"/api/v1/asset-offsets/{offset_id}").status_code == 404
    assert api_for(people.sales2).get(f"/api/v1/asset-offsets/{offset_id}").status_code == 404
    assert api_for(people.finance).get("/api/v1/asset-offsets/999999").status_code == 404


def test_it_refuses_to_reverse_an_offset_payment_directly(people, owing, api_for):
    offset_id = apply_offset(people, api_for)
    post(api_for(people.finance), f"asset-offsets/{offset_id}/appraise", {"appraised_value": 500})
    body = post(api_for(people.supply), f"asset-offsets/{offset_id}/accept", {"date": "2026-03-01"})

    response = post(
        api_for(people.finance),
        f"payments/{body.json()['payment']}/reversal",
        {"date": "2026-03-02", "reason": "changed our mind"},
    )

    assert response.status_code == 422
    assert outstanding(api_for(people.finance)) == "500.00"
