"""The visit pages: scoped lists, logging a visit, commitments, compliance."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from salesdesk.visits.models import Visit
from salesdesk.visits.views import customer_visits_context
from tests.visits.builders import PERSONAS, VISIBLE, log

DAY = dt.date(2026, 3, 10)


def text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_shows_only_the_visits_a_user_may_see(persona, people, visits_of, page_for):
    client = page_for(getattr(people, persona))

    listed = client.get("/visits/")
    assert listed.status_code == 200
    assert {visit.customer.code for visit in listed.context["page"].items} == VISIBLE[persona]
    for code in ("S1", "S2", "K3"):
        visit = getattr(visits_of, code)
        detail = client.get(f"/visits/{visit.pk}/")
        assert detail.status_code == (200 if code in VISIBLE[persona] else 404), code
        commitments = client.get("/visits/commitments/?state=")
        assert commitments.status_code == 200
    shown = {c.visit.customer.code for c, _state, _days in commitments.context["rows"]}
    assert shown == VISIBLE[persona]


def test_it_filters_the_log_and_answers_htmx_with_the_table_only(people, book, page_for):
    log(book.K1, DAY, "order")
    log(book.G1, DAY, "no_sale")
    client = page_for(people.sales1)

    page = client.get("/visits/", {"outcome": "order"})
    partial = client.get("/visits/", {"outcome": "no_sale"}, headers={"HX-Request": "true"})

    assert [v.customer.code for v in page.context["page"].items] == ["K1"]
    assert "Log a visit" in text(page)
    assert [v.customer.code for v in partial.context["page"].items] == ["G1"]
    assert "<html" not in text(partial)


def test_it_logs_a_visit_through_the_form(people, book, page_for):
    client = page_for(people.sales1)

    chooser = client.get("/visits/new/")
    form = client.get("/visits/new/", {"customer": "K1"})
    response = client.post(
        "/visits/new/?customer=K1",
        {
            "date": "2026-03-10", "salesperson": people.sales1.pk, "project": "PK1",
            "purpose": "回访", "contacts": [book.K1_contact.pk], "outcome": "advance",
            "commitment_what": "安排试验", "commitment_contact": book.K1_contact.pk,
            "commitment_due": "2026-03-17",
        },
    )  # fmt: skip

    assert chooser.status_code == 200 and "K1 客户有限公司" in text(chooser)
    assert "K1 采购经理" in text(form)  # the customer's contacts as checkboxes
    assert "satisfaction" not in form.context["form"].fields  # asked of strategic only
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/visits/{visit.pk}/"
    assert (visit.project.code, visit.commitment.who) == ("PK1", "K1 采购经理")
    assert list(visit.contacts.all()) == [book.K1_contact]


def test_it_shows_the_missing_commitment_on_the_commitment_fields(people, book, page_for):
    response = page_for(people.sales1).post(
        "/visits/new/?customer=K1",
        {"date": "2026-03-10", "salesperson": people.sales1.pk, "outcome": "advance"},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"commitment_what", "commitment_who", "commitment_due"}
    assert not Visit.objects.exists()


def test_it_asks_for_satisfaction_at_a_strategic_customer_and_warns_without(people, book, page_for):
    client = page_for(people.sales1)

    form = client.get("/visits/new/", {"customer": "S1"})
    response = client.post(
        "/visits/new/?customer=S1",
        {"date": "2026-03-10", "salesperson": people.sales1.pk, "outcome": "continuation"},
        follow=True,
    )

    assert "satisfaction" in form.context["form"].fields
    assert "Strategic customer" in text(form)
    shown = [str(m) for m in response.context["messages"]]
    assert any("satisfaction" in m for m in shown)
    assert any("sales manager" in m for m in shown)


def test_it_points_to_the_visit_already_logged_that_day(people, book, page_for):
    first = log(book.K1, DAY, "order")

    response = page_for(people.sales1).post(
        "/visits/new/?customer=K1",
        {"date": "2026-03-10", "salesperson": people.sales1.pk, "outcome": "order"},
    )

    assert response.status_code == 200
    assert f'href="/visits/{first.pk}/"' in text(response)


@pytest.mark.parametrize(
    ("persona", "new", "form_for_k1", "edit"),
    [
        ("sales1", 200, 200, 200),
        ("sales2", 200, 404, 404),
        ("manager1", 200, 200, 200),
        ("manager2", 200, 404, 404),
        ("finance", 403, 403, 403),
        ("admin", 200, 200, 200),
        ("nobody", 403, 403, 404),
    ],
)
def test_it_lets_only_those_who_log_visits_open_the_forms(
    people, book, page_for, persona, new, form_for_k1, edit
):
    visit = log(book.K1, DAY, "order")
    client = page_for(getattr(people, persona))

    assert client.get("/visits/new/").status_code == new
    assert client.get("/visits/new/", {"customer": "K1"}).status_code == form_for_k1
    assert client.get(f"/visits/{visit.pk}/edit/").status_code == edit


def test_it_edits_a_visit_and_keeps_its_commitment(people, book, page_for):
    visit = log(book.K1, DAY, "advance", notes="旧")
    client = page_for(people.sales1)

    form = client.get(f"/visits/{visit.pk}/edit/")
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update(notes="新", date="2026-03-10", commitment_due="2026-03-24")
    response = client.post(f"/visits/{visit.pk}/edit/", data)

    assert response.status_code == 302, response.context["form"].errors
    visit.refresh_from_db()
    assert visit.notes == "新"
    assert (visit.commitment.what, visit.commitment.due) == ("试用样品", dt.date(2026, 3, 24))


def test_it_marks_a_commitment_done_from_the_list(people, visits_of, page_for):
    client = page_for(people.sales1)
    commitment = visits_of.S1.commitment

    overdue = client.get("/visits/commitments/")  # those not done yet, by default
    response = client.post(
        f"/visits/commitments/{commitment.pk}/done/",
        {"note": "已试验", "next": "/visits/commitments/"},
    )

    assert [c.pk for c, _s, _d in overdue.context["rows"]] == [commitment.pk]
    assert response.status_code == 302 and response["Location"] == "/visits/commitments/"
    commitment.refresh_from_db()
    assert commitment.done_on == visits_of.today and commitment.done_by == people.sales1
    assert client.get("/visits/commitments/").context["rows"] == []


@pytest.mark.parametrize(("persona", "status"), [("finance", 403), ("sales2", 404)])
def test_it_refuses_to_mark_done_a_commitment_out_of_reach(
    people, visits_of, page_for, persona, status
):
    commitment = visits_of.S1.commitment

    response = page_for(getattr(people, persona)).post(f"/visits/commitments/{commitment.pk}/done/")

    assert response.status_code == status
    commitment.refresh_from_db()
    assert commitment.done_on is None


def test_it_ignores_a_foreign_next_address(people, visits_of, page_for):
    commitment = visits_of.S1.commitment

    response = page_for(people.sales1).post(
        f"/visits/commitments/{commitment.pk}/done/", {"next": "https://evil.example/"}
    )

    assert response["Location"] == f"/visits/{visits_of.S1.pk}/"


def test_it_shows_the_compliance_page_for_a_month(people, quarter, page_for):
    response = page_for(people.manager1).get("/visits/compliance/", {"month": "2025-03"})

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.due, report.met) == (8, 4)
    content = text(response)
    assert "Visit compliance" in content and "42.9%" in content  # sales1: 3 of 7
    assert "S1b" in content  # listed among the customers not visited as required
    people_rows = response.context["people"]
    assert [p["label"] for p in people_rows] == ["Sales One", "Sales Two"]


@pytest.mark.parametrize(
    ("persona", "labels"),
    [("sales1", ["Sales One"]), ("manager2", ["Sales Three"]), ("nobody", []),
     ("supply", ["Sales One", "Sales Two", "Sales Three"])],
)  # fmt: skip
def test_it_scopes_the_compliance_page(people, quarter, page_for, persona, labels):
    response = page_for(getattr(people, persona)).get("/visits/compliance/?month=2025-03")

    assert response.status_code == 200
    assert [p["label"] for p in response.context["people"]] == labels


def test_it_falls_back_to_this_month_on_a_bad_or_future_month(people, page_for):
    client = page_for(people.manager1)

    bad = client.get("/visits/compliance/", {"month": "soon"}, follow=True)
    future = client.get("/visits/compliance/", {"month": "2999-01"})

    assert "YYYY-MM" in " ".join(str(m) for m in bad.context["messages"])
    assert bad.context["month"] == future.context["month"] == bad.context["current"]


def test_it_offers_the_visits_section_for_the_customer_page(people, book, page_for):
    log(book.K1, DAY, "advance")
    request = RequestFactory().get("/customers/K1/")
    request.user = people.sales1

    with translation.override("en"):
        html = render_to_string(
            "visits/_customer_visits.html",
            {"customer": book.K1, **customer_visits_context(request, book.K1)},
            request=request,
        )

    assert "/visits/new/?customer=K1" in html
    assert "试用样品" in html
    # A key customer: one visit a month, and this month has none yet.
    assert "0 of 1 required visits by the owner" in html


def test_it_offers_the_reminders_for_the_today_page(people, visits_of):
    from salesdesk.visits.reminders import visit_reminders

    request = RequestFactory().get("/")
    request.user = people.sales1
    with translation.override("en"):
        html = render_to_string(
            "visits/_today.html",
            {"visits": visit_reminders(people.sales1, visits_of.today)},
            request=request,
        )

    assert "1 commitment due" in html and "1 overdue" in html
    assert "S1 安排试验" in html
    assert "customers behind on visits" in html


def test_it_adds_visits_to_the_navigation(people, page_for):
    assert 'href="/visits/"' in text(page_for(people.sales1).get("/visits/"))
