"""Tiering over the API: the preview, applying it, the tiers report in its FORMATS.md
shape, and setting a tier by hand; every endpoint's permission checks."""

import re

import pytest
from django.test import Client

from salesdesk.core.models import AuditEntry
from salesdesk.customers.models import Customer, CustomerTierChange
from salesdesk.tiering.reports import tiers_report
from tests.customers.builders import error_fields, json_of
from tests.tiering.tiering_data import AS_OF, CHANGES, LOCK_REASON, PROPOSED, RANKED, make_ten

PREVIEW = f"/api/v1/tiering/preview?as_of={AS_OF}"
REPORT = f"/api/v1/reports/tiers?as_of={AS_OF}"


@pytest.fixture
def ten(people):
    return make_ten(people.sales1)


def apply(client, payload):
    return json_of(client, "post", "/api/v1/tiering/apply", payload)


# Preview ---------------------------------------------------------------------------------


def test_it_previews_the_quotas_the_changes_and_every_row(people, ten, api_for):
    response = api_for(people.manager1).get(PREVIEW)

    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == AS_OF.isoformat()
    assert (body["customers"], body["untiered"]) == (10, 2)
    assert body["quotas"] == {
        "strategic": {"places": 2, "locked": 0, "current": 2, "proposed": 2},
        "key": {"places": 3, "locked": 1, "current": 3, "proposed": 3},
        "general": {"places": 5, "locked": 0, "current": 3, "proposed": 5},
    }
    assert body["changes"] == {"total": 6, "up": 2, "down": 2, "new": 2}
    assert re.fullmatch(r"[0-9a-f]{16}", body["digest"])
    assert (body["count"], body["page"], body["num_pages"]) == (10, 1, 1)
    items = body["items"]
    assert [row["customer"] for row in items] == RANKED
    assert {row["customer"]: row["proposed_tier"] for row in items} == PROPOSED
    assert {row["customer"]: row["change"] for row in items if row["change"]} == CHANGES
    assert items[1] == {
        "customer": "C02", "customer_name": "C02 建设有限公司", "rank": 2, "score": "81.2",
        "business_points": "80", "rating_points": "75", "scale_points": "88.89",
        "invoiced_12m": "900.00", "current_tier": "key", "proposed_tier": "strategic",
        "locked": False, "change": "up", "lock_reason": "",
    }  # fmt: skip
    assert (items[9]["locked"], items[9]["lock_reason"]) == (True, LOCK_REASON)


def test_it_filters_and_pages_the_preview(people, ten, api_for):
    client = api_for(people.marketing)

    changes = client.get(PREVIEW + "&show=changes&page_size=4&page=2").json()
    assert (changes["count"], changes["num_pages"], changes["page"]) == (6, 2, 2)
    assert [row["customer"] for row in changes["items"]] == ["C05", "C08"]
    assert changes["customers"] == 10  # the quotas stay those of every active customer
    key = client.get(PREVIEW + "&tier=key&q=c1").json()
    assert [row["customer"] for row in key["items"]] == ["C10"]
    assert client.get(PREVIEW + "&show=sideways").status_code == 422


# Apply -----------------------------------------------------------------------------------


def test_it_applies_the_proposal_with_history_and_audit(people, ten, api_for):
    client = api_for(people.manager1)
    digest = client.get(PREVIEW).json()["digest"]

    status, body = apply(client, {"as_of": AS_OF.isoformat(), "digest": digest})

    assert status == 200
    assert (body["as_of"], body["changed"]) == (AS_OF.isoformat(), 6)
    assert {row["customer"]: row["change"] for row in body["rows"]} == CHANGES
    assert body["rows"][0] == {
        "customer": "C02", "customer_name": "C02 建设有限公司", "rank": 2, "score": "81.2",
        "from_tier": "key", "to_tier": "strategic", "change": "up",
    }  # fmt: skip
    assert dict(Customer.objects.filter(status="active").values_list("code", "tier")) == PROPOSED
    assert CustomerTierChange.objects.filter(effective_on=AS_OF, changed_by=people.manager1).count() == 6  # fmt: skip
    assert AuditEntry.objects.filter(action="set_tier", actor=people.manager1).count() == 6

    status, body = apply(client, {"as_of": AS_OF.isoformat()})  # no digest: apply as is
    assert (status, body["changed"], body["rows"]) == (200, 0, [])


def test_it_refuses_a_stale_digest_and_a_future_date(people, ten, api_for):
    client = api_for(people.admin)
    digest = client.get(PREVIEW).json()["digest"]
    Customer.objects.filter(code="C07").update(tier_locked=True, tier_lock_reason="大客户")

    status, body = apply(client, {"as_of": AS_OF.isoformat(), "digest": digest})
    assert (status, error_fields(body)) == (422, {"as_of"})
    status, body = apply(client, {"as_of": "2999-01-01"})
    assert (status, error_fields(body)) == (422, {"as_of"})
    assert not CustomerTierChange.objects.exists()


# The tiers report ------------------------------------------------------------------------


def test_it_serves_the_tiers_report_in_the_published_envelope(people, ten, api_for):
    body = api_for(people.marketing).get(REPORT).json()

    expected = tiers_report(as_of=AS_OF).envelope()
    assert body.pop("generated_at") and expected.pop("generated_at")
    assert body == expected
    assert body["report"] == "tiers" and body["as_of"] == AS_OF.isoformat()
    assert body["totals"] == {
        "customers": 10, "invoiced_12m": "5200.00",
        "proposed": {"strategic": 2, "key": 3, "general": 5},
    }  # fmt: skip
    rows = {row["customer"]: row for row in body["rows"]}
    assert [row["customer"] for row in body["rows"]] == RANKED
    for row in body["rows"]:
        assert re.fullmatch(r"\d{1,3}\.\d", row["score"]), row
        assert row["current_tier"] in ("strategic", "key", "general", None)
        assert row["proposed_tier"] in ("strategic", "key", "general")
        assert isinstance(row["locked"], bool)
        assert re.fullmatch(r"\d+\.\d{2}", row["invoiced_12m"])
    assert rows["C03"]["current_tier"] is None  # untiered is null, not ""
    assert (rows["C01"]["score"], rows["C09"]["score"]) == ("96.0", "23.0")
    assert rows["C10"]["locked"] is True and rows["C01"]["locked"] is False


# Setting a tier by hand ------------------------------------------------------------------


def test_it_locks_a_tier_with_a_reason_through_the_api(people, ten, api_for):
    client = api_for(people.manager1)

    status, body = json_of(client, "post", "/api/v1/customers/C09/tier",
                           {"tier": "strategic", "locked": True, "reason": "集团战略合作"})  # fmt: skip
    assert status == 200
    assert body == {
        "customer": "C09", "tier": "strategic", "locked": True, "reason": "集团战略合作",
        "changed": True,
    }  # fmt: skip
    change = CustomerTierChange.objects.get(customer__code="C09")
    assert (change.from_tier, change.to_tier, change.locked) == ("general", "strategic", True)
    assert AuditEntry.objects.filter(action="set_tier", object_id=str(ten["C09"].pk)).exists()
    # The lock holds one of strategic's two places: C02 now stays key.
    preview = client.get(PREVIEW).json()
    proposed = {row["customer"]: row["proposed_tier"] for row in preview["items"]}
    assert proposed["C09"] == "strategic" and proposed["C02"] == "key"

    status, body = json_of(client, "post", "/api/v1/customers/C09/tier",
                           {"tier": "strategic", "locked": True, "reason": "集团战略合作"})  # fmt: skip
    assert (status, body["changed"]) == (200, False)
    status, body = json_of(client, "post", "/api/v1/customers/C09/tier",
                           {"tier": None, "locked": False})  # fmt: skip
    assert (status, body["tier"], body["locked"], body["reason"]) == (200, None, False, "")


def test_it_refuses_a_lock_without_a_reason_or_a_tier(people, ten, api_for):
    client = api_for(people.manager1)
    status, body = json_of(client, "post", "/api/v1/customers/C09/tier",
                           {"tier": "key", "locked": True, "reason": "  "})  # fmt: skip
    assert (status, error_fields(body)) == (422, {"reason"})
    status, body = json_of(client, "post", "/api/v1/customers/C09/tier", {"locked": True})
    assert (status, error_fields(body)) == (422, {"tier"})
    status, _body = json_of(client, "post", "/api/v1/customers/C09/tier", {"tier": "vip"})
    assert status == 422


def test_it_hides_a_customer_outside_the_managers_team(people, ten, api_for):
    status, _body = json_of(api_for(people.manager2), "post", "/api/v1/customers/C09/tier",
                            {"tier": "key", "locked": True, "reason": "x"})  # fmt: skip
    assert status == 404
    assert Customer.objects.get(code="C09").tier == "general"


# Permissions -----------------------------------------------------------------------------

ENDPOINTS = [
    ("get", PREVIEW, None),
    ("get", REPORT, None),
    ("post", "/api/v1/tiering/apply", {"as_of": AS_OF.isoformat()}),
    ("post", "/api/v1/customers/C01/tier", {"tier": "key", "locked": True, "reason": "x"}),
]


@pytest.mark.parametrize(("method", "path", "payload"), ENDPOINTS)
def test_it_answers_403_to_a_salesperson_and_401_to_a_visitor(
    people, ten, api_for, method, path, payload
):
    status, _body = json_of(api_for(people.sales1), method, path, payload)
    assert status == 403  # sales1 owns C01, and still may not set its tier
    assert json_of(Client(), method, path, payload)[0] == 401
    assert not CustomerTierChange.objects.exists()


@pytest.mark.parametrize(
    ("persona", "reads", "writes"),
    [("marketing", 200, 403), ("finance", 403, 403), ("admin", 200, 200), ("manager2", 200, 200)],
)
def test_it_lets_each_role_do_what_it_may(people, ten, api_for, persona, reads, writes):
    client = api_for(getattr(people, persona))
    assert client.get(PREVIEW).status_code == reads
    assert client.get(REPORT).status_code == reads
    assert apply(client, {"as_of": AS_OF.isoformat()})[0] == writes
