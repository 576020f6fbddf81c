"""The pipeline over HTTP: scoped reads, idempotent create, changes and actions, who may
do what, stakeholder maps, FAB lines, lead-source conversion and the pipeline report."""

import datetime as dt

import pytest

from salesdesk.pipeline import fab, services
from salesdesk.pipeline.models import Opportunity
from tests.clock import TODAY
from tests.customers.builders import error_fields, json_of


@pytest.fixture
def deals(people, customers, make):
    """o1 (sales1, class A), o2 (sales2, failed), o3 (sales3, unscored), om1 (manager1, B)."""
    return {
        "o1": make("O1", customers.c1, score=(4,), close_in=30),
        "o2": make("O2", customers.c2, score=(2,), close_in=30, source="tender"),
        "o3": make("O3", customers.c3, score=None),
        "om1": make("OM1", customers.cm1, score=(5,), close_in=200),
    }


def codes(client, path="/api/v1/opportunities", **params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


# Reads -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("sales1", ["O1"]),
        ("sales2", ["O2"]),
        ("manager1", ["O1", "O2", "OM1"]),
        ("manager2", ["O3"]),
        ("finance", ["O1", "O2", "O3", "OM1"]),
        ("marketing", ["O1", "O2", "O3", "OM1"]),
        ("admin", ["O1", "O2", "O3", "OM1"]),
        ("nobody", []),
    ],
)
def test_it_lists_only_the_opportunities_the_caller_may_see(people, deals, api_for, persona,
                                                             expected):  # fmt: skip
    assert codes(api_for(getattr(people, persona))) == expected


def test_it_answers_404_for_another_salespersons_opportunity(people, deals, api_for):
    api = api_for(people.sales2)

    assert api.get("/api/v1/opportunities/O1").status_code == 404
    assert api.get("/api/v1/opportunities/O1/stakeholders").status_code == 404
    assert api.get("/api/v1/opportunities/O1/touches").status_code == 404
    status, _ = json_of(api, "patch", "/api/v1/opportunities/O1", {"name": "抢"})
    assert status == 404
    status, _ = json_of(api, "post", "/api/v1/opportunities/O1/stage", {"stage": "proposal"})
    assert status == 404


def test_it_publishes_score_pass_and_class(people, deals, api_for):
    body = api_for(people.admin).get("/api/v1/opportunities/O1").json()

    assert body["risk"] == {
        "factors": {f"f{n}": 4 for n in range(1, 8)}, "complete": True, "score": "75.0",
        "passed": True, "class": "A", "notes": "", "scored_on": TODAY.isoformat(),
        "as_of": TODAY.isoformat(),
    }  # fmt: skip
    assert body["value"] == "100000.00" and body["customer"] == "C1" and body["owner"] == "sales1"
    far = api_for(people.admin).get("/api/v1/opportunities/O1", {"as_of": "2000-01-01"}).json()
    assert far["risk"]["class"] == "B"  # closing more than 90 days after 2000-01-01


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"class": "A"}, ["O1"]),
        ({"class": "B"}, ["OM1"]),
        ({"class": "failed"}, ["O2"]),
        ({"class": "unscored"}, ["O3"]),
        ({"passed": "yes"}, ["O1", "OM1"]),
        ({"passed": "no"}, ["O2", "O3"]),
        ({"source": "tender"}, ["O2"]),
        ({"owner": "sales3"}, ["O3"]),
        ({"stage": "open"}, ["O1", "O2", "O3", "OM1"]),
        ({"stage": "won"}, []),
        ({"q": "OM"}, ["OM1"]),
        ({"customer": "C2"}, ["O2"]),
    ],
)
def test_it_filters_the_list(people, deals, api_for, params, expected):
    assert codes(api_for(people.admin), **params) == expected


def test_it_refuses_an_unknown_filter_value(people, deals, api_for):
    response = api_for(people.admin).get("/api/v1/opportunities", {"class": "Z"})

    assert response.status_code == 422
    assert error_fields(response.json()) == {"class"}


def test_it_pages_the_list(people, deals, api_for):
    body = api_for(people.admin).get("/api/v1/opportunities", {"page_size": 3, "page": 2}).json()

    assert (body["count"], body["num_pages"], body["page"]) == (4, 2, 2)
    assert [item["code"] for item in body["items"]] == ["OM1"]


# Create and change -------------------------------------------------------------------

NEW = {"code": "N1", "customer": "C1", "name": "新商机", "value": "300000.00",
       "expected_close": "2030-01-31", "competitors": "华新"}  # fmt: skip


def test_it_creates_idempotently_by_code(people, customers, api_for):
    api = api_for(people.sales1)

    first, body = json_of(api, "post", "/api/v1/opportunities", NEW)
    again, _ = json_of(api, "post", "/api/v1/opportunities", NEW)
    other, _ = json_of(api, "post", "/api/v1/opportunities", {**NEW, "value": "1.00"})

    assert (first, again, other) == (201, 200, 409)
    assert body["owner"] == "sales1" and body["source"] == "customer_referral"
    assert body["risk"]["score"] is None and body["risk"]["class"] is None


def test_it_refuses_creation_for_an_unseen_customer_and_to_read_only_roles(
    people, customers, api_for
):
    status, body = json_of(api_for(people.sales2), "post", "/api/v1/opportunities", NEW)
    assert status == 422 and error_fields(body) == {"customer"}
    status, _ = json_of(api_for(people.marketing), "post", "/api/v1/opportunities", NEW)
    assert status == 403
    assert not Opportunity.objects.exists()


def test_it_answers_409_when_the_code_belongs_to_an_unseen_opportunity(people, deals, api_for):
    status, _ = json_of(api_for(people.sales1), "post", "/api/v1/opportunities",
                        {**NEW, "code": "O2"})  # fmt: skip
    assert status == 409


@pytest.mark.parametrize(
    ("persona", "status"),
    [("sales1", 200), ("manager1", 200), ("admin", 200), ("marketing", 403),
     ("finance", 403), ("sales2", 404), ("manager2", 404)],
)  # fmt: skip
def test_it_lets_only_owner_manager_and_admin_patch(people, deals, api_for, persona, status):
    got, _ = json_of(
        api_for(getattr(people, persona)), "patch", "/api/v1/opportunities/O1",
        {"value": "123.45", "spec_in_tender": True},
    )  # fmt: skip
    assert got == status
    stored = Opportunity.objects.get(code="O1")
    assert (str(stored.value) == "123.45") is (status == 200)


def test_it_refuses_null_for_required_patch_fields(people, deals, api_for):
    status, body = json_of(api_for(people.sales1), "patch", "/api/v1/opportunities/O1",
                           {"name": None})  # fmt: skip
    assert status == 422 and error_fields(body) == {"name"}


def test_it_fills_in_the_risk_form_keeping_unsent_factors(people, deals, api_for):
    api = api_for(people.sales1)

    status, body = json_of(api, "post", "/api/v1/opportunities/O1/risk-form", {"f7": 1})
    assert status == 200
    assert body["risk"]["factors"]["f7"] == 1 and body["risk"]["factors"]["f1"] == 4
    assert body["risk"]["score"] == "64.3" and body["risk"]["class"] == "C"  # 25×18/7

    status, body = json_of(api, "post", "/api/v1/opportunities/O1/risk-form", {"f7": None})
    assert body["risk"] == {**body["risk"], "complete": False, "score": None, "passed": False,
                            "class": None}  # fmt: skip
    status, body = json_of(api, "post", "/api/v1/opportunities/O1/risk-form", {"f1": 6})
    assert status == 422


def test_it_records_qualification_and_the_four_questions(people, deals, api_for):
    api = api_for(people.sales1)

    status, body = json_of(api, "post", "/api/v1/opportunities/O1/qualification",
                           {"need": True, "need_evidence": "招标公告", "budget": True,
                            "decision_maker_known": True})  # fmt: skip
    assert status == 200 and body["qualification"]["qualified"] is True
    status, body = json_of(api, "post", "/api/v1/opportunities/O1/qualification",
                           {"budget": False})  # fmt: skip
    assert body["qualification"]["need_evidence"] == "招标公告"
    assert body["qualification"]["qualified"] is False

    status, body = json_of(api, "post", "/api/v1/opportunities/O1/questions",
                           {"is_real": True, "can_win": False, "next_steps": "技术交流"})  # fmt: skip
    assert status == 200
    assert body["questions"]["is_real"] is True and body["questions"]["can_win"] is False
    assert body["questions"]["next_steps"] == "技术交流"


def test_it_moves_stages_and_needs_a_reason_to_win_or_lose(people, deals, api_for):
    api = api_for(people.sales1)

    status, body = json_of(api, "post", "/api/v1/opportunities/O1/stage", {"stage": "won"})
    assert status == 422 and error_fields(body) == {"reason"}
    status, body = json_of(api, "post", "/api/v1/opportunities/O1/stage",
                           {"stage": "won", "reason": "技术领先"})  # fmt: skip
    assert status == 200 and body["stage"] == "won" and body["closed_reason"] == "技术领先"
    assert codes(api, stage="open") == []


def test_it_abandons_reduces_resumes_and_records_touches(people, deals, api_for):
    api = api_for(people.sales2)

    status, body = json_of(api, "post", "/api/v1/opportunities/O2/reduce", {"reason": "资金"})
    assert status == 200 and body["contact_level"] == "reduced"
    assert body["touch_due"] == (TODAY + dt.timedelta(days=90)).isoformat()
    status, touch = json_of(api, "post", "/api/v1/opportunities/O2/touches", {"note": "电话"})
    assert status == 201 and touch["recorded_by"] == "sales2"
    assert [t["note"] for t in api.get("/api/v1/opportunities/O2/touches").json()] == ["电话"]
    status, body = json_of(api, "post", "/api/v1/opportunities/O2/resume", {})
    assert body["contact_level"] == "normal" and body["touch_due"] is None
    status, body = json_of(api, "post", "/api/v1/opportunities/O2/abandon", {"reason": ""})
    assert status == 422
    status, body = json_of(api, "post", "/api/v1/opportunities/O2/abandon", {"reason": "放弃"})
    assert body["stage"] == "abandoned"


def test_it_refuses_to_reduce_a_passed_opportunity(people, deals, api_for):
    status, _ = json_of(api_for(people.sales1), "post", "/api/v1/opportunities/O1/reduce", {})
    assert status == 422


@pytest.mark.parametrize(
    "path",
    ["/risk-form", "/qualification", "/questions", "/stage", "/abandon", "/reduce",
     "/resume", "/touches"],
)  # fmt: skip
def test_it_refuses_every_action_to_read_only_roles(people, deals, api_for, path):
    payload = {"stage": "proposal", "reason": "x"} if path == "/stage" else {"reason": "x"}
    status, _ = json_of(api_for(people.marketing), "post", f"/api/v1/opportunities/O1{path}",
                        payload)  # fmt: skip
    assert status == 403


def test_it_lists_touches_due(people, deals, api_for):
    services.opportunity_reduce(
        actor=None, opportunity=deals["o2"], on=TODAY - dt.timedelta(days=90)
    )

    due = api_for(people.manager1).get("/api/v1/pipeline/touches-due").json()
    assert [o["code"] for o in due] == ["O2"]
    assert api_for(people.sales1).get("/api/v1/pipeline/touches-due").json() == []


# Stakeholder map and FAB -------------------------------------------------------------


def test_it_maps_stakeholders_with_the_fab_lines_to_lead_with(people, deals, api_for):
    fab.fab_product_save(
        actor=people.marketing, name="C30 商品混凝土",
        lines=[{"feature": "双掺", "advantage": "泵送顺畅", "benefit": "工期有保障"}],
    )  # fmt: skip
    json_of(api_for(people.sales1), "patch", "/api/v1/opportunities/O1",
            {"products": ["C30 商品混凝土"]})  # fmt: skip

    body = api_for(people.sales1).get("/api/v1/opportunities/O1/stakeholders").json()

    roles = {group["role"]: group for group in body["roles"]}
    assert body["warning"] is None and body["decision_maker_known"] is True
    assert [c["name"] for c in roles["decision_maker"]["contacts"]] == ["王总"]
    assert roles["decision_maker"]["lead_with"] == [
        {"product": "C30 商品混凝土", "text": "工期有保障"}
    ]
    assert roles["technical"]["lead_with"][0]["text"] == "双掺"
    assert roles["manager"]["lead_with"][0]["text"] == "泵送顺畅"
    assert roles["user"]["focus"] == "function" and roles["user"]["lead_with"][0]["text"] == "双掺"
    assert roles["procurement"]["focus"] == "price" and roles["procurement"]["lead_with"] == []
    assert body["terms"]["payment_terms_days"] == 30


def test_it_warns_when_no_decision_maker_is_known(people, deals, api_for):
    api = api_for(people.sales2)

    body = api.get("/api/v1/opportunities/O2/stakeholders").json()
    assert body["decision_maker_known"] is False and body["warning"]

    json_of(api, "post", "/api/v1/opportunities/O2/qualification", {"decision_maker_known": True})
    assert api.get("/api/v1/opportunities/O2/stakeholders").json()["warning"] is None


def test_it_lets_marketing_edit_fab_lines_and_everyone_read_them(people, db, api_for):
    payload = {"name": "C30", "lines": [{"feature": "双掺", "benefit": "省工期"}]}

    status, _ = json_of(api_for(people.sales1), "post", "/api/v1/fab-products", payload)
    assert status == 403
    status, body = json_of(api_for(people.marketing), "post", "/api/v1/fab-products", payload)
    assert status == 201 and body["lines"][0]["advantage"] == ""
    status, _ = json_of(api_for(people.manager1), "post", "/api/v1/fab-products", payload)
    assert status == 200
    listed = api_for(people.sales1).get("/api/v1/fab-products").json()
    assert [p["name"] for p in listed] == ["C30"]
    product = f"/api/v1/fab-products/{body['id']}"
    status, _ = json_of(api_for(people.finance), "put", product, {**payload, "name": "C35"})
    assert status == 403
    status, renamed = json_of(api_for(people.admin), "put", product, {**payload, "name": "C35"})
    assert renamed["name"] == "C35"
    assert api_for(people.sales1).delete(product).status_code == 403
    assert api_for(people.marketing).delete(product).status_code == 204


# Conversion and the report -----------------------------------------------------------


def test_it_reports_conversion_per_lead_source(people, deals, make, customers, api_for):
    make("W1", customers.c1, stage="won", value="1000.00")
    make("L1", customers.c1, stage="lost", source="tender")
    make("W2", customers.c2, stage="won", source="tender", value="2500.50")

    body = api_for(people.admin).get("/api/v1/pipeline/conversion").json()
    rows = {row["source"]: row for row in body["rows"]}

    referral = rows["customer_referral"]
    assert (referral["created"], referral["won"], referral["won_value"]) == (4, 1, "1000.00")
    assert referral["conversion"] == "0.2500" and referral["win_rate"] == "1.0000"
    tender = rows["tender"]
    assert (tender["created"], tender["won"], tender["lost"]) == (3, 1, 1)
    assert tender["conversion"] == "0.3333" and tender["win_rate"] == "0.5000"
    assert rows["web"]["conversion"] is None and rows["web"]["created"] == 0
    assert body["totals"]["created"] == 7 and body["totals"]["won_value"] == "3500.50"
    assert referral["customers"] == 4

    mine = api_for(people.sales1).get("/api/v1/pipeline/conversion").json()
    assert mine["totals"]["created"] == 3  # O1, W1, L1


def test_it_serves_the_pipeline_report_scoped_to_the_caller(people, deals, api_for):
    body = api_for(people.manager1).get("/api/v1/reports/pipeline").json()

    assert body["report"] == "pipeline" and body["as_of"] == TODAY.isoformat()
    assert [row["code"] for row in body["rows"]] == ["O1", "O2", "OM1"]
    assert body["rows"][0]["class"] == "A" and body["totals"]["classes"]["A"] == 1
    assert api_for(people.sales2).get("/api/v1/reports/pipeline").json()["rows"][0]["code"] == "O2"


def test_it_requires_authentication(deals, client):
    assert client.get("/api/v1/opportunities").status_code == 401
    assert client.get("/api/v1/pipeline/conversion").status_code == 401
    assert client.get("/api/v1/reports/pipeline").status_code == 401
