"""Collections over HTTP: every endpoint refuses an anonymous caller; collection tasks,
their scoping, and the two sign-offs (marketing, then finance, by two different people,
never on one's own task).

The books are built through the ledger services and the cycle: April's tasks are drafted
by the cycle of 2026-03-25 from invoices dated 2026-03-01 (due 03-31).
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.test import Client

from salesdesk.collections.cycle import cycle_run
from salesdesk.collections.models import CollectionTask
from tests.collections.builders import get, make_book, post, sign
from tests.factories import CustomerFactory, ProjectFactory, UserFactory
from tests.ledger.builders import post_invoice, post_payment

D = dt.date


@pytest.fixture
def book(people):
    return make_book(people)


@pytest.fixture
def april(book):
    """April tasks: P1 target 1000.00, P2 500.00, P3 2000.00; in April P1 collects
    333.33 and P2 500.00."""
    post_invoice(book.p1, "I1", D(2026, 3, 1), "1000.00")
    post_invoice(book.p2, "I2", D(2026, 3, 1), "500.00")
    post_invoice(book.p3, "I3", D(2026, 3, 1), "2000.00")
    cycle_run(as_of=D(2026, 3, 25))
    post_payment(book.p1, "R1", D(2026, 4, 10), "333.33")
    post_payment(book.p2, "R2", D(2026, 4, 20), "500.00")
    book.tasks = {
        task.project.code: task
        for task in CollectionTask.objects.select_related("project").filter(month=D(2026, 4, 1))
    }
    return book


# Every endpoint refuses an anonymous caller -------------------------------------------

ENDPOINTS = [
    ("get", "/api/v1/reports/tasks?month=2026-04"),
    ("get", "/api/v1/reports/letters?as_of=2026-04-30"),
    ("get", "/api/v1/reports/holds?as_of=2026-04-30"),
    ("get", "/api/v1/collection-tasks"),
    ("get", "/api/v1/collection-tasks/1"),
    ("post", "/api/v1/collection-tasks/sign"),
    ("get", "/api/v1/letters"),
    ("get", "/api/v1/letters/1"),
    ("post", "/api/v1/projects/P1/letters"),
    ("get", "/api/v1/holds"),
    ("post", "/api/v1/projects/P1/hold-overrides"),
    ("get", "/api/v1/legal-cases"),
    ("post", "/api/v1/projects/P1/legal"),
    ("post", "/api/v1/cycle"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_it_answers_401_to_an_anonymous_caller(method, path, april):
    response = getattr(Client(), method)(path, {}, content_type="application/json")

    assert response.status_code == 401
    assert CollectionTask.objects.filter(status="draft").count() == 3


# Listing and reading tasks ------------------------------------------------------------


def test_it_lists_a_task_with_its_figures_and_sign_offs(people, april, api_for):
    body = get(api_for(people.finance), "collection-tasks?month=2026-04&project=P1").json()

    assert body["count"] == 1
    task = body["items"][0]
    assert task == {
        "id": april.tasks["P1"].pk,
        "month": "2026-04",
        "project": "P1",
        "customer": "C1",
        "salesperson": "sales1",
        "target": "1000.00",
        "status": "draft",
        "drafted_on": "2026-03-25",
        "marketing_signed_by": None,
        "marketing_signed_at": None,
        "finance_signed_by": None,
        "finance_signed_at": None,
        "collected": None,
        "completion": None,
        "assessed_on": None,
    }


def test_it_shows_the_collected_amount_and_completion_once_the_month_is_assessed(
    people, april, api_for
):
    for persona, as_role in ((people.marketing, "marketing"), (people.finance, "finance")):
        assert sign(api_for(persona), as_role).status_code == 200
    cycle_run(as_of=D(2026, 5, 1))

    task = get(api_for(people.sales1), f"collection-tasks/{april.tasks['P1'].pk}").json()

    assert task["status"] == "assessed"
    assert task["assessed_on"] == "2026-05-01"
    assert task["collected"] == "333.33"
    assert task["completion"] == "0.3333"


@pytest.mark.parametrize(
    ("persona", "projects"),
    [
        ("sales1", ["P1"]),
        ("sales2", ["P2"]),
        ("sales3", ["P3"]),
        ("manager1", ["P1", "P2"]),
        ("manager2", ["P3"]),
        ("finance", ["P1", "P2", "P3"]),
        ("marketing", ["P1", "P2", "P3"]),
        ("legal", ["P1", "P2", "P3"]),
        ("admin", ["P1", "P2", "P3"]),
        ("nobody", []),
    ],
)
def test_it_lists_only_the_tasks_the_caller_may_see(persona, projects, people, april, api_for):
    body = get(api_for(getattr(people, persona)), "collection-tasks").json()

    assert sorted(item["project"] for item in body["items"]) == projects
    assert body["count"] == len(projects)


@pytest.mark.parametrize(("persona", "project"), [("sales1", "P2"), ("sales1", "P3"), ("manager1", "P3"), ("manager2", "P1"), ("nobody", "P1")])  # fmt: skip
def test_it_answers_404_for_a_task_the_caller_may_not_see(persona, project, people, april, api_for):
    response = get(api_for(getattr(people, persona)), f"collection-tasks/{april.tasks[project].pk}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_it_answers_404_for_an_unknown_task(people, april, api_for):
    assert get(api_for(people.admin), "collection-tasks/999999").status_code == 404


def test_it_filters_tasks_by_month_salesperson_and_status(people, april, api_for):
    api = api_for(people.finance)
    cycle_run(as_of=D(2026, 4, 25))  # drafts May: P1 666.67, P3 2000.00

    def projects(query):
        body = get(api, f"collection-tasks?{query}").json()
        return [(item["month"], item["project"]) for item in body["items"]]

    assert projects("month=2026-05") == [("2026-05", "P1"), ("2026-05", "P3")]
    assert projects("salesperson=sales1") == [("2026-05", "P1"), ("2026-04", "P1")]
    assert projects("salesperson=nosuchuser") == []
    assert projects("status=issued") == []
    assert len(projects("status=draft")) == 5
    may_p1 = get(api, "collection-tasks?month=2026-05&project=P1").json()["items"][0]
    assert may_p1["target"] == "666.67"


@pytest.mark.parametrize("query", ["month=2026-13", "month=April", "month=2026-4", "status=open"])
def test_it_answers_422_for_a_bad_task_filter(query, people, april, api_for):
    response = get(api_for(people.finance), f"collection-tasks?{query}")

    assert response.status_code == 422


def test_it_does_not_widen_a_salespersons_list_by_filtering_for_another(people, april, api_for):
    body = get(api_for(people.sales1), "collection-tasks?salesperson=sales3").json()

    assert body["count"] == 0


# Signing ------------------------------------------------------------------------------


def states(book):
    return {
        task.project.code: (
            task.status,
            task.marketing_signed_by.username if task.marketing_signed_by else None,
            task.finance_signed_by.username if task.finance_signed_by else None,
        )
        for task in CollectionTask.objects.select_related(
            "project", "marketing_signed_by", "finance_signed_by"
        ).filter(month=D(2026, 4, 1))
    }


def test_it_issues_the_months_tasks_after_marketing_and_finance_sign(people, april, api_for):
    first = sign(api_for(people.marketing), "marketing")

    assert first.status_code == 200
    body = first.json()
    assert body["month"] == "2026-04"
    assert body["as_role"] == "marketing"
    assert body["signed"] == 3
    assert {task["project"]: task["status"] for task in body["tasks"]} == {
        "P1": "draft",
        "P2": "draft",
        "P3": "draft",
    }
    assert all(task["marketing_signed_by"] == "marketing" for task in body["tasks"])
    assert all(task["marketing_signed_at"] for task in body["tasks"])

    second = sign(api_for(people.finance), "finance").json()

    assert second["signed"] == 3
    assert {task["status"] for task in second["tasks"]} == {"issued"}
    assert states(april) == {
        code: ("issued", "marketing", "finance") for code in ("P1", "P2", "P3")
    }


def test_it_issues_a_task_whichever_department_signs_first(people, april, api_for):
    p2 = april.tasks["P2"].pk
    sign(api_for(people.finance), "finance", [p2])
    body = sign(api_for(people.marketing), "marketing", [p2]).json()

    assert body["signed"] == 1
    assert [(t["project"], t["status"]) for t in body["tasks"]] == [("P2", "issued")]
    assert states(april)["P1"] == ("draft", None, None)


def test_it_signs_only_the_ids_given(people, april, api_for):
    body = sign(api_for(people.marketing), "marketing", [april.tasks["P3"].pk]).json()

    assert body["signed"] == 1
    assert [task["project"] for task in body["tasks"]] == ["P3"]
    assert states(april) == {
        "P1": ("draft", None, None),
        "P2": ("draft", None, None),
        "P3": ("draft", "marketing", None),
    }


def test_it_does_not_count_a_task_already_signed_for_the_department(people, april, api_for):
    other_marketer = UserFactory(username="marketing2", roles=["marketing"])
    sign(api_for(people.marketing), "marketing", [april.tasks["P1"].pk])

    body = sign(api_for(other_marketer), "marketing").json()

    assert body["signed"] == 2
    assert states(april)["P1"] == ("draft", "marketing", None)


def test_it_signs_nothing_when_the_month_has_no_drafts(people, april, api_for):
    body = sign(api_for(people.marketing), "marketing", month="2026-09").json()

    assert body == {"month": "2026-09", "as_role": "marketing", "signed": 0, "tasks": []}


@pytest.mark.parametrize(
    ("persona", "as_role"),
    [
        ("marketing", "finance"),
        ("finance", "marketing"),
        ("sales1", "marketing"),
        ("sales1", "finance"),
        ("manager1", "marketing"),
        ("manager1", "finance"),
        ("legal", "finance"),
        ("supply", "marketing"),
        ("admin", "marketing"),
        ("nobody", "finance"),
    ],
)
def test_it_refuses_a_sign_off_for_a_department_the_caller_is_not_in(
    persona, as_role, people, april, api_for
):
    response = sign(api_for(getattr(people, persona)), as_role)

    assert response.status_code == 403
    assert states(april) == {code: ("draft", None, None) for code in ("P1", "P2", "P3")}


def test_it_refuses_the_same_person_signing_for_both_departments(people, april, api_for):
    both = UserFactory(username="both", roles=["marketing", "finance"])
    api = api_for(both)
    assert sign(api, "marketing").json()["signed"] == 3

    response = sign(api, "finance", [april.tasks["P1"].pk])

    assert response.status_code == 422
    assert "second person" in response.json()["detail"][0]["message"]
    assert states(april)["P1"] == ("draft", "both", None)
    # Another person from finance completes it.
    assert sign(api_for(people.finance), "finance").json()["signed"] == 3
    assert states(april)["P1"] == ("issued", "both", "finance")


@pytest.fixture
def own_task(people, april):
    """seller runs P4 and also works in marketing; the cycle of 04-25 drafts May's tasks
    for P1, P3 and P4."""
    seller = UserFactory(username="seller", roles=["sales", "marketing"], manager=people.manager1)
    p4 = ProjectFactory(code="P4", customer=CustomerFactory(code="C4", owner=seller))
    post_invoice(p4, "I4", D(2026, 4, 1), "800.00")
    cycle_run(as_of=D(2026, 4, 25))
    tasks = {
        t.project.code: t.pk
        for t in CollectionTask.objects.select_related("project").filter(month=D(2026, 5, 1))
    }
    return SimpleNamespace(seller=seller, tasks=tasks)


def test_it_refuses_a_salesperson_signing_their_own_task_as_marketing(people, own_task, api_for):
    api = api_for(own_task.seller)

    response = sign(api, "marketing", [own_task.tasks["P4"]], month="2026-05")

    assert response.status_code == 422
    assert response.json()["detail"][0]["message"] == "You cannot sign your own task (P4)."
    assert CollectionTask.objects.get(pk=own_task.tasks["P4"]).marketing_signed_by is None


def test_it_signs_nothing_when_a_batch_holds_the_callers_own_task(people, own_task, api_for):
    response = sign(api_for(own_task.seller), "marketing", month="2026-05")

    assert response.status_code == 422
    assert not CollectionTask.objects.filter(marketing_signed_by__isnull=False).exists()


def test_it_lets_a_salesperson_in_marketing_sign_the_tasks_of_others(people, own_task, api_for):
    others = [own_task.tasks["P1"], own_task.tasks["P3"]]

    body = sign(api_for(own_task.seller), "marketing", others, month="2026-05").json()

    assert body["signed"] == 2
    assert {t["marketing_signed_by"] for t in body["tasks"]} == {"seller"}


@pytest.mark.parametrize("ids", [[999999], "other-month"])
def test_it_answers_422_naming_ids_for_a_task_not_of_the_month(ids, people, own_task, api_for):
    if ids == "other-month":
        ids = [own_task.tasks["P1"]]
    response = sign(api_for(people.marketing), "marketing", ids, month="2026-04")

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "ids"
    assert not CollectionTask.objects.filter(marketing_signed_by__isnull=False).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"month": "2026-04", "as_role": "legal"},
        {"month": "2026-04", "as_role": "admin"},
        {"month": "2026-4", "as_role": "marketing"},
        {"as_role": "marketing"},
        {"month": "2026-04", "as_role": "marketing", "ids": "all"},
    ],
)
def test_it_answers_422_to_a_malformed_sign_off(body, people, april, api_for):
    response = post(api_for(people.marketing), "collection-tasks/sign", body)

    assert response.status_code == 422
    assert not CollectionTask.objects.filter(marketing_signed_by__isnull=False).exists()


def test_it_does_not_sign_issued_assessed_or_lapsed_tasks(people, april, api_for):
    p1, p2 = april.tasks["P1"].pk, april.tasks["P2"].pk
    for persona, as_role in ((people.marketing, "marketing"), (people.finance, "finance")):
        assert sign(api_for(persona), as_role, [p1]).json()["signed"] == 1
    signed_at = CollectionTask.objects.get(pk=p1).marketing_signed_at
    cycle_run(as_of=D(2026, 5, 1))  # assesses P1 (issued); P2 and P3 were never issued: lapsed

    api = api_for(people.marketing)

    assert sign(api, "marketing").json() == {
        "month": "2026-04",
        "as_role": "marketing",
        "signed": 0,
        "tasks": [],
    }
    body = sign(api, "marketing", [p1, p2]).json()
    assert body["signed"] == 0
    assert sorted((t["project"], t["status"], t["marketing_signed_by"]) for t in body["tasks"]) == [
        ("P1", "assessed", "marketing"),
        ("P2", "lapsed", None),
    ]
    assert CollectionTask.objects.get(pk=p1).marketing_signed_at == signed_at
