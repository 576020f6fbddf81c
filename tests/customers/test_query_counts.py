"""Query counts of the list views are pinned: they do not grow with the page size."""

import pytest

from salesdesk.customers.models import Customer, Project
from tests.factories import ContactFactory, CustomerFactory, PlantFactory, ProjectFactory


@pytest.fixture
def many(people):
    """150 customers of sales1 and sales2 with tiers, a project each on two plants."""
    plants = [PlantFactory(code="PL01"), PlantFactory(code="PL02")]
    owners = [people.sales1, people.sales2]
    customers = Customer.objects.bulk_create(
        CustomerFactory.build(
            code=f"Q{n:03d}", owner=owners[n % 2], tier=("strategic", "key", "general", "")[n % 4]
        )
        for n in range(150)
    )
    Project.objects.bulk_create(
        ProjectFactory.build(code=f"QP{n:03d}", customer=c, owner=c.owner, plant=plants[n % 2])
        for n, c in enumerate(customers)
    )
    ContactFactory(customer=customers[0], role="decision_maker")
    return customers


@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/projects"])
def test_it_lists_through_the_api_in_a_constant_number_of_queries(
    path, people, many, api_for, count_queries
):
    api = api_for(people.manager1)
    api.get("/api/v1/users/me")  # stamps the token's last use, at most once a minute

    small, small_response = count_queries(api, path, page_size=10)
    large, large_response = count_queries(api, path, page_size=100)
    filtered, _ = count_queries(api, path, page_size=100, plant="PL01", sort="-code")

    assert len(small_response.json()["items"]) == 10
    assert len(large_response.json()["items"]) == 100
    # token and user, the user's roles, COUNT, the page; a plant filter looks up the plant.
    assert (small, large, filtered) == (4, 4, 5)


@pytest.mark.parametrize("path", ["/customers/", "/projects/"])
def test_it_renders_the_list_pages_in_a_constant_number_of_queries(
    path, people, many, page_for, count_queries
):
    client = page_for(people.manager1)
    client.get(path)  # the first request after login may touch the session

    small, small_response = count_queries(client, path, page_size=25)
    large, large_response = count_queries(client, path, page_size=100)
    htmx, htmx_response = count_queries(
        client, path, headers={"HX-Request": "true"}, page_size=100, sort="-code"
    )

    assert len(small_response.context["page"].items) == 25
    assert len(large_response.context["page"].items) == 100
    assert b"<html" not in htmx_response.content
    # session, user, roles, filter choices (owners, plants), COUNT, page; the htmx partial
    # renders no filter form and no navigation.
    assert (small, large, htmx) == (9, 9, 5)


def test_it_renders_the_home_page_in_a_constant_number_of_queries(
    people, many, page_for, count_queries
):
    client = page_for(people.manager1)
    client.get("/")

    queries, response = count_queries(client, "/")

    assert response.context["counts"]["customers"]["total"] == 150
    # 6 for the archive tiles; a manager's Today items: balances, recent letters and their
    # count, this month's tasks, deliveries waiting for price approval, the team's late
    # drafts (6); visit reminders (4); reduced-contact touches due and their count (2); the
    # policy the reminders and the touches need is read once; the last commission
    # statement and the open advances (2).
    assert queries == 19


def test_it_renders_a_customer_page_without_a_query_per_project_or_contact(
    people, many, page_for, count_queries
):
    plain, busy = many[1], many[2]
    for n in range(20):
        ProjectFactory(
            code=f"QX{n:02d}", customer=busy, owner=busy.owner, plant=PlantFactory(code="PL01")
        )
        ContactFactory(customer=busy)
    client = page_for(people.admin)
    client.get("/")

    few, few_response = count_queries(client, f"/customers/{plain.code}/")
    lots, lots_response = count_queries(client, f"/customers/{busy.code}/")

    assert (len(few_response.context["projects"]), len(lots_response.context["projects"])) == (
        1,
        21,
    )
    assert len(lots_response.context["contacts"]) == 20
    # among them: the first-order date, the supply hold, the visits (list, frequency, count);
    # the policy, read once for the tier terms and the visit frequency
    assert few == lots == 16
