"""Query counts of the visit lists and reports are pinned: they do not grow with rows."""

import datetime as dt

import pytest

from salesdesk.visits.services import CommitmentIn
from tests.factories import ContactFactory, CustomerFactory
from tests.visits.builders import log


@pytest.fixture
def many(people):
    """120 visits of sales1 and sales2 on 60 customers, half of them advances, each with
    two contacts met."""
    start = dt.date(2026, 1, 5)
    for n in range(60):
        owner = people.sales1 if n % 2 else people.sales2
        customer = CustomerFactory(
            code=f"Q{n:03d}", owner=owner, tier=("strategic", "key", "")[n % 3]
        )
        contacts = [ContactFactory(customer=customer), ContactFactory(customer=customer)]
        for k in range(2):
            day = start + dt.timedelta(days=n % 50 + 30 * k)
            if k:
                log(customer, day, "continuation", contacts=contacts, manager_involved=True)
            else:
                log(customer, day, "advance", contacts=contacts,
                    commitment=CommitmentIn(what="试验", who="张工", due=day + dt.timedelta(days=9)))  # fmt: skip


@pytest.mark.parametrize("path", ["/api/v1/visits", "/api/v1/commitments"])
def test_it_lists_through_the_api_in_a_constant_number_of_queries(
    path, people, many, api_for, count_queries
):
    api = api_for(people.manager1)
    api.get("/api/v1/users/me")  # stamps the token's last use, at most once a minute

    small, small_response = count_queries(api, path, page_size=5)
    large, large_response = count_queries(api, path, page_size=60)

    assert len(small_response.json()["items"]) == 5
    assert len(large_response.json()["items"]) == 60
    assert small == large
    # token and user, roles, COUNT, the page, and for visits the contacts met.
    assert large == (5 if path == "/api/v1/visits" else 4)


@pytest.mark.parametrize("path", ["/visits/", "/visits/commitments/?state="])
def test_it_renders_the_lists_in_a_constant_number_of_queries(
    path, people, many, page_for, count_queries
):
    client = page_for(people.manager1)
    client.get(path)

    small, small_response = count_queries(client, path, page_size=25)
    large, large_response = count_queries(client, path, page_size=100)

    assert len(small_response.context["page"].items) == 25
    # 120 visits, 60 of them advances with a commitment.
    assert len(large_response.context["page"].items) == (100 if path == "/visits/" else 60)
    assert small == large, (small, large)
    # session, user, roles, the salesperson filter's choices, COUNT, the page (with its
    # customers, salespeople and commitments joined), and for visits the contacts met.
    assert large == (8 if path == "/visits/" else 7)


def test_it_renders_the_compliance_page_in_a_constant_number_of_queries(
    people, many, page_for, count_queries
):
    client = page_for(people.manager1)
    client.get("/visits/compliance/")

    few, _ = count_queries(client, "/visits/compliance/", month="2026-01")
    for n in range(30):
        log(CustomerFactory(code=f"Z{n:03d}", owner=people.sales1, tier="key"),
            dt.date(2026, 1, 1 + n % 28))  # fmt: skip
    more, response = count_queries(client, "/visits/compliance/", month="2026-01")

    assert few == more
    assert response.context["report"].due > 60
