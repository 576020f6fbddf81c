"""The policy is read from the database once per request, and never kept beyond it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.core.models import PolicyValue
from salesdesk.core.policy import (
    DEFAULTS_EFFECTIVE_FROM,
    policy_as_of,
    policy_request_finished,
    policy_request_started,
)
from salesdesk.core.services import policy_update
from tests.clock import TODAY
from tests.factories import CustomerFactory


def _policy_queries(queries) -> int:
    return sum('"core_policyvalue"' in q["sql"] for q in queries.captured_queries)


def test_it_reads_the_policy_once_for_a_customer_page(people, page_for):
    customer = CustomerFactory(owner=people.sales1, tier="key")
    with CaptureQueriesContext(connection) as queries:
        response = page_for(people.sales1).get(f"/customers/{customer.code}/")
    assert response.status_code == 200
    assert _policy_queries(queries) == 1


def test_it_reads_the_policy_once_for_the_today_page_of_a_manager(people, page_for):
    CustomerFactory(owner=people.sales1, tier="key")
    with CaptureQueriesContext(connection) as queries:
        response = page_for(people.manager1).get("/")
    assert response.status_code == 200
    assert _policy_queries(queries) == 1


def test_it_reads_a_change_made_between_two_requests(people, page_for):
    client = page_for(people.admin)
    field = 'name="tier.key.payment_terms_days" value="{}"'
    assert field.format(60) in client.get("/policy/").content.decode()
    PolicyValue.objects.filter(
        key="tier.key.payment_terms_days", effective_from=DEFAULTS_EFFECTIVE_FROM
    ).update(value="45")

    assert policy_as_of()["tier.key.payment_terms_days"] == 45
    assert field.format(45) in client.get("/policy/").content.decode()


def test_it_reads_a_change_made_earlier_in_the_same_request(people):
    policy_request_started()
    try:
        assert policy_as_of(TODAY)["tier.key.payment_terms_days"] == 60
        policy_update(
            values={"tier.key.payment_terms_days": "50"},
            effective_from=TODAY,
            actor=people.admin,
            reason="review",
        )
        assert policy_as_of(TODAY)["tier.key.payment_terms_days"] == 50
    finally:
        policy_request_finished()
