"""The collections lists at scale: a constant number of queries whatever the page size,
and pages that together list every record once.

110 customers, each with one project billed 100.00 on 2026-01-01 (due 01-31); the cycle
runs every day from 03-03 to 07-31: letters 1-3 on 03-03, 03-18 and 04-02, supply holds
on 04-17, tasks for each month from March to August (drafted 03-03, then on each 25th),
legal recovery on 07-31: 330 letters, 660 tasks, 110 holds, 110 legal cases.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.collections.cycle import cycle_run
from salesdesk.collections.models import CollectionTask, HoldOverride, SupplyHold
from tests.collections.builders import get
from tests.factories import CustomerFactory, ProjectFactory
from tests.ledger.builders import post_invoice

D = dt.date
CUSTOMERS = 110
TASK_MONTHS = 6


@pytest.fixture
def crowd(people):
    for n in range(CUSTOMERS):
        owner = people.sales1 if n % 2 else people.sales3
        customer = CustomerFactory(code=f"K{n:03d}", owner=owner)
        project = ProjectFactory(code=f"Q{n:03d}", customer=customer, payment_terms_days=30)
        post_invoice(project, f"J{n:03d}", D(2026, 1, 1), "100.00")
    for day in (D(2026, 3, 3), D(2026, 3, 18), D(2026, 4, 2), D(2026, 4, 17), D(2026, 7, 31)):
        cycle_run(as_of=day)
    # A few overrides granted while the holds were in force, one per hold.
    for hold in SupplyHold.objects.select_related("trigger__project").order_by("id")[:7]:
        HoldOverride.objects.create(
            hold=hold, project=hold.trigger.project, granted_by=people.manager1, reason="pour"
        )
    return people


def counts_for(api, path, expected_items):
    counts = {}
    for size in (10, 100):
        separator = "&" if "?" in path else "?"
        with CaptureQueriesContext(connection) as queries:
            response = get(api, f"{path}{separator}page_size={size}")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == expected_items
        assert len(body["items"]) == min(size, expected_items)
        counts[size] = len(queries)
    return counts


def test_it_lists_tasks_in_a_constant_number_of_queries(crowd, api_for):
    api = api_for(crowd.finance)
    get(api, "collection-tasks")  # the token's first use records its last-used time

    # The token and its user, the caller's roles, the COUNT and the page.
    assert counts_for(api, "collection-tasks", TASK_MONTHS * CUSTOMERS) == {10: 4, 100: 4}


def test_it_lists_letters_in_a_constant_number_of_queries(crowd, api_for):
    api = api_for(crowd.finance)
    get(api, "letters")

    assert counts_for(api, "letters", 3 * CUSTOMERS) == {10: 4, 100: 4}


def test_it_lists_holds_in_a_constant_number_of_queries(crowd, api_for):
    api = api_for(crowd.finance)
    get(api, "holds")

    # Also: the open holds, the ledger's unrecorded releases, and the overrides.
    assert counts_for(api, "holds", CUSTOMERS) == {10: 7, 100: 7}


def test_it_lists_legal_cases_in_a_constant_number_of_queries(crowd, api_for):
    api = api_for(crowd.finance)
    get(api, "legal-cases")

    assert counts_for(api, "legal-cases", CUSTOMERS) == {10: 4, 100: 4}


def test_it_keeps_the_query_count_for_a_salesperson_too(crowd, api_for):
    api = api_for(crowd.sales1)
    get(api, "letters")

    assert counts_for(api, "letters", 3 * CUSTOMERS // 2) == {10: 4, 100: 4}
    assert counts_for(api, "collection-tasks", TASK_MONTHS * CUSTOMERS // 2) == {10: 4, 100: 4}
    assert counts_for(api, "holds", CUSTOMERS // 2) == {10: 7, 100: 7}


def test_it_pages_through_every_task_once(crowd, api_for):
    api = api_for(crowd.legal)

    pages = [get(api, f"collection-tasks?page_size=100&page={n}").json() for n in range(1, 8)]

    assert [(page["num_pages"], page["page"]) for page in pages] == [(7, n) for n in range(1, 8)]
    ids = [t["id"] for page in pages for t in page["items"]]
    assert sorted(ids) == sorted(CollectionTask.objects.values_list("id", flat=True))
    assert len(ids) == TASK_MONTHS * CUSTOMERS
    assert [t["month"] for t in pages[0]["items"][:1]] == ["2026-08"]


def test_it_caps_the_page_size_at_500(crowd, api_for):
    body = get(api_for(crowd.legal), "letters?page_size=100000").json()

    assert body["page_size"] == 500
    assert len(body["items"]) == 3 * CUSTOMERS


def test_it_shows_the_overrides_of_each_hold(crowd, api_for):
    items = get(api_for(crowd.finance), "holds?page_size=500").json()["items"]

    with_overrides = [item for item in items if item["overrides"]]
    assert len(with_overrides) == 7
    assert all(item["overrides"][0]["granted_by"] == "manager1" for item in with_overrides)


def queries_for(api, path) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        body = get(api, path).json()
    return len(body["rows"]), len(queries)


def test_it_builds_the_letters_and_tasks_reports_in_a_constant_number_of_queries(crowd, api_for):
    finance, sales1 = api_for(crowd.finance), api_for(crowd.sales1)
    get(finance, "letters")
    get(sales1, "letters")

    march = queries_for(finance, "reports/letters?as_of=2026-03-03")
    april = queries_for(finance, "reports/letters?as_of=2026-04-30")
    assert (march[0], april[0]) == (CUSTOMERS, 3 * CUSTOMERS)
    assert march[1] == april[1]

    everyone = queries_for(finance, "reports/tasks?month=2026-04")
    own = queries_for(sales1, "reports/tasks?month=2026-04")
    assert (everyone[0], own[0]) == (CUSTOMERS, CUSTOMERS // 2)
    assert everyone[1] == own[1]
