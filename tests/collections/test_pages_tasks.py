"""The collection tasks page (收款任务书): who sees which tasks, signing as marketing and
finance (two different people, never one's own task), the task letter PDF, and the
Today page of the people who sign."""

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest

from salesdesk.collections.models import CollectionTask, TaskDraft
from salesdesk.core.models import UserRole
from salesdesk.ledger import services as ledger
from salesdesk.lib.dates import month_start, next_month
from tests.clock import TODAY
from tests.factories import CustomerFactory, ProjectFactory

MONTH = month_start(TODAY)
M = f"{MONTH:%Y-%m}"


def task(project, target, month=MONTH, **fields):
    return CollectionTask.objects.create(
        month=month, project=project, salesperson=project.owner, target=Decimal(target),
        drafted_on=month - dt.timedelta(days=5), **fields,
    )  # fmt: skip


@pytest.fixture
def world(people):
    """This month's drafts: sales1 two projects, sales2 one (team of manager1), sales3 one
    (team of manager2). P1 has 400.00 paid this month."""
    c1 = CustomerFactory(code="C1", name="北京城建测试有限公司", owner=people.sales1)
    c2 = CustomerFactory(code="C2", name="天津测试建设有限公司", owner=people.sales2)
    c3 = CustomerFactory(code="C3", name="河北测试建设有限公司", owner=people.sales3)
    p1 = ProjectFactory(code="P1", customer=c1, name="望京工程", contract_no="HT-001")
    p1b = ProjectFactory(code="P1B", customer=c1, name="望京二期")
    p2 = ProjectFactory(code="P2", customer=c2, name="滨海工程")
    p3 = ProjectFactory(code="P3", customer=c3, name="廊坊工程")
    ledger.payment_post(
        actor=None, reference="R1", project=p1, date=MONTH, amount="400.00", method="bank"
    )
    TaskDraft.objects.create(month=MONTH, drafted_on=MONTH, count=4, total=Decimal("3500.00"))
    return SimpleNamespace(
        p1=p1, p1b=p1b, p2=p2, p3=p3,
        t1=task(p1, "1000.00"), t1b=task(p1b, "500.00"), t2=task(p2, "1200.00"),
        t3=task(p3, "800.00"),
    )  # fmt: skip


def groups(response):
    return {
        g.salesperson.username: [r.task.project.code for r in g.rows]
        for g in response.context["groups"]
    }


def sign(client, as_role, salesperson="", month=M):
    return client.post(
        "/collections/tasks/sign/",
        {"month": month, "as_role": as_role, "salesperson": salesperson},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# Who sees what ---------------------------------------------------------------------


def test_it_shows_a_salesperson_only_their_own_tasks(page_for, people, world):
    response = page_for(people.sales1).get(f"/collections/tasks/?month={M}")

    assert response.status_code == 200
    assert groups(response) == {"sales1": ["P1", "P1B"]}
    assert b"Sign as marketing" not in response.content
    assert b"Sign as finance" not in response.content


def test_it_shows_a_manager_their_teams_tasks(page_for, people, world):
    assert groups(page_for(people.manager1).get("/collections/tasks/")) == {
        "sales1": ["P1", "P1B"],
        "sales2": ["P2"],
    }
    assert groups(page_for(people.manager2).get("/collections/tasks/")) == {"sales3": ["P3"]}


@pytest.mark.parametrize("who", ["marketing", "finance", "legal", "admin"])
def test_it_shows_company_roles_every_task(page_for, people, world, who):
    response = page_for(getattr(people, who)).get("/collections/tasks/")

    assert response.status_code == 200
    assert set(groups(response)) == {"sales1", "sales2", "sales3"}


@pytest.mark.parametrize("who", ["supply", "nobody"])
def test_it_refuses_the_tasks_page_to_roles_without_tasks(page_for, people, world, who):
    assert page_for(getattr(people, who)).get("/collections/tasks/").status_code == 403


def test_it_defaults_to_the_latest_drafted_month(page_for, people, world):
    later = next_month(MONTH)
    TaskDraft.objects.create(month=later, drafted_on=MONTH, count=1, total=Decimal("9.00"))
    task(world.p2, "9.00", month=later)

    response = page_for(people.marketing).get("/collections/tasks/")

    assert response.context["month"] == later
    assert groups(response) == {"sales2": ["P2"]}


def test_it_computes_completion_per_task_and_per_salesperson(page_for, people, world):
    response = page_for(people.sales1).get(f"/collections/tasks/?month={M}")
    group = response.context["groups"][0]

    # P1: 400 collected of 1000; P1B: nothing of 500; sales1: 400 / 1500.
    assert [(r.collected, r.completion) for r in group.rows] == [
        (Decimal("400.00"), Decimal("40.0")),
        (Decimal("0.00"), Decimal("0.0")),
    ]
    assert (group.target, group.collected, group.completion) == (
        Decimal("1500.00"), Decimal("400.00"), Decimal("26.7"),
    )  # fmt: skip
    assert "26.7%" in response.content.decode()


def test_it_shows_the_assessed_figures_of_a_past_month(page_for, people, world):
    past = month_start(MONTH - dt.timedelta(days=1))
    task(world.p1, "2000.00", month=past, status="assessed", collected=Decimal("1500.00"),
         assessed_on=MONTH)  # fmt: skip

    group = (
        page_for(people.sales1).get(f"/collections/tasks/?month={past:%Y-%m}").context["groups"][0]
    )

    assert (group.collected, group.completion, group.rows[0].live) == (
        Decimal("1500.00"), Decimal("75.0"), False,
    )  # fmt: skip


def test_it_answers_a_bad_month_with_a_message_not_an_error(page_for, people, world):
    response = page_for(people.sales1).get("/collections/tasks/?month=2026-13")

    assert response.status_code == 200
    assert "Write the month as YYYY-MM." in messages_of(response)


# Signing ---------------------------------------------------------------------------


def test_it_lets_marketing_then_finance_sign_and_issues_the_tasks(client_for, people, world):
    response = sign(client_for(people.marketing), "marketing")

    assert response.status_code == 200
    assert CollectionTask.objects.filter(marketing_signed_by=people.marketing).count() == 4
    assert set(CollectionTask.objects.values_list("status", flat=True)) == {"draft"}

    sign(client_for(people.finance), "finance")

    tasks = CollectionTask.objects.all()
    assert {(t.status, t.finance_signed_by_id) for t in tasks} == {("issued", people.finance.pk)}


def test_it_signs_one_salespersons_group(page_for, people, world):
    response = sign(page_for(people.marketing), "marketing", salesperson="sales2")

    assert "1 tasks signed for marketing." in messages_of(response)
    signed = CollectionTask.objects.filter(marketing_signed_by__isnull=False)
    assert [t.project.code for t in signed] == ["P2"]


def test_it_refuses_signing_to_a_salesperson(client_for, people, world):
    assert sign(client_for(people.sales1), "marketing").status_code == 403
    assert sign(client_for(people.sales1), "finance").status_code == 403
    assert not CollectionTask.objects.filter(marketing_signed_by__isnull=False).exists()


def test_it_refuses_signing_for_the_other_department(client_for, people, world):
    assert sign(client_for(people.finance), "marketing").status_code == 403
    assert sign(client_for(people.marketing), "finance").status_code == 403


def test_it_needs_two_different_people_to_issue_a_task(page_for, people, world):
    both = people.admin  # given both departments for this test
    UserRole.objects.filter(user=both).delete()
    UserRole.objects.bulk_create(
        [UserRole(user=both, role="marketing"), UserRole(user=both, role="finance")]
    )
    client = page_for(both)
    sign(client, "marketing")

    everything = sign(client, "finance")
    one_group = sign(client, "finance", salesperson="sales1")

    assert not CollectionTask.objects.filter(finance_signed_by__isnull=False).exists()
    assert "4 tasks were left for someone else" in " ".join(messages_of(everything))
    assert "needs a second person: you signed it already" in " ".join(messages_of(one_group))
    # and the page offers no finance button for those tasks
    page = client.get(f"/collections/tasks/?month={M}")
    assert page.context["sign_all"] == [("marketing", 0), ("finance", 0)]


def test_it_never_lets_a_salesperson_with_a_marketing_role_sign_their_own_task(
    page_for, people, world
):
    UserRole.objects.create(user=people.sales1, role="marketing")
    client = page_for(people.sales1)

    own = sign(client, "marketing", salesperson="sales1")
    assert "You cannot sign your own task (P1)." in messages_of(own)
    assert not CollectionTask.objects.filter(marketing_signed_by__isnull=False).exists()

    everything = sign(client, "marketing")
    signed = CollectionTask.objects.filter(marketing_signed_by=people.sales1)
    assert sorted(t.project.code for t in signed) == ["P2", "P3"]
    assert "2 tasks were left for someone else" in " ".join(messages_of(everything))

    page = client.get(f"/collections/tasks/?month={M}")
    can_sign = {g.salesperson.username: g.can_sign for g in page.context["groups"]}
    assert can_sign["sales1"] == {"marketing": False}


def test_it_shows_the_sign_buttons_only_to_the_departments(page_for, people, world):
    marketing = page_for(people.marketing).get(f"/collections/tasks/?month={M}").content.decode()
    finance = page_for(people.finance).get(f"/collections/tasks/?month={M}").content.decode()

    assert "Sign all 4 drafts as marketing" in marketing and "Sign as finance" not in marketing
    assert "Sign all 4 drafts as finance" in finance and "Sign as marketing" not in finance


def test_it_shows_who_signed(page_for, people, world):
    sign(page_for(people.marketing), "marketing")
    sign(page_for(people.finance), "finance", salesperson="sales1")

    page = page_for(people.manager1).get(f"/collections/tasks/?month={M}").content.decode()

    assert page.count("✔ Marketing") == 3  # the personas' names
    assert page.count("✔ Finance") == 2


# The task letter (收款任务书) -----------------------------------------------------------


def pdf_text(response) -> str:
    pypdf = pytest.importorskip("pypdf")
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_it_prints_a_draft_task_letter_marked_draft(page_for, people, world):
    response = page_for(people.sales1).get(f"/collections/tasks/{M}/sales1.pdf")

    assert response.status_code == 200
    text = pdf_text(response)
    for expected in ("P1", "P1B", "望京工程", "北京城建测试有限公司", "HT-001", "1,000.00",
                     "500.00", "1,500.00", "DRAFT", "Sales One"):  # fmt: skip
        assert expected in text
    assert "P2" not in text


def test_it_prints_the_signatures_on_an_issued_task_letter(page_for, people, world):
    sign(page_for(people.marketing), "marketing")
    sign(page_for(people.finance), "finance")

    text = pdf_text(page_for(people.manager1).get(f"/collections/tasks/{M}/sales1.pdf"))

    assert "DRAFT" not in text
    assert "Marketing" in text and "Finance" in text  # who signed: the personas' names
    assert f"{TODAY:%Y-%m-%d}" in text


@pytest.mark.parametrize(
    ("who", "whose", "status"),
    [
        ("sales1", "sales2", 404),
        ("manager2", "sales1", 404),
        ("sales1", "nosuchuser", 404),
        ("supply", "sales1", 403),
        ("nobody", "sales1", 403),
    ],
)
def test_it_refuses_task_letters_out_of_scope(page_for, people, world, who, whose, status):
    assert (
        page_for(getattr(people, who)).get(f"/collections/tasks/{M}/{whose}.pdf").status_code
        == status
    )


def test_it_answers_a_task_letter_of_a_malformed_month_with_404(page_for, people, world):
    assert page_for(people.admin).get("/collections/tasks/2026-1x/sales1.pdf").status_code == 404


# The Today page of those who sign --------------------------------------------------


def test_it_shows_finance_and_marketing_the_drafts_waiting_for_them(page_for, people, world):
    sign(page_for(people.marketing), "marketing", salesperson="sales1")

    finance = page_for(people.finance).get("/").context
    marketing = page_for(people.marketing).get("/").context

    assert [(r["role"], r["month"], r["count"]) for r in finance["signoff"]] == [
        ("finance", MONTH, 4)
    ]
    assert [(r["role"], r["month"], r["count"], r["target"]) for r in marketing["signoff"]] == [
        ("marketing", MONTH, 2, Decimal("2000.00"))
    ]
    assert (
        f'href="/collections/tasks/?month={M}"'
        in page_for(people.finance).get("/").content.decode()
    )


def test_it_leaves_a_signers_own_task_out_of_their_today_page(page_for, people, world):
    UserRole.objects.create(user=people.sales1, role="finance")

    rows = page_for(people.sales1).get("/").context["signoff"]

    assert [(r["role"], r["count"]) for r in rows] == [("finance", 2)]  # P2 and P3


def test_it_shows_an_empty_month_when_nothing_was_drafted(page_for, people):
    response = page_for(people.sales1).get("/collections/tasks/")

    assert response.status_code == 200
    assert response.context["month"] == MONTH
    assert "No collection tasks for this month that you may see." in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/collections/tasks/", "/collections/letters/", "/collections/holds/", "/collections/legal/"],
)
def test_it_sends_an_anonymous_visitor_to_the_login_page(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_today_page_lists_drafts_still_unsigned_once_their_month_has_begun(
    people, world, page_for
):
    # This month's drafts are late (its month has begun); next month's are not yet.
    task(world.p1, "300.00", month=next_month(MONTH))
    world.t2.marketing_signed_by = people.marketing
    world.t2.save()

    def late(user):
        response = page_for(user).get("/")
        assert response.status_code == 200
        return [(r["month"], r["count"], r["marketing"], r["finance"])
                for r in response.context.get("late_drafts") or []]  # fmt: skip

    assert late(people.marketing) == [(MONTH, 4, 3, 4)]
    assert late(people.finance) == [(MONTH, 4, 3, 4)]
    assert late(people.manager1) == [(MONTH, 3, 2, 3)]  # sales1 and sales2
    assert late(people.manager2) == [(MONTH, 1, 1, 1)]
    assert late(people.sales1) == [] and late(people.supply) == []
    assert "Late task drafts" in page_for(people.manager1).get("/").content.decode()

    CollectionTask.objects.filter(month=MONTH).update(status="issued")
    assert late(people.marketing) == []
