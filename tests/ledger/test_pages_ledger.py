"""The project ledger on the project page, posting and reversing records from it, the
asset-offset workflow, and the statement (对账单) with its xlsx and PDF exports."""

import datetime as dt
import io
import re
import zlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from salesdesk.ledger import services
from salesdesk.ledger.allocation import project_balances
from salesdesk.ledger.models import AssetOffset, Delivery, Payment, PaymentReversal
from salesdesk.ledger.statement import statement_build, statement_html
from tests.factories import CustomerFactory, PlantFactory, ProductFactory, ProjectFactory
from tests.ledger.builders import post_invoice, post_payment

D = dt.date
M = Decimal


@pytest.fixture
def world(people):
    """P1 belongs to sales1 (team A), P3 to sales3 (team B); both at plant PL01."""
    plant = PlantFactory(code="PL01", name="一号站")
    ProductFactory()  # C30, the product the tests deliver
    c1 = CustomerFactory(code="C1", name="北京城建测试有限公司", owner=people.sales1)
    c3 = CustomerFactory(code="C3", name="河北测试建设有限公司", owner=people.sales3)
    return SimpleNamespace(
        plant=plant,
        p1=ProjectFactory(code="P1", customer=c1, plant=plant, name="望京工程", payment_terms_days=30),
        p3=ProjectFactory(code="P3", customer=c3, plant=plant, name="廊坊工程", payment_terms_days=30),
    )  # fmt: skip


@pytest.fixture
def history(world):
    """I1 1000 (due 01-31), paid 400 on 02-10; I2 500 on 03-01 (due 03-31), paid 600 on 03-20."""
    post_invoice(world.p1, "I1", D(2026, 1, 1), "1000.00")
    post_payment(world.p1, "R1", D(2026, 2, 10), "400.00")
    post_invoice(world.p1, "I2", D(2026, 3, 1), "500.00")
    post_payment(world.p1, "R2", D(2026, 3, 20), "600.00")
    return world


# The ledger on the project page -----------------------------------------------------


def test_it_shows_the_ledger_to_the_projects_owner(page_for, people, history):
    response = page_for(people.sales1).get("/projects/P1/?as_of=2026-03-31")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="ledger"' in html and "I1" in html and "R2" in html
    summary = response.context["ledger"].summary
    assert (summary.billed, summary.collected, summary.outstanding) == (
        M("1500.00"), M("1000.00"), M("500.00"),
    )  # fmt: skip
    assert summary.collection_ratio == M("66.7")
    assert "1,500.00" in html and "66.7%" in html
    # A salesperson may apply for an asset offset, and post nothing else.
    assert "/projects/P1/offsets/new/" in html
    for action in ("invoices/new", "payments/new", "deliveries/new", "/reverse/"):
        assert action not in html


@pytest.mark.parametrize("who", ["sales3", "manager2", "sales2"])
def test_it_answers_404_for_a_project_ledger_and_statement_out_of_scope(
    page_for, people, history, who
):
    client = page_for(getattr(people, who))
    for path in (
        "/projects/P1/",
        "/projects/P1/statement/",
        "/projects/P1/statement.xlsx",
        "/projects/P1/statement.pdf",
    ):
        assert client.get(path).status_code == 404, path


def test_it_shows_the_ledger_to_the_team_manager_and_company_wide_roles(page_for, people, history):
    for who in ("manager1", "finance", "marketing", "supply", "legal", "admin"):
        assert page_for(getattr(people, who)).get("/projects/P1/").status_code == 200, who


def test_it_recomputes_everything_as_of_a_date(page_for, people, history):
    client = page_for(people.finance)
    february = client.get("/projects/P1/?as_of=2026-02-28").context
    s = february["ledger"].summary
    assert (s.billed, s.collected, s.outstanding, s.overdue) == (
        M("1000.00"), M("400.00"), M("600.00"), M("600.00"),
    )  # fmt: skip
    assert [row.invoice.number for row in february["ledger"].invoices] == ["I1"]
    assert [row.record.reference for row in february["ledger"].payments] == ["R1"]
    (row,) = february["ledger"].invoices
    assert (row.settled, row.unsettled, row.days_past_due, row.state) == (
        M("400.00"), M("600.00"), 28, "overdue",
    )  # fmt: skip

    march = client.get("/projects/P1/?as_of=2026-03-31").context["ledger"]
    assert march.summary.overdue == M("0.00")  # I2 is due on the day itself
    assert [(r.invoice.number, r.settled, r.state) for r in march.invoices] == [
        ("I1", M("1000.00"), "settled"),
        ("I2", M("0.00"), "open"),
    ]


def test_it_takes_today_when_the_as_of_date_is_missing_or_bad(page_for, people, history):
    client = page_for(people.finance)
    assert client.get("/projects/P1/").context["ledger"].as_of == dt.date.today()
    assert client.get("/projects/P1/?as_of=nonsense").context["ledger"].as_of == dt.date.today()


def test_it_shows_a_reversed_invoice_struck_through_with_its_reason(page_for, people, history):
    i1 = history.p1.invoice_set.get(number="I1")
    services.record_reverse(actor=people.finance, record=i1, date=D(2026, 2, 15), reason="开错金额")
    client = page_for(people.finance)

    after = client.get("/projects/P1/?as_of=2026-02-20")
    (row,) = after.context["ledger"].invoices
    assert row.state == "reversed" and row.reversal.reason == "开错金额"
    assert after.context["ledger"].summary.billed == M("0.00")
    html = after.content.decode()
    assert 'class="reversed"' in html and "开错金额" in html and "Reversed on 2026-02-15" in html

    before = client.get("/projects/P1/?as_of=2026-02-14").context["ledger"]
    assert before.invoices[0].state == "overdue"  # the reversal is not in force yet


def test_it_keeps_the_page_query_count_flat_as_records_grow(page_for, people, world):
    client = page_for(people.finance)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/projects/P1/?as_of=2026-12-31").status_code == 200
        return len(queries)

    post_invoice(world.p1, "Q1", D(2026, 1, 1), "10.00")
    post_payment(world.p1, "QP1", D(2026, 1, 2), "5.00")
    services.delivery_post(actor=None, ticket="QT1", project=world.p1, date=D(2026, 1, 1),
                           product="C30", quantity="1", unit_price="400")  # fmt: skip
    few = count()
    for n in range(2, 8):
        post_invoice(world.p1, f"Q{n}", D(2026, 1, n), "10.00")
        post_payment(world.p1, f"QP{n}", D(2026, 1, n), "5.00")
        services.delivery_post(actor=None, ticket=f"QT{n}", project=world.p1, date=D(2026, 1, n),
                               product="C30", quantity="1", unit_price="400")  # fmt: skip
    assert count() == few


# Posting and reversing --------------------------------------------------------------


def test_it_lets_only_finance_and_admin_post_payments(page_for, people, world):
    data = {"payment-reference": "BOC-1", "payment-date": "2026-03-01",
            "payment-amount": "12,500.00", "payment-method": "bank"}  # fmt: skip
    for who in ("sales1", "manager1", "supply"):
        client = page_for(getattr(people, who))
        assert client.post("/projects/P1/payments/new/", data).status_code == 403, who
        assert client.get("/projects/P1/payments/new/").status_code == 403, who
    assert not Payment.objects.exists()

    response = page_for(people.finance).post("/projects/P1/payments/new/", data)
    assert response.status_code == 302
    assert response["Location"] == "/projects/P1/#payments"
    payment = Payment.objects.get(reference="BOC-1")
    assert (payment.amount, payment.project, payment.posted_by) == (
        M("12500.00"), world.p1, people.finance,
    )  # fmt: skip


def test_it_answers_404_before_403_for_a_project_out_of_scope(page_for, people, world):
    response = page_for(people.sales3).post("/projects/P1/payments/new/", {})
    assert response.status_code == 404


def test_it_shows_the_post_forms_only_to_the_roles_that_may_post(page_for, people, world):
    def actions(user):
        html = page_for(user).get("/projects/P1/").content.decode()
        return {a for a in ("deliveries/new", "invoices/new", "payments/new") if a in html}

    assert actions(people.supply) == {"deliveries/new"}
    assert actions(people.finance) == {"deliveries/new", "invoices/new", "payments/new"}
    assert actions(people.admin) == {"deliveries/new", "invoices/new", "payments/new"}
    assert actions(people.manager1) == set()


def test_it_puts_service_errors_on_the_form(page_for, people, world):
    client = page_for(people.finance)
    data = {"payment-reference": "X-1", "payment-date": "2026-03-01",
            "payment-amount": "12,5x", "payment-method": "bank"}  # fmt: skip
    response = client.post("/projects/P1/payments/new/", data)
    assert response.status_code == 200
    assert "12,5x is not a number." in response.context["form"].errors["amount"]
    assert not Payment.objects.exists()

    post_payment(world.p1, "X-2", D(2026, 3, 1), "100.00")
    response = client.post("/projects/P1/payments/new/", data | {"payment-reference": "X-2",
                                                                  "payment-amount": "200"})  # fmt: skip
    assert response.status_code == 200
    assert "already posted with different amount" in str(
        response.context["form"].non_field_errors()
    )


def test_it_posts_an_invoice_with_the_default_due_date(page_for, people, world):
    data = {"invoice-number": "INV-9", "invoice-date": "2026-03-01", "invoice-amount": "800"}
    assert page_for(people.finance).post("/projects/P1/invoices/new/", data).status_code == 302
    assert world.p1.invoice_set.get(number="INV-9").due_date == D(2026, 3, 31)


def test_it_lets_supply_post_a_delivery_below_floor_that_then_waits_for_a_manager(
    page_for, people, world
):
    services.floor_price_set(actor=people.manager1, product="C30", price="420",
                             effective_from=D(2026, 1, 1))  # fmt: skip
    data = {"delivery-ticket": "T-1", "delivery-date": "2026-03-01", "delivery-product": "C30",
            "delivery-quantity": "12.5", "delivery-unit": "m3", "delivery-unit_price": "400"}  # fmt: skip
    client = page_for(people.supply)
    assert client.post("/projects/P1/deliveries/new/", data).status_code == 302
    delivery = Delivery.objects.get(ticket="T-1")
    assert (delivery.floor_price, delivery.amount, delivery.plant) == (
        M("420.00"), M("5000.00"), world.plant,
    )  # fmt: skip
    html = client.get("/projects/P1/").content.decode()
    assert "Below floor 420.00" in html and "Waiting for a manager" in html


def test_it_reverses_a_record_with_a_reason_only_for_finance_and_admin(page_for, people, world):
    payment = post_payment(world.p1, "R-1", D(2026, 3, 1), "100.00")
    path = f"/projects/P1/payments/{payment.pk}/reverse/"
    for who in ("sales1", "manager1", "supply"):
        assert page_for(getattr(people, who)).post(path, {}).status_code == 403, who

    client = page_for(people.finance)
    missing_reason = client.post(path, {"date": "2026-03-05", "reason": ""})
    assert missing_reason.status_code == 200 and missing_reason.context["form"].errors["reason"]
    assert client.post(path, {"date": "2026-03-05", "reason": "退票"}).status_code == 302
    reversal = PaymentReversal.objects.get(payment=payment)
    assert (reversal.date, reversal.reason, reversal.reversed_by) == (
        D(2026, 3, 5), "退票", people.finance,
    )  # fmt: skip
    again = client.post(path, {"date": "2026-03-06", "reason": "again"})
    assert again.status_code == 200 and "already reversed" in again.content.decode()


def test_it_answers_404_for_a_record_of_another_project_or_kind(page_for, people, world):
    other = post_payment(world.p3, "R-3", D(2026, 3, 1), "100.00")
    client = page_for(people.finance)
    assert client.post(f"/projects/P1/payments/{other.pk}/reverse/", {}).status_code == 404
    assert client.post(f"/projects/P3/offsets/{other.pk}/reverse/", {}).status_code == 404


# Asset offsets --------------------------------------------------------------------------


def _offset_steps(offset):
    return [(step.step, step.actor.username) for step in offset.steps.select_related("actor")]


def test_it_runs_the_asset_offset_workflow_each_step_by_its_role(page_for, people, world):
    apply = {"offset-items": "螺纹钢 40 吨", "offset-claimed_value": "180,000.00"}
    for who in ("finance", "supply", "marketing"):
        assert (
            page_for(getattr(people, who)).post("/projects/P1/offsets/new/", apply).status_code
            == 403
        )
    assert page_for(people.sales1).post("/projects/P1/offsets/new/", apply).status_code == 302
    offset = AssetOffset.objects.get(project=world.p1)
    base = f"/projects/P1/offsets/{offset.pk}"

    appraise = {"appraised_value": "165000", "note": "九折"}
    for who in ("sales1", "supply", "manager1"):
        assert page_for(getattr(people, who)).post(f"{base}/appraise/", appraise).status_code == 403
    assert page_for(people.finance).post(f"{base}/appraise/", appraise).status_code == 302

    accept = {"date": "2026-03-10", "note": "已入库"}
    for who in ("sales1", "finance", "manager1"):
        assert page_for(getattr(people, who)).post(f"{base}/accept/", accept).status_code == 403
    assert page_for(people.supply).post(f"{base}/accept/", accept).status_code == 302

    offset.refresh_from_db()
    assert offset.status == "posted"
    assert (offset.payment.amount, offset.payment.method, offset.payment.date) == (
        M("165000.00"), "offset", D(2026, 3, 10),
    )  # fmt: skip
    assert _offset_steps(offset) == [
        ("apply", "sales1"), ("appraise", "finance"), ("accept", "supply"),
    ]  # fmt: skip
    html = page_for(people.sales1).get("/projects/P1/").content.decode()
    for text in (
        "螺纹钢 40 吨",
        "九折",
        "已入库",
        "Applied",
        "Appraised",
        "Accepted",
        "165,000.00",
    ):
        assert text in html


def test_it_lets_only_the_role_whose_step_it_is_reject_an_offset(page_for, people, world):
    waiting_appraisal = services.offset_apply(actor=people.sales1, project=world.p1,
                                              items="装载机", claimed_value="90000")  # fmt: skip
    path = f"/projects/P1/offsets/{waiting_appraisal.pk}/reject/"
    assert page_for(people.supply).post(path, {"reason": "no"}).status_code == 403
    assert page_for(people.sales1).post(path, {"reason": "no"}).status_code == 403
    no_reason = page_for(people.finance).post(path, {"reason": ""})
    assert no_reason.status_code == 200 and no_reason.context["form"].errors["reason"]
    assert page_for(people.finance).post(path, {"reason": "产权不清"}).status_code == 302
    waiting_appraisal.refresh_from_db()
    assert waiting_appraisal.status == "rejected"

    waiting_supply = services.offset_apply(actor=people.sales1, project=world.p1,
                                           items="水泥", claimed_value="60000")  # fmt: skip
    services.offset_appraise(actor=people.finance, offset=waiting_supply, appraised_value="50000")
    path = f"/projects/P1/offsets/{waiting_supply.pk}/reject/"
    assert page_for(people.finance).post(path, {"reason": "no"}).status_code == 403
    assert page_for(people.supply).post(path, {"reason": "货不对板"}).status_code == 302
    assert _offset_steps(waiting_supply)[-1] == ("reject", "supply")


def test_it_shows_each_offset_action_only_to_the_role_whose_step_it_is(page_for, people, world):
    offset = services.offset_apply(actor=people.sales1, project=world.p1, items="钢材",
                                   claimed_value="1000")  # fmt: skip
    appraise = f"/projects/P1/offsets/{offset.pk}/appraise/"
    accept = f"/projects/P1/offsets/{offset.pk}/accept/"

    def page(user):
        return page_for(user).get("/projects/P1/").content.decode()

    assert appraise in page(people.finance) and accept not in page(people.finance)
    assert appraise not in page(people.supply) and appraise not in page(people.sales1)
    services.offset_appraise(actor=people.finance, offset=offset, appraised_value="900")
    assert accept in page(people.supply) and appraise not in page(people.finance)
    assert accept not in page(people.sales1)
    assert appraise in page(people.admin) or accept in page(people.admin)


def test_it_answers_404_for_offsets_of_a_project_out_of_scope(page_for, people, world):
    apply = {"offset-items": "钢材", "offset-claimed_value": "1000"}
    assert page_for(people.sales3).post("/projects/P1/offsets/new/", apply).status_code == 404
    offset = services.offset_apply(actor=people.sales1, project=world.p1, items="钢材",
                                   claimed_value="1000")  # fmt: skip
    assert page_for(people.finance).post(f"/projects/P3/offsets/{offset.pk}/appraise/",
                                         {"appraised_value": "1"}).status_code == 404  # fmt: skip


# Statement (对账单) ----------------------------------------------------------------------


@pytest.fixture
def statement_history(people, world):
    """Worked by hand, for 2026-02-01 .. 2026-03-31:
    opening = I1 1000 − R1 300 = 700
    02-03 I2 +500 → 1200; 02-10 R2 −200 → 1000; 02-15 R2 reversed +200 → 1200;
    03-01 I3 +250 → 1450; 03-10 R3 −1000 → 450 = closing. Later records are left out."""
    post_invoice(world.p1, "I1", D(2026, 1, 5), "1000.00")
    post_payment(world.p1, "R1", D(2026, 1, 20), "300.00")
    post_invoice(world.p1, "I2", D(2026, 2, 3), "500.00")
    r2 = post_payment(world.p1, "R2", D(2026, 2, 10), "200.00", method="bill")
    services.record_reverse(actor=people.finance, record=r2, date=D(2026, 2, 15), reason="退票")
    post_invoice(world.p1, "I3", D(2026, 3, 1), "250.00")
    post_payment(world.p1, "R3", D(2026, 3, 10), "1000.00")
    post_invoice(world.p1, "I4", D(2026, 4, 2), "999.00")
    return world


EXPECTED_LINES = [
    (D(2026, 2, 3), "invoice", "I2", M("500.00"), M("0.00"), M("1200.00")),
    (D(2026, 2, 10), "payment", "R2", M("0.00"), M("200.00"), M("1000.00")),
    (D(2026, 2, 15), "payment_reversal", "R2", M("200.00"), M("0.00"), M("1200.00")),
    (D(2026, 3, 1), "invoice", "I3", M("250.00"), M("0.00"), M("1450.00")),
    (D(2026, 3, 10), "payment", "R3", M("0.00"), M("1000.00"), M("450.00")),
]
PERIOD = "from=2026-02-01&to=2026-03-31"


def test_it_builds_the_statement_with_a_running_balance(page_for, people, statement_history):
    response = page_for(people.sales1).get(f"/projects/P1/statement/?{PERIOD}")
    assert response.status_code == 200
    statement = response.context["statement"]
    assert statement.opening == M("700.00")
    assert [
        (line.date, line.kind, line.reference, line.debit, line.credit, line.balance)
        for line in statement.lines
    ] == EXPECTED_LINES
    assert (statement.total_debit, statement.total_credit, statement.closing) == (
        M("950.00"), M("1200.00"), M("450.00"),
    )  # fmt: skip
    html = response.content.decode()
    assert "1,450.00" in html and "退票" in html
    assert f"/projects/P1/statement.xlsx?{PERIOD}" in html.replace("&amp;", "&")


def test_it_closes_the_statement_on_what_the_allocation_says_is_owed(people, statement_history):
    project = statement_history.p1
    for day in (D(2026, 1, 31), D(2026, 2, 12), D(2026, 2, 28), D(2026, 4, 30)):
        statement = statement_build(project=project, date_from=D(2026, 1, 1), date_to=day)
        balance = project_balances(day)[project.pk]
        assert statement.closing == balance.outstanding - balance.credit, day


def test_it_refuses_a_period_that_ends_before_it_starts(page_for, people, statement_history):
    response = page_for(people.sales1).get("/projects/P1/statement/?from=2026-03-01&to=2026-02-01")
    assert response.status_code == 200
    assert response.context["form"].errors
    statement = response.context["statement"]
    assert statement.date_from <= statement.date_to


def test_it_exports_the_statement_as_a_workbook(page_for, people, statement_history):
    from openpyxl import load_workbook

    response = page_for(people.sales1).get(f"/projects/P1/statement.xlsx?{PERIOD}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "statement-P1-20260201-20260331.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [row for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "示例建材集团有限公司"
    header = rows.index(("Date", "Type", "Reference", "Description", "Due date",
                         "Debit", "Credit", "Balance"))  # fmt: skip
    body = rows[header + 1 :]
    assert body[0][1] == "Opening balance" and M(str(body[0][7])) == M("700")
    lines = [
        (row[0].date(), row[2], M(str(row[5] or 0)), M(str(row[6] or 0)), M(str(row[7])))
        for row in body[1:6]
    ]
    assert lines == [
        (d, ref, debit, credit, bal) for d, _k, ref, debit, credit, bal in EXPECTED_LINES
    ]
    assert body[6][1] == "Total for the period"
    assert (M(str(body[6][5])), M(str(body[6][6]))) == (M("950"), M("1200"))
    assert body[7][1] == "Closing balance" and M(str(body[7][7])) == M("450")
    assert len(body) == 8


def _pdf_streams(data: bytes) -> list[bytes]:
    streams = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            streams.append(zlib.decompress(raw))
        except zlib.error:
            streams.append(raw)
    return streams


def test_it_prints_the_statement_as_a_pdf_in_which_chinese_renders(
    page_for, people, statement_history
):
    client = page_for(people.sales1)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(f"/projects/P1/statement.pdf?{PERIOD}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF") and len(data) > 10_000
    streams = b"\n".join(_pdf_streams(data))
    # The Chinese text is set in an embedded Noto CJK font, not replaced by boxes: the
    # font is embedded, and its Unicode map covers the characters of the customer's name.
    assert b"Noto-Sans-CJK-SC" in streams or b"NotoSansCJK" in streams
    for char in "北京城建测试有限公司望京工程":
        assert f"<{ord(char):04x}>".encode() in streams.lower(), char


def test_it_prints_the_letterhead_and_every_line_into_the_pdf_html(people, statement_history):
    statement = statement_build(project=statement_history.p1, date_from=D(2026, 2, 1),
                                date_to=D(2026, 3, 31))  # fmt: skip
    with translation.override("en"):
        html = statement_html(statement)
    for text in ("示例建材集团有限公司", "Example Building Materials Group Co., Ltd.",
                 "北京城建测试有限公司", "望京工程", "Noto Sans CJK SC", "size: A4",
                 "700.00", "1,450.00", "450.00", "退票"):  # fmt: skip
        assert text in html, text


def test_it_extracts_the_chinese_text_from_the_pdf(page_for, people, statement_history):
    pypdf = pytest.importorskip("pypdf")
    response = page_for(people.sales1).get(f"/projects/P1/statement.pdf?{PERIOD}")
    text = "".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    )
    for fragment in ("示例建材集团有限公司", "北京城建测试有限公司", "1,450.00", "450.00"):
        assert fragment in text
