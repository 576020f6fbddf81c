"""Pipeline pages: scoped reads (404 for others' opportunities), 403 for changes a role may
not make, the forms and actions, the kanban's htmx moves and the risk form's preview."""

import datetime as dt

import pytest

from salesdesk.pipeline import services
from salesdesk.pipeline.models import FabProduct, Opportunity, OpportunityTouch
from tests.clock import TODAY


@pytest.fixture
def deals(customers, make):
    return {
        "o1": make("O1", customers.c1, score=(4,), close_in=30, name="一号站供货"),
        "o2": make("O2", customers.c2, score=(2,), close_in=30, name="二号站供货"),
        "om1": make("OM1", customers.cm1, score=None, name="经理的商机"),
    }


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


READ_PAGES = ["/opportunities/", "/pipeline/kanban/", "/pipeline/board/",
              "/pipeline/conversion/", "/pipeline/fab/"]  # fmt: skip
DETAIL_PAGES = ["/opportunities/O1/"]
EDIT_PAGES = ["/opportunities/O1/edit/", "/opportunities/O1/qualification/",
              "/opportunities/O1/questions/", "/opportunities/O1/risk/",
              "/opportunities/O1/touch/", "/opportunities/O1/win/", "/opportunities/O1/lose/",
              "/opportunities/O1/abandon/"]  # fmt: skip


@pytest.mark.parametrize("path", READ_PAGES)
@pytest.mark.parametrize("persona", ["sales1", "manager1", "finance", "marketing", "admin"])
def test_it_shows_the_pipeline_pages_to_every_role(people, deals, page_for, path, persona):
    assert page_for(getattr(people, persona)).get(path).status_code == 200


@pytest.mark.parametrize("path", READ_PAGES + DETAIL_PAGES)
def test_it_sends_anonymous_visitors_to_sign_in(deals, client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_lists_only_the_users_own_opportunities(people, deals, page_for):
    mine = text(page_for(people.sales1).get("/opportunities/"))
    team = text(page_for(people.manager1).get("/opportunities/"))

    assert "一号站供货" in mine and "二号站供货" not in mine and "经理的商机" not in mine
    assert all(name in team for name in ("一号站供货", "二号站供货", "经理的商机"))


@pytest.mark.parametrize("path", DETAIL_PAGES + EDIT_PAGES)
def test_it_answers_404_for_another_salespersons_opportunity(people, deals, page_for, path):
    assert page_for(people.sales2).get(path).status_code == 404


@pytest.mark.parametrize("path", EDIT_PAGES)
@pytest.mark.parametrize("persona", ["finance", "marketing"])
def test_it_refuses_changes_to_read_only_roles(people, deals, page_for, path, persona):
    client = page_for(getattr(people, persona))

    assert client.get("/opportunities/O1/").status_code == 200
    assert client.get(path).status_code == 403
    assert client.post(path, {"reason": "x"}).status_code == 403


@pytest.mark.parametrize("persona", ["sales1", "manager1", "admin"])
def test_it_lets_owner_manager_and_admin_open_the_edit_pages(people, deals, page_for, persona):
    client = page_for(getattr(people, persona))
    for path in EDIT_PAGES:
        assert client.get(path).status_code == 200, path


def test_it_creates_an_opportunity_through_the_form(people, customers, page_for):
    client = page_for(people.sales1)
    assert "C1 测试客户有限公司" in text(client.get("/opportunities/new/?customer=C1"))

    response = client.post("/opportunities/new/", {
        "customer": "C1", "name": "三期主体", "stage": "proposal", "value": "880000",
        "expected_close": "2030-03-31", "competitors": "华新", "spec_in_tender": "on",
    })  # fmt: skip

    assert response.status_code == 302
    opportunity = Opportunity.objects.get(name="三期主体")
    assert response["Location"] == f"/opportunities/{opportunity.code}/"
    assert (opportunity.owner, opportunity.stage, opportunity.spec_in_tender) == (
        people.sales1, "proposal", True,
    )  # fmt: skip


def test_it_refuses_the_new_opportunity_form_to_read_only_roles(people, customers, page_for):
    assert page_for(people.finance).get("/opportunities/new/").status_code == 403


def test_it_saves_the_risk_form_and_shows_the_score(people, deals, page_for):
    client = page_for(people.sales1)
    data = {f"f{n}": "5" for n in range(1, 8)} | {"notes": "样板工程"}

    assert client.post("/opportunities/O1/risk/", data).status_code == 302

    page = text(client.get("/opportunities/O1/"))
    assert "100.0" in page and "Passed screening" in page
    assert Opportunity.objects.get(code="O1").risk_notes == "样板工程"


def test_it_previews_the_score_as_factors_are_clicked(people, deals, page_for):
    client = page_for(people.sales1)

    partial = text(client.post("/opportunities/O1/risk/preview/", {"f1": "3", "f2": "3"}))
    assert "2 of 7 factors scored" in partial
    full = text(client.post("/opportunities/O1/risk/preview/", {f"f{n}": "3" for n in range(1, 8)}))
    assert "50.0" in full and "Fails screening" in full
    assert Opportunity.objects.get(code="O1").f1 == 4  # a preview saves nothing


def test_it_records_qualification_and_questions_through_the_guided_forms(people, deals, page_for):
    client = page_for(people.sales1)

    client.post("/opportunities/O1/qualification/", {
        "need": "true", "need_evidence": "招标文件", "budget": "false", "decision_maker_known": "unknown",
    })  # fmt: skip
    client.post("/opportunities/O1/questions/", {"is_real": "true", "next_steps": "送样"})

    stored = Opportunity.objects.get(code="O1")
    assert (stored.need, stored.budget, stored.decision_maker_known) == (True, False, None)
    assert stored.need_evidence == "招标文件"
    assert stored.is_real is True and stored.next_steps == "送样"


def test_it_needs_a_reason_to_mark_won_on_the_action_page(people, deals, page_for):
    client = page_for(people.sales1)

    assert client.post("/opportunities/O1/win/", {"reason": ""}).status_code == 200
    assert Opportunity.objects.get(code="O1").stage == "lead"
    assert client.post("/opportunities/O1/win/", {"reason": "服务好"}).status_code == 302
    assert Opportunity.objects.get(code="O1").stage == "won"
    assert client.get("/opportunities/O1/frobnicate/").status_code == 404


def test_it_reduces_contact_and_records_a_touch(people, deals, page_for):
    client = page_for(people.sales2)

    assert client.post("/opportunities/O2/reduce/", {"reason": ""}).status_code == 302
    assert "On reduced contact since" in text(client.get("/opportunities/O2/"))
    response = client.post("/opportunities/O2/touch/", {"date": TODAY.isoformat(), "note": "微信"})
    assert response.status_code == 302
    assert OpportunityTouch.objects.get().note == "微信"


def test_it_moves_a_card_on_the_kanban_with_htmx(people, deals, page_for):
    client = page_for(people.sales1)
    htmx = {"HX-Request": "true"}

    response = client.post("/opportunities/O1/stage/",
                           {"stage": "proposal", "next": "/pipeline/kanban/?q=一号"},
                           headers=htmx)  # fmt: skip
    board = text(response)
    assert 'id="board"' in board and "<html" not in board
    assert Opportunity.objects.get(code="O1").stage == "proposal"

    refused = text(client.post("/opportunities/O1/stage/", {"stage": "won"}, headers=htmx))
    assert "Say why it was won." in refused
    assert Opportunity.objects.get(code="O1").stage == "proposal"
    client.post("/opportunities/O1/stage/", {"stage": "won"}, headers=htmx | {"HX-Prompt": "价格"})
    assert Opportunity.objects.get(code="O1").closed_reason == "价格"


def test_it_moves_a_card_without_javascript(people, deals, page_for):
    response = page_for(people.sales1).post(
        "/opportunities/O1/stage/", {"stage": "negotiation", "next": "/pipeline/kanban/"}
    )
    assert response.status_code == 302 and response["Location"] == "/pipeline/kanban/"


def test_it_refuses_a_kanban_move_to_others(people, deals, page_for):
    assert page_for(people.sales2).post("/opportunities/O1/stage/",
                                        {"stage": "proposal"}).status_code == 404  # fmt: skip
    assert page_for(people.marketing).post("/opportunities/O1/stage/",
                                           {"stage": "proposal"}).status_code == 403  # fmt: skip


def test_it_shows_move_controls_only_on_cards_the_user_may_move(people, deals, page_for):
    manager = text(page_for(people.manager1).get("/pipeline/kanban/"))
    finance = text(page_for(people.finance).get("/pipeline/kanban/"))

    assert 'id="stage-O1"' in manager and 'id="stage-O2"' in manager
    assert "一号站供货" in finance and 'id="stage-O1"' not in finance


def test_it_boards_opportunities_by_class(people, deals, page_for):
    board = text(page_for(people.admin).get("/pipeline/board/"))

    a_column = board.split('id="col-A"')[1].split('id="col-B"')[0]
    failed = board.split('id="col-failed"')[1].split('id="col-unscored"')[0]
    unscored = board.split('id="col-unscored"')[1]
    assert "一号站供货" in a_column
    assert "二号站供货" in failed and "经理的商机" in unscored


def test_it_warns_on_the_page_when_no_decision_maker_is_known(people, deals, page_for):
    assert "No decision maker is known." in text(page_for(people.sales2).get("/opportunities/O2/"))
    assert "No decision maker is known." not in text(
        page_for(people.sales1).get("/opportunities/O1/")
    )


def test_it_shows_conversion_per_lead_source(people, deals, page_for):
    page = text(page_for(people.admin).get("/pipeline/conversion/"))

    assert "Old-customer referral" in page and "Tender notice" in page


def test_it_lets_marketing_edit_fab_lines_and_refuses_salespeople(people, db, page_for):
    data = {"name": "C30 商品混凝土", "notes": "", "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0", "lines-0-feature": "双掺", "lines-0-advantage": "泵送顺畅",
            "lines-0-benefit": "工期有保障", "lines-1-feature": ""}  # fmt: skip

    assert page_for(people.sales1).get("/pipeline/fab/new/").status_code == 403
    assert page_for(people.sales1).post("/pipeline/fab/new/", data).status_code == 403
    assert page_for(people.marketing).post("/pipeline/fab/new/", data).status_code == 302
    product = FabProduct.objects.get()
    assert [line.benefit for line in product.lines.all()] == ["工期有保障"]
    assert "泵送顺畅" in text(page_for(people.sales1).get("/pipeline/fab/"))
    assert page_for(people.sales1).post(f"/pipeline/fab/{product.pk}/delete/").status_code == 403
    assert page_for(people.manager1).post(f"/pipeline/fab/{product.pk}/delete/").status_code == 302
    assert not FabProduct.objects.exists()


def test_it_filters_the_list_by_touch_due(people, deals, page_for):
    services.opportunity_reduce(
        actor=None, opportunity=deals["o2"], on=TODAY - dt.timedelta(days=95)
    )

    page = text(page_for(people.manager1).get("/opportunities/?contact=due"))

    assert "二号站供货" in page and "一号站供货" not in page
    assert "need their minimal touch" in page or "needs its minimal touch" in page


def test_it_answers_an_htmx_list_request_with_the_table_only(people, deals, page_for):
    partial = text(page_for(people.admin).get("/opportunities/?class=A",
                                              headers={"HX-Request": "true"}))  # fmt: skip

    assert "<html" not in partial and "一号站供货" in partial and "二号站供货" not in partial
