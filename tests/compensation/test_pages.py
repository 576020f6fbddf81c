"""Compensation pages: statements (list, detail with every input, PDF, xlsx), finalising,
and expense advances; scoped like everything else."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from salesdesk.compensation.models import Advance, MonthClose
from tests.compensation.helpers import D, invoice, pay, project_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(people):
    one = project_of(people.sales1, code="A1")
    invoice(one, "I1", D(2026, 1, 5), "100000.00", D(2026, 2, 4))
    pay(one, "P1", D(2026, 2, 10), "100000.00")
    three = project_of(people.sales3, code="B1")
    invoice(three, "J1", D(2026, 1, 5), "1000.00", D(2026, 2, 4))
    pay(three, "Q1", D(2026, 2, 10), "1000.00")
    return one, three


def sid(person, month="2026-02"):
    return f"{month}-sp{person.pk}"


def test_a_salesperson_sees_their_statement_with_every_input(people, page_for, book):
    client = page_for(people.sales1)
    listing = client.get("/commissions/?month=2026-02").content.decode()
    assert "Sales One" in listing and "Sales Three" not in listing
    page = client.get(f"/commissions/{sid(people.sales1)}/")
    assert page.status_code == 200
    text = page.content.decode()
    for shown in ("P1", "I1", "2026-02-10", "100000.00", "2.5", "2500.00", "750.00", "1750.00"):
        assert shown in text
    assert "No issued collection task this month: no band penalty." in text
    assert client.get(f"/commissions/{sid(people.sales3)}/").status_code == 404
    assert client.get(f"/commissions/{sid(people.sales3)}.pdf").status_code == 404
    assert client.get("/commissions/nonsense/").status_code == 404


def test_the_statement_prints_as_pdf_and_xlsx(people, page_for, book):
    client = page_for(people.sales1)
    pdf = client.get(f"/commissions/{sid(people.sales1)}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    xlsx = client.get(f"/commissions/{sid(people.sales1)}.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [cell.value for cell in sheet[1]]
    first = [cell.value for cell in sheet[2]]
    assert first[header.index("Earned")] == 2500
    assert first[header.index("Rate %")] == 2.5
    assert first[header.index("Payment")] == "P1"


def test_the_statement_page_speaks_chinese(people, client_for, book):
    client = client_for(people.sales1)
    page = client.get(f"/commissions/{sid(people.sales1)}/", headers={"Accept-Language": "zh-CN"})
    assert "提成" in page.content.decode()


def test_finance_finalises_from_the_page_and_others_may_not(people, page_for, book):
    today = dt.date.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    data = {"month": f"{last_month:%Y-%m}"}
    assert page_for(people.sales1).post("/commissions/finalise/", data).status_code == 403
    listing = page_for(people.finance).get(f"/commissions/?month={last_month:%Y-%m}")
    assert "Finalise the month" in listing.content.decode()
    done = page_for(people.finance).post("/commissions/finalise/", data)
    assert done.status_code == 302
    assert MonthClose.objects.filter(month=last_month).exists()


def test_advances_are_asked_approved_and_paid_from_the_page(people, page_for, book):
    sales1 = page_for(people.sales1)
    asked = sales1.post("/advances/", {"project": "A1", "amount": "1000.01", "purpose": "x"})
    assert "cap 1000.00: 1% of 100000.00 collected" in asked.content.decode()
    assert (
        sales1.post("/advances/", {"project": "A1", "amount": "500", "purpose": "x"}).status_code
        == 302
    )
    advance = Advance.objects.get()
    assert sales1.post(f"/advances/{advance.pk}/approve/").status_code == 403 or (
        Advance.objects.get().status == "asked"
    )
    assert page_for(people.manager2).post(f"/advances/{advance.pk}/approve/").status_code == 404
    page_for(people.manager1).post(f"/advances/{advance.pk}/approve/")
    page_for(people.finance).post(f"/advances/{advance.pk}/pay/")
    assert Advance.objects.get().status == "paid"
    assert "500.00" in page_for(people.sales1).get("/advances/").content.decode()
    assert "500.00" not in page_for(people.sales3).get("/advances/").content.decode()
