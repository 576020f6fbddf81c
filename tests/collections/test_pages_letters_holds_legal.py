"""Collection letters (list, PDF, sent by hand), supply holds (banners, overrides, list),
legal recovery (sending a project, the office's queue), and the Today page of sales,
managers, legal and supply, with its query count pinned."""

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.collections.models import (
    DunningLetter,
    HoldOverride,
    LegalCase,
    SupplyHold,
)
from salesdesk.core.models import AuditEntry
from salesdesk.ledger import services as ledger
from salesdesk.ledger.models import Delivery
from tests.clock import TODAY
from tests.factories import CustomerFactory, PlantFactory, ProductFactory, ProjectFactory


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def overdue_project(code, customer, amount="1000.00", age=100, **fields):
    """A project with one invoice `age` days old, due 30 days after, unpaid."""
    project = ProjectFactory(code=code, customer=customer, payment_terms_days=30, **fields)
    ledger.invoice_post(
        actor=None, number=f"I-{code}", project=project, date=days_ago(age), amount=amount
    )
    return project


def letter(project, number, age, amount="1000.00", sequence=1, **fields):
    return DunningLetter.objects.create(
        project=project, sequence=sequence, number=number, issued_on=days_ago(age),
        amount=Decimal(amount), **fields,
    )  # fmt: skip


@pytest.fixture
def world(people):
    """P1 (sales1, customer C1): letters 1-3, C1 on hold since 10 days ago. P2 (sales2):
    letter 1 five days ago. P3 (sales3, manager2's team): letter 1, in legal recovery.
    P4 (sales1, customer C1 too) is overdue with no letter yet."""
    plant = PlantFactory(code="PL01", name="一号站")
    ProductFactory()  # C30, the product the tests deliver
    c1 = CustomerFactory(code="C1", name="北京城建测试有限公司", owner=people.sales1)
    c2 = CustomerFactory(code="C2", name="天津测试建设有限公司", owner=people.sales2)
    c3 = CustomerFactory(code="C3", name="河北测试建设有限公司", owner=people.sales3)
    p1 = overdue_project("P1", c1, name="望京工程", contract_no="HT-2026-001", plant=plant)
    p2 = overdue_project("P2", c2, amount="2500.50", name="滨海工程", plant=plant)
    p3 = overdue_project("P3", c3, amount="3000.00", age=250, name="廊坊工程", plant=plant)
    p4 = overdue_project("P4", c1, amount="200.00", name="望京二期", plant=plant)
    l1 = [letter(p1, n, age) for n, age in ((1, 55), (2, 40), (3, 25))]
    hold = SupplyHold.objects.create(
        customer=c1, since=days_ago(10), trigger=l1[-1], reason="letter 3 of project P1"
    )
    l2 = letter(p2, 1, 5, amount="2500.50")
    l3 = letter(p3, 1, 100, amount="3000.00")
    case = LegalCase.objects.create(
        project=p3, opened_on=days_ago(3), reason="overdue", overdue=Decimal("3000.00"),
        previous_status="active", note="oldest unsettled invoice more than 180 days past due",
    )  # fmt: skip
    p3.status = "legal"
    p3.save(update_fields=["status"])
    return SimpleNamespace(
        plant=plant, c1=c1, c2=c2, c3=c3, p1=p1, p2=p2, p3=p3, p4=p4, l1=l1, l2=l2, l3=l3,
        hold=hold, case=case,
    )  # fmt: skip


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def pdf_text(response) -> str:
    pypdf = pytest.importorskip("pypdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


# Letters ----------------------------------------------------------------------------


def codes(response):
    return [letter.project.code for letter in response.context["page"].items]


def test_it_lists_letters_newest_first_scoped_to_the_user(page_for, people, world):
    assert codes(page_for(people.sales1).get("/collections/letters/")) == ["P1", "P1", "P1"]
    assert codes(page_for(people.manager1).get("/collections/letters/")) == [
        "P2", "P1", "P1", "P1",
    ]  # fmt: skip
    assert codes(page_for(people.manager2).get("/collections/letters/")) == ["P3"]
    for who in ("finance", "marketing", "legal", "supply", "admin"):
        assert len(codes(page_for(getattr(people, who)).get("/collections/letters/"))) == 5


def test_it_refuses_the_letters_page_to_a_user_without_a_role(page_for, people, world):
    assert page_for(people.nobody).get("/collections/letters/").status_code == 403


def test_it_filters_letters_by_date_and_by_project_or_customer(page_for, people, world):
    client = page_for(people.admin)
    since = days_ago(30).isoformat()

    assert codes(client.get(f"/collections/letters/?date_from={since}")) == ["P2", "P1"]
    assert codes(client.get("/collections/letters/?q=河北")) == ["P3"]
    assert codes(client.get("/collections/letters/?q=望京")) == ["P1", "P1", "P1"]
    response = client.get(f"/collections/letters/?date_from={since}&date_to={days_ago(40)}")
    assert "The period must start before it ends." in response.content.decode()


def test_it_prints_a_letter_in_chinese_then_english(page_for, people, world):
    response = page_for(people.sales1).get(f"/collections/letters/{world.l1[2].pk}.pdf")

    text = pdf_text(response)
    pypdf = pytest.importorskip("pypdf")
    assert len(pypdf.PdfReader(io.BytesIO(response.content)).pages) == 2
    for expected in ("北京城建测试有限公司", "望京工程", "P1", "HT-2026-001", "1,000.00",
                     "壹仟元整", "P1-1-3", f"{days_ago(25):%Y-%m-%d}"):  # fmt: skip
        assert expected in text
    assert "Collection letter No. 3" in text


def test_it_prints_one_language_on_request(page_for, people, world):
    client = page_for(people.sales1)
    english = pdf_text(client.get(f"/collections/letters/{world.l1[0].pk}.pdf?lang=en"))

    assert "Collection letter No. 1" in english
    assert "壹仟元整" not in english  # the amount in words is the Chinese letter's
    assert client.get(f"/collections/letters/{world.l1[0].pk}.pdf?lang=fr").status_code == 404


def test_it_warns_of_the_supply_hold_in_the_last_letter_only(page_for, people, world):
    client = page_for(people.sales1)
    last = pdf_text(client.get(f"/collections/letters/{world.l1[2].pk}.pdf?lang=en"))
    first = pdf_text(client.get(f"/collections/letters/{world.l1[0].pk}.pdf?lang=en"))

    assert "suspend supply" in last and "15 days" in last
    assert "suspend supply" not in first


@pytest.mark.parametrize(("who", "status"), [("sales2", 404), ("manager2", 404), ("nobody", 403)])
def test_it_refuses_letter_pdfs_out_of_scope(page_for, people, world, who, status):
    response = page_for(getattr(people, who)).get(f"/collections/letters/{world.l1[0].pk}.pdf")
    assert response.status_code == status


def test_it_lists_the_letters_on_the_project_page_with_their_pdfs(page_for, people, world):
    response = page_for(people.sales1).get("/projects/P1/")
    page = response.content.decode()

    assert [x.number for x in response.context["project_letters"]] == [3, 2, 1]
    for sent in world.l1:
        assert f"/collections/letters/{sent.pk}.pdf" in page
    assert "Send letter now" not in page


def test_it_lets_a_manager_send_the_next_letter_by_hand(page_for, people, world):
    client = page_for(people.manager1)
    assert "Send letter now" in client.get("/projects/P4/").content.decode()

    response = client.post("/projects/P4/letters/send/", follow=True)

    sent = DunningLetter.objects.get(project=world.p4)
    assert (sent.number, sent.issued_on, sent.amount, sent.issued_by) == (
        1, TODAY, Decimal("200.00"), people.manager1,
    )  # fmt: skip
    assert "Collection letter No. 1 issued: overdue 200.00." in messages_of(response)
    assert AuditEntry.objects.filter(action="letter", object_id=str(world.p4.pk)).exists()


def test_it_shows_why_a_letter_cannot_be_sent_by_hand(page_for, people, world):
    client = page_for(people.admin)

    twice = [client.post("/projects/P4/letters/send/", follow=True) for _ in range(2)]
    after_last = client.post("/projects/P1/letters/send/", follow=True)

    assert "This project already had a letter today." in messages_of(twice[1])
    assert "The last letter of this sequence was sent; the supply hold comes next." in messages_of(
        after_last
    )
    assert DunningLetter.objects.filter(project=world.p4).count() == 1


@pytest.mark.parametrize("who", ["sales1", "finance", "marketing", "legal", "supply"])
def test_it_refuses_sending_letters_by_hand_to_non_supervisors(client_for, people, world, who):
    response = client_for(getattr(people, who)).post("/projects/P4/letters/send/")

    assert response.status_code == 403
    assert not DunningLetter.objects.filter(project=world.p4).exists()


def test_it_answers_404_for_a_project_the_manager_does_not_see(client_for, people, world):
    assert client_for(people.manager2).post("/projects/P4/letters/send/").status_code == 404


# Supply holds -----------------------------------------------------------------------

BANNER = "is on supply hold since"


def test_it_shows_the_hold_banner_on_the_customer_project_and_delivery_pages(
    page_for, people, world
):
    expected = f"北京城建测试有限公司 {BANNER} {days_ago(10):%Y-%m-%d}"
    for who, path in (("sales1", "/customers/C1/"), ("sales1", "/projects/P1/"),
                      ("manager1", "/projects/P4/"), ("supply", "/projects/P4/deliveries/new/")):  # fmt: skip
        assert expected in page_for(getattr(people, who)).get(path).content.decode(), path
    # on the project page of the supply department, inside the delivery form too
    supply_page = page_for(people.supply).get("/projects/P4/").content.decode()
    delivery_form = supply_page[supply_page.index('id="deliveries"') :]
    assert expected in delivery_form
    assert BANNER not in page_for(people.sales2).get("/projects/P2/").content.decode()


def test_it_refuses_a_delivery_to_a_held_customer_with_the_reason(page_for, people, world):
    response = page_for(people.supply).post(
        "/projects/P4/deliveries/new/",
        {"delivery-ticket": "T-1", "delivery-date": TODAY.isoformat(), "delivery-product": "C30",
         "delivery-quantity": "10", "delivery-unit": "m3", "delivery-unit_price": "400"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "Customer C1 is on supply hold since" in response.content.decode()
    assert not Delivery.objects.exists()


def test_it_lets_a_supervisor_override_the_hold_for_one_delivery(page_for, people, world):
    manager = page_for(people.manager1)
    assert "Let one delivery through" in manager.get("/projects/P4/").content.decode()

    response = manager.post(
        "/projects/P4/hold-override/", {"override-reason": "最后一车，客户已承诺付款"}, follow=True
    )

    override = HoldOverride.objects.get()
    assert (override.project, override.granted_by, override.hold) == (
        world.p4, people.manager1, world.hold,
    )  # fmt: skip
    assert "Override granted" in messages_of(response)[0]
    assert AuditEntry.objects.filter(action="hold_override").exists()

    supply = page_for(people.supply)

    def deliver(ticket):
        return supply.post(
            "/projects/P4/deliveries/new/",
            {"delivery-ticket": ticket, "delivery-date": TODAY.isoformat(),
             "delivery-product": "C30", "delivery-quantity": "10", "delivery-unit": "m3",
             "delivery-unit_price": "400"},
        )  # fmt: skip

    assert deliver("T-1").status_code == 302
    assert deliver("T-2").status_code == 200  # the override is used up
    assert list(Delivery.objects.values_list("ticket", flat=True)) == ["T-1"]
    page = manager.get("/projects/P4/").content.decode()
    assert "最后一车，客户已承诺付款" in page and "delivery T-1 on" in page


def test_it_requires_a_reason_for_an_override(page_for, people, world):
    response = page_for(people.admin).post("/projects/P4/hold-override/", {"override-reason": " "})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not HoldOverride.objects.exists()


def test_it_refuses_an_override_when_the_customer_is_not_on_hold(page_for, people, world):
    response = page_for(people.manager1).post(
        "/projects/P2/hold-override/", {"override-reason": "urgent"}
    )

    assert "The customer is not on supply hold." in response.content.decode()
    assert not HoldOverride.objects.exists()


@pytest.mark.parametrize("who", ["sales1", "finance", "supply", "legal"])
def test_it_refuses_overrides_to_non_supervisors(client_for, people, world, who):
    client = client_for(getattr(people, who))
    assert client.post("/projects/P4/hold-override/", {"override-reason": "x"}).status_code == 403
    assert not HoldOverride.objects.exists()


def test_it_lists_holds_current_and_past_scoped_by_customer(page_for, people, world):
    ledger.payment_post(
        actor=None, reference="R-C2", project=world.p2, date=days_ago(1), amount="2500.50"
    )
    past = SupplyHold.objects.create(
        customer=world.c2, since=days_ago(30), released_on=days_ago(1), trigger=world.l2,
        reason="old",
    )  # fmt: skip

    def listed(who, state=""):
        response = page_for(getattr(people, who)).get(f"/collections/holds/?state={state}")
        assert response.status_code == 200
        return [h.pk for h in response.context["page"].items]

    assert listed("supply") == [world.hold.pk]
    assert listed("supply", "past") == [past.pk]
    assert listed("supply", "all") == [world.hold.pk, past.pk]
    assert listed("sales1", "all") == [world.hold.pk]
    assert listed("sales3", "all") == []
    assert page_for(people.nobody).get("/collections/holds/").status_code == 403


def test_it_releases_the_banner_the_moment_the_overdue_amount_reaches_zero(page_for, people, world):
    ledger.payment_post(
        actor=None, reference="R-C1", project=world.p1, date=TODAY, amount="1000.00"
    )
    ledger.payment_post(
        actor=None, reference="R-C1b", project=world.p4, date=TODAY, amount="200.00"
    )

    assert BANNER not in page_for(people.sales1).get("/customers/C1/").content.decode()
    world.hold.refresh_from_db()
    assert world.hold.released_on == TODAY


# Legal recovery ---------------------------------------------------------------------


def test_it_lets_a_manager_send_a_project_to_legal_recovery(page_for, people, world):
    client = page_for(people.manager1)
    assert "Send to legal recovery" in client.get("/projects/P2/").content.decode()

    response = client.post("/projects/P2/legal/", {"legal-note": "客户失联"}, follow=True)

    world.p2.refresh_from_db()
    case = LegalCase.objects.get(project=world.p2)
    assert (world.p2.status, case.reason, case.opened_by, case.note) == (
        "legal", "manager", people.manager1, "客户失联",
    )  # fmt: skip
    assert case.overdue == Decimal("2500.50")
    assert "Project P2 sent to the legal office." in messages_of(response)
    page = response.content.decode()
    assert f"With the legal office since {TODAY:%Y-%m-%d}" in page
    assert "Send letter now" not in page and "Send to legal recovery" not in page
    assert AuditEntry.objects.filter(action="legal_open", object_id=str(world.p2.pk)).exists()


def test_it_requires_a_note_to_send_a_project_to_legal(page_for, people, world):
    response = page_for(people.admin).post("/projects/P2/legal/", {"legal-note": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    world.p2.refresh_from_db()
    assert world.p2.status == "active"


@pytest.mark.parametrize("who", ["sales2", "finance", "legal", "marketing"])
def test_it_refuses_sending_to_legal_to_non_supervisors(client_for, people, world, who):
    response = client_for(getattr(people, who)).post("/projects/P2/legal/", {"legal-note": "x"})

    assert response.status_code == 403
    assert not LegalCase.objects.filter(project=world.p2).exists()


def test_it_shows_the_legal_notice_on_the_project_page(page_for, people, world):
    page = page_for(people.manager2).get("/projects/P3/").content.decode()

    assert f"With the legal office since {days_ago(3):%Y-%m-%d}" in page
    assert "Overdue beyond the policy limit" in page


def test_it_lists_the_legal_queue_with_outstanding_amounts(page_for, people, world):
    response = page_for(people.legal).get("/collections/legal/")

    assert response.status_code == 200
    (case,) = response.context["page"].items
    assert (case.project.code, case.outstanding_now, case.overdue_now) == (
        "P3", Decimal("3000.00"), Decimal("3000.00"),
    )  # fmt: skip
    assert "daily cycle" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("legal", ["P3"]), ("finance", ["P3"]), ("admin", ["P3"]), ("manager2", ["P3"]),
     ("manager1", [])],
)  # fmt: skip
def test_it_shows_the_legal_queue_to_the_office_finance_and_managers(
    page_for, people, world, who, expected
):
    response = page_for(getattr(people, who)).get("/collections/legal/")
    assert [c.project.code for c in response.context["page"].items] == expected


@pytest.mark.parametrize("who", ["sales3", "marketing", "supply", "nobody"])
def test_it_refuses_the_legal_queue_to_others(page_for, people, world, who):
    assert page_for(getattr(people, who)).get("/collections/legal/").status_code == 403


# Navigation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "collections", "legal"),
    [("sales1", "/collections/tasks/", False), ("manager1", "/collections/tasks/", True),
     ("finance", "/collections/tasks/", False), ("supply", "/collections/holds/", False),
     ("legal", "/collections/tasks/", True), ("admin", "/collections/tasks/", True),
     ("nobody", None, False)],
)  # fmt: skip
def test_it_puts_collections_and_legal_in_the_navigation(page_for, people, who, collections, legal):
    items = {
        key: url
        for key, _label, url in page_for(getattr(people, who)).get("/").context["nav_items"]
    }

    assert items.get("collections") == collections
    assert ("legal" in items) == legal


# The Today page ---------------------------------------------------------------------


def test_it_shows_a_salesperson_their_overdue_projects_letters_and_tasks(page_for, people, world):
    context = page_for(people.sales1).get("/").context
    sales = context["sales"]

    assert [(r.project.code, r.overdue, r.on_hold) for r in sales["overdue_rows"]] == [
        ("P1", Decimal("1000.00"), True),
        ("P4", Decimal("200.00"), True),
    ]
    assert sales["overdue_rows"][0].last_letter.number == 3
    assert (sales["overdue_count"], sales["overdue_total"]) == (2, Decimal("1200.00"))
    assert [x.project.code for x in sales["letters"]] == ["P1"]  # 25 days ago; older ones not
    assert "signoff" not in context and "legal" not in context and "holds" not in context


def test_it_shows_a_manager_the_team_and_the_prices_waiting_for_approval(page_for, people, world):
    ledger.floor_price_set(
        actor=people.manager1, product="C30", price="500", effective_from=days_ago(30)
    )
    ledger.delivery_post(
        actor=people.supply, ticket="T-9", project=world.p2, date=TODAY, plant=world.plant,
        product="C30", quantity="10", unit="m3", unit_price="450",
    )  # fmt: skip

    context = page_for(people.manager1).get("/").context

    assert [r.project.code for r in context["sales"]["overdue_rows"]] == ["P2", "P1", "P4"]
    assert [x.project.code for x in context["sales"]["letters"]] == ["P2", "P1"]
    assert context["price_waiting"] == 1
    assert context["sales"]["team"] is True


def test_it_shows_legal_the_new_cases(page_for, people, world):
    context = page_for(people.legal).get("/").context

    assert [c.project.code for c in context["legal"]["cases"]] == ["P3"]
    assert context["legal"]["count"] == 1
    assert "sales" not in context


def test_it_shows_supply_the_customers_on_hold(page_for, people, world):
    response = page_for(people.supply).get("/")

    assert [h.customer.code for h in response.context["holds"]["holds"]] == ["C1"]
    assert "deliveries to them are refused" in response.content.decode()


def test_it_keeps_the_archive_tiles_for_everyone(page_for, people, world):
    for who in ("sales1", "finance", "nobody"):
        assert (
            "Customers in the archive" in page_for(getattr(people, who)).get("/").content.decode()
        )


def count_home_queries(client) -> int:
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return len(queries)


def more_of_everything(people, world, n: int) -> None:
    """n more overdue projects each for sales1 and sales2, with letters, held customers and
    legal cases."""
    start = LegalCase.objects.count()
    for i in range(start, start + n):
        for owner in (people.sales1, people.sales2):
            customer = CustomerFactory(owner=owner)
            project = overdue_project(f"X{owner.username}{i}", customer, amount="100.00")
            sent = letter(project, 3, 20)
            SupplyHold.objects.create(
                customer=customer, since=days_ago(2), trigger=sent, reason="x"
            )
            LegalCase.objects.create(
                project=project, opened_on=days_ago(1), reason="manager", overdue=1,
                previous_status="active",
            )  # fmt: skip


@pytest.mark.parametrize(
    ("who", "expected"),
    # session, user, roles and the 3 archive counts, then per role:
    # sales: balances, the top projects, their last letters, holds (2: the holds, the
    # ledger check of those not released), recent letters and their count, this month's tasks;
    # a manager adds the deliveries waiting for price approval and their team's late drafts;
    # legal: cases and their count; supply: the candidates, holds (2); finance: the drafts
    # waiting for them and the late drafts. Sales and managers also get visit reminders (4) and the
    # reduced-contact touches due with their count (2), the policy both need read once.
    # Commissions: sales and managers their last statement and open advances (2); finance
    # the months already finalised (1).
    [("sales1", 21), ("manager1", 23), ("legal", 8), ("supply", 9), ("finance", 9)],
)
def test_it_renders_the_today_page_in_a_constant_number_of_queries(
    page_for, people, world, who, expected
):
    client = page_for(getattr(people, who))
    more_of_everything(people, world, 6)
    few = count_home_queries(client)
    more_of_everything(people, world, 12)
    many = count_home_queries(client)

    assert few == many == expected
