"""Query counts of the pipeline's lists, boards and report are pinned: they do not grow
with the number of opportunities shown."""

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.pipeline.models import FabProduct, Opportunity, OpportunityTouch
from salesdesk.pipeline.reports import pipeline_report
from tests.clock import TODAY


def _build(customers, count, prefix):
    rng = random.Random(count)
    owners = [customers.c1, customers.c2]
    rows = []
    for n in range(count):
        customer = owners[n % 2]
        factors = {f"f{i}": rng.randint(1, 5) for i in range(1, 8)}
        if n % 7 == 0:
            factors["f3"] = None
        rows.append(
            Opportunity(
                code=f"{prefix}{n:04d}",
                customer=customer,
                owner=customer.owner,
                name=f"商机{n}",
                stage=("lead", "qualified", "proposal", "negotiation")[n % 4],
                value=1000 + n,
                expected_close=TODAY + dt.timedelta(days=rng.randint(-20, 200)),
                source="tender",
                contact_level="reduced" if n % 9 == 0 else "normal",
                reduced_on=TODAY - dt.timedelta(days=100) if n % 9 == 0 else None,
                **factors,
            )
        )
    created = Opportunity.objects.bulk_create(rows)
    product = FabProduct.objects.get_or_create(name="C30")[0]
    for opportunity in created[::3]:
        opportunity.products.add(product)
    OpportunityTouch.objects.bulk_create(
        OpportunityTouch(opportunity=o, date=TODAY - dt.timedelta(days=10)) for o in created[::5]
    )


@pytest.fixture
def few(customers):
    _build(customers, 8, "F")


@pytest.fixture
def many(customers):
    _build(customers, 160, "M")


# session, user, roles, policy and the owner choices of the filter; then the list: touches
# due, COUNT, page; the kanban: totals per stage, cards; the board: touches due, totals, cards.
PAGES = {"/opportunities/": 9, "/pipeline/kanban/": 8, "/pipeline/board/": 9,
         "/pipeline/conversion/": 5}  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_it_renders_the_pages_in_a_constant_number_of_queries(
    path, people, customers, page_for, request, count_queries
):
    client = page_for(people.manager1)
    client.get(path)  # the first request after login may touch the session

    request.getfixturevalue("few")
    small, _ = count_queries(client, path, page_size=25)
    request.getfixturevalue("many")
    large, _ = count_queries(client, path, page_size=100)
    htmx, _ = count_queries(
        client, path, headers={"HX-Request": "true"}, page_size=100, source="tender"
    )

    assert small == large == PAGES[path], (small, large)
    assert htmx <= large


def test_it_lists_through_the_api_in_a_constant_number_of_queries(
    people, customers, api_for, request, count_queries
):
    api = api_for(people.manager1)
    api.get("/api/v1/users/me")  # stamps the token's last use, at most once a minute

    request.getfixturevalue("few")
    small, _ = count_queries(api, "/api/v1/opportunities", page_size=5)
    request.getfixturevalue("many")
    large, _ = count_queries(api, "/api/v1/opportunities", page_size=100)
    filtered, _ = count_queries(api, "/api/v1/opportunities", page_size=100, **{"class": "A"})

    # token and user, roles, policy, COUNT, the page, its products
    assert (small, large) == (6, 6)
    assert filtered == 6


def test_it_builds_the_report_in_two_queries(customers, request):
    request.getfixturevalue("many")

    with CaptureQueriesContext(connection) as queries:
        report = pipeline_report(as_of=TODAY)

    assert len(report.rows) == 160
    assert len(queries) == 2  # the policy, the rows
