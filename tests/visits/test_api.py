"""The visits API: scoped reads, idempotent logging, commitments, compliance."""

import datetime as dt

import pytest
from django.test import Client

from salesdesk.visits.models import Commitment, Visit
from tests.customers.builders import error_fields, json_of
from tests.visits.builders import PERSONAS, VISIBLE, log

DAY = dt.date(2026, 3, 10)


def advance_body(**extra) -> dict:
    body = {
        "customer": "K1",
        "date": DAY.isoformat(),
        "outcome": "advance",
        "purpose": "技术交流",
        "commitment": {"what": "安排样品试验", "who": "张工", "due": "2026-03-20"},
    }
    return body | extra


def test_it_logs_a_visit_and_answers_the_same_post_idempotently(people, book, api_for):
    api = api_for(people.sales1)
    body = advance_body(contacts=[book.K1_contact.pk])

    created = json_of(api, "post", "/api/v1/visits", body)
    again = json_of(api, "post", "/api/v1/visits", body)
    other = json_of(api, "post", "/api/v1/visits", body | {"outcome": "order", "commitment": None})

    assert created[0] == 201 and again[0] == 200 and other[0] == 409
    visit = created[1]
    assert (visit["customer"], visit["salesperson"], visit["outcome"]) == (
        "K1",
        "sales1",
        "advance",
    )
    assert visit["contacts"] == [{"id": book.K1_contact.pk, "name": "K1 采购经理"}]
    assert visit["commitment"]["what"] == "安排样品试验"
    assert visit["commitment"]["state"] in ("open", "overdue")
    assert again[1]["id"] == visit["id"]
    assert Visit.objects.count() == 1 and Commitment.objects.count() == 1


def test_it_refuses_an_advance_without_its_commitment(people, book, api_for):
    status, body = json_of(
        api_for(people.sales1), "post", "/api/v1/visits", advance_body(commitment=None)
    )

    assert status == 422 and error_fields(body) == {"commitment"}
    assert not Visit.objects.exists()


def test_it_warns_about_a_strategic_visit_without_satisfaction(people, book, api_for):
    status, body = json_of(
        api_for(people.sales1), "post", "/api/v1/visits",
        {"customer": "S1", "date": DAY.isoformat(), "outcome": "continuation"},
    )  # fmt: skip

    assert status == 201
    assert len(body["warnings"]) == 2 and body["satisfaction"] is None


@pytest.mark.parametrize(
    ("persona", "body", "status", "field"),
    [
        ("finance", {}, 403, None),
        ("nobody", {}, 403, None),
        ("sales1", {"customer": "S2"}, 422, "customer"),  # another's customer: unseen
        ("sales1", {"customer": "NOPE"}, 422, "customer"),
        ("sales1", {"salesperson": "sales2"}, 422, "salesperson"),
        ("manager2", {}, 422, "customer"),
        ("sales1", {"project": "PG1"}, 422, "project"),
        ("sales1", {"contacts": [0]}, 422, "contacts"),
        ("sales1", {"satisfaction": 7}, 422, None),
    ],
)
def test_it_refuses_visits_the_caller_may_not_log(
    people, book, api_for, persona, body, status, field
):
    answer, content = json_of(
        api_for(getattr(people, persona)), "post", "/api/v1/visits", advance_body(**body)
    )

    assert answer == status, content
    if field:
        assert field in error_fields(content)
    assert not Visit.objects.exists()


def test_it_lets_a_manager_log_a_visit_for_a_team_member(people, book, api_for):
    status, body = json_of(
        api_for(people.manager1), "post", "/api/v1/visits",
        advance_body(salesperson="sales1", manager_involved=True),
    )  # fmt: skip

    assert status == 201 and body["salesperson"] == "sales1" and body["manager_involved"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lists_and_shows_only_the_visits_a_user_may_see(persona, people, visits_of, api_for):
    api = api_for(getattr(people, persona))

    listed = api.get("/api/v1/visits").json()
    assert {item["customer"] for item in listed["items"]} == VISIBLE[persona]
    for code in ("S1", "S2", "K3"):
        visit = getattr(visits_of, code)
        detail = api.get(f"/api/v1/visits/{visit.pk}")
        assert detail.status_code == (200 if code in VISIBLE[persona] else 404), code


def test_it_filters_the_visit_log(people, book, api_for):
    log(book.K1, DAY, "order")
    log(book.G1, DAY + dt.timedelta(days=5), "no_sale")
    log(book.S2, DAY, "order")
    api = api_for(people.manager1)

    def codes(**params):
        return [item["customer"] for item in api.get("/api/v1/visits", params).json()["items"]]

    assert codes() == ["G1", "S2", "K1"]
    assert codes(outcome="order") == ["S2", "K1"]
    assert codes(salesperson="sales2") == ["S2"]
    assert codes(customer="K1") == ["K1"]
    assert codes(date_from="2026-03-11") == ["G1"]
    assert codes(date_to="2026-03-10", customer="客户") == ["S2", "K1"]
    assert api.get("/api/v1/visits", {"outcome": "bogus"}).status_code == 422


def test_it_lists_commitments_by_state_and_marks_one_done(people, visits_of, api_for):
    api = api_for(people.manager1)

    overdue = api.get("/api/v1/commitments", {"state": "overdue"}).json()["items"]
    open_ = api.get("/api/v1/commitments", {"state": "open"}).json()["items"]
    assert [(c["customer"], c["state"]) for c in overdue] == [("S1", "overdue")]
    assert [(c["customer"], c["state"]) for c in open_] == [("S2", "open")]

    commitment = overdue[0]["id"]
    done = json_of(api, "post", f"/api/v1/commitments/{commitment}/done", {"note": "已完成"})
    twice = json_of(api, "post", f"/api/v1/commitments/{commitment}/done", {})

    assert done[0] == 200
    assert (done[1]["state"], done[1]["done_by"], done[1]["done_on"]) == (
        "done", "manager1", visits_of.today.isoformat(),
    )  # fmt: skip
    assert twice[0] == 409
    assert [c["customer"] for c in api.get("/api/v1/commitments?state=done").json()["items"]] == [
        "S1"
    ]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("sales1", 200), ("sales2", 404), ("manager2", 404), ("finance", 403), ("nobody", 404)],
)
def test_it_lets_only_those_who_track_commitments_mark_them_done(
    people, visits_of, api_for, persona, status
):
    commitment = visits_of.S1.commitment

    response = json_of(
        api_for(getattr(people, persona)), "post", f"/api/v1/commitments/{commitment.pk}/done"
    )

    assert response[0] == status
    commitment.refresh_from_db()
    assert (commitment.done_on is not None) == (status == 200)


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lists_only_the_commitments_a_user_may_see(persona, people, visits_of, api_for):
    items = api_for(getattr(people, persona)).get("/api/v1/commitments").json()["items"]

    assert {item["customer"] for item in items} == VISIBLE[persona]


def test_it_reports_compliance_for_a_month(people, quarter, api_for):
    api = api_for(people.manager1)

    body = api.get("/api/v1/visits/compliance", {"month": "2025-03"}).json()

    assert body["month"] == "2025-03" and body["complete"] is True
    rows = {row["salesperson"]: row for row in body["rows"]}
    assert set(rows) == {"sales1", "sales2"}
    assert (rows["sales1"]["due"], rows["sales1"]["met"], rows["sales1"]["ratio"]) == (
        7,
        3,
        "0.4286",
    )
    assert rows["sales1"]["without_manager"] == 1
    s1b = next(c for c in rows["sales1"]["customers"] if c["customer"] == "S1b")
    assert (s1b["visits"], s1b["manager_visits"], s1b["met"]) == (2, 0, False)
    assert body["totals"] == {"due": 8, "met": 4, "ratio": "0.5000"}
    mix = {row["salesperson"]: row for row in body["outcomes"]}
    assert (mix["sales1"]["visits"], mix["sales1"]["advance"], mix["sales1"]["advance_rate"]) == (
        6, 2, "0.3333",
    )  # fmt: skip
    assert body["outcome_totals"]["advance_rate"] == "0.5000"
    february = api.get("/api/v1/visits/compliance", {"month": "2025-02"}).json()
    assert [rule["tier"] for rule in february["deferred"]] == ["general"]


@pytest.mark.parametrize(
    ("persona", "people_seen"),
    [("sales1", {"sales1"}), ("manager2", {"sales3"}), ("nobody", set()),
     ("finance", {"sales1", "sales2", "sales3"})],
)  # fmt: skip
def test_it_scopes_the_compliance_report(people, quarter, api_for, persona, people_seen):
    body = api_for(getattr(people, persona)).get("/api/v1/visits/compliance?month=2025-03").json()

    assert {row["salesperson"] for row in body["rows"]} == people_seen


def test_it_refuses_a_malformed_month(people, api_for):
    response = api_for(people.manager1).get("/api/v1/visits/compliance", {"month": "March"})

    assert response.status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/visits"),
        ("get", "/api/v1/visits/1"),
        ("post", "/api/v1/visits"),
        ("get", "/api/v1/commitments"),
        ("post", "/api/v1/commitments/1/done"),
        ("get", "/api/v1/visits/compliance"),
    ],
)
def test_it_answers_401_without_credentials(db, method, path):
    response = getattr(Client(), method)(path, {}, content_type="application/json")

    assert response.status_code == 401
