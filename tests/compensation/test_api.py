"""The compensation API, scoped like the rest: a salesperson gets 404 on another's
statement or advance, a manager sees their team, finance everyone."""

import datetime as dt

import pytest

from salesdesk.compensation.models import Advance, MonthClose
from tests.compensation.helpers import D, invoice, pay, project_of

pytestmark = pytest.mark.django_db
BASE = "/api/v1"


@pytest.fixture
def book(people):
    """sales1 (team A) and sales3 (team B) each collect on a project in February 2026."""
    one = project_of(people.sales1, code="A1")
    invoice(one, "I1", D(2026, 1, 5), "100000.00", D(2026, 2, 4))
    pay(one, "P1", D(2026, 2, 10), "100000.00")
    three = project_of(people.sales3, code="B1")
    invoice(three, "J1", D(2026, 1, 5), "1000.00", D(2026, 2, 4))
    pay(three, "Q1", D(2026, 2, 10), "1000.00")
    return one, three


def sid(person, month="2026-02"):
    return f"{month}-sp{person.pk}"


def test_a_salesperson_lists_and_reads_only_their_own_statements(people, api_for, book):
    client = api_for(people.sales1)
    listed = client.get(f"{BASE}/commission-statements?month=2026-02").json()
    assert [s["salesperson"] for s in listed] == ["sales1"]
    assert listed[0]["totals"]["payable"] == "1750.00"
    assert listed[0]["band_note"].startswith("No issued collection task")

    detail = client.get(f"{BASE}/commission-statements/{sid(people.sales1)}")
    assert detail.status_code == 200
    (line,) = detail.json()["lines"]
    assert (line["payment"], line["invoice"], line["rate"], line["earned"]) == (
        "P1", "I1", "2.5", "2500.00",
    )  # fmt: skip
    assert detail.json()["held_back_by_project"] == [{"project": "A1", "held_back": "750.00"}]

    assert client.get(f"{BASE}/commission-statements/{sid(people.sales3)}").status_code == 404
    assert client.get(f"{BASE}/commission-statements?salesperson=sales3").json() == []


def test_a_manager_sees_the_team_and_finance_everyone(people, api_for, book):
    team = api_for(people.manager1).get(f"{BASE}/commission-statements?month=2026-02").json()
    assert {s["salesperson"] for s in team} == {"sales1", "sales2"}
    assert (
        api_for(people.manager1)
        .get(f"{BASE}/commission-statements/{sid(people.sales3)}")
        .status_code
        == 404
    )
    company = api_for(people.finance).get(f"{BASE}/commission-statements?month=2026-02").json()
    assert {"sales1", "sales2", "sales3"} <= {s["salesperson"] for s in company}


@pytest.mark.parametrize("bad", ["2026-13", "junk", "2026-02-sp", "9999-01-sp1"])
def test_bad_ids_and_months_are_404_or_422_never_500(people, api_for, bad):
    client = api_for(people.finance)
    assert client.get(f"{BASE}/commission-statements/{bad}").status_code == 404
    if "sp" not in bad:
        assert client.get(f"{BASE}/commission-statements?month={bad}").status_code == 422


def test_only_finance_finalises_and_twice_is_a_no_op(people, api_for, book):
    body = {"month": "2026-02"}
    url = f"{BASE}/commission-statements/finalise"
    denied = api_for(people.sales1).post(url, body, content_type="application/json")
    assert denied.status_code == 403
    assert (
        api_for(people.manager1).post(url, body, content_type="application/json").status_code == 403
    )
    first = api_for(people.finance).post(url, body, content_type="application/json")
    again = api_for(people.finance).post(url, body, content_type="application/json")
    assert (first.status_code, first.json()["created"]) == (200, True)
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert MonthClose.objects.count() == 1
    detail = api_for(people.sales1).get(f"{BASE}/commission-statements/{sid(people.sales1)}")
    assert detail.json()["status"] == "finalised"
    not_over = api_for(people.finance).post(
        url, {"month": f"{dt.date.today():%Y-%m}"}, content_type="application/json"
    )
    assert not_over.status_code == 422


def test_advances_ask_approve_pay_with_scoping(people, api_for, book):
    sales1 = api_for(people.sales1)
    asked = sales1.post(
        f"{BASE}/advances", {"project": "A1", "amount": "1000.00", "purpose": "visits"},
        content_type="application/json",
    )  # fmt: skip
    assert asked.status_code == 201, asked.content
    advance_id = asked.json()["id"]
    assert asked.json()["cap"] == "1000.00"
    over = sales1.post(
        f"{BASE}/advances", {"project": "A1", "amount": "0.01", "purpose": "more"},
        content_type="application/json",
    )  # fmt: skip
    assert over.status_code == 422
    assert "cap 1000.00: 1% of 100000.00 collected" in over.json()["detail"][0]["message"]
    other = api_for(people.sales3).post(
        f"{BASE}/advances", {"project": "A1", "amount": "1.00", "purpose": "x"},
        content_type="application/json",
    )  # fmt: skip
    assert other.status_code == 422  # a project out of sight is no such project

    assert api_for(people.sales3).get(f"{BASE}/advances").json()["items"] == []
    assert api_for(people.manager2).post(f"{BASE}/advances/{advance_id}/approve").status_code == 404
    assert sales1.post(f"{BASE}/advances/{advance_id}/approve").status_code == 403
    approved = api_for(people.manager1).post(f"{BASE}/advances/{advance_id}/approve")
    assert approved.json()["status"] == "approved"
    assert api_for(people.manager1).post(f"{BASE}/advances/{advance_id}/pay").status_code == 403
    paid = api_for(people.finance).post(f"{BASE}/advances/{advance_id}/pay")
    assert paid.json()["status"] == "paid"
    again = api_for(people.finance).post(f"{BASE}/advances/{advance_id}/pay")
    assert again.status_code == 200
    detail = sales1.get(f"{BASE}/commission-statements/{sid(people.sales1)}").json()
    assert [a["amount"] for a in detail["open_advances"]] == ["1000.00"]
    assert Advance.objects.get().status == "paid"


def test_a_manager_rejects_with_a_reason(people, api_for, book):
    asked = api_for(people.sales1).post(
        f"{BASE}/advances", {"project": "A1", "amount": "10.00", "purpose": "visits"},
        content_type="application/json",
    )  # fmt: skip
    rejected = api_for(people.manager1).post(
        f"{BASE}/advances/{asked.json()['id']}/reject", {"reason": "no"},
        content_type="application/json",
    )  # fmt: skip
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "no")
