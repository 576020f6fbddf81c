"""The core API: who am I, the policy in force, the OpenAPI document and its docs page."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from salesdesk.core.policy import REGISTRY, SETTINGS
from salesdesk.core.services import policy_update, token_create
from tests.factories import PlantFactory, UserFactory


def test_it_tells_a_user_who_they_are(people, api_for):
    body = api_for(people.sales1).get("/api/v1/users/me").json()

    assert body == {
        "username": "sales1",
        "name": "Sales One",
        "email": "",
        "roles": ["sales"],
        "manager": "manager1",
        "plant": None,
        "sees_company": False,
    }


def test_it_lists_every_role_and_the_plant(db, api_for):
    plant = PlantFactory(code="PL01")
    user = UserFactory(username="boss", roles=["manager", "sales", "marketing"], plant=plant)

    body = api_for(user).get("/api/v1/users/me").json()

    assert (body["roles"], body["plant"], body["sees_company"]) == (
        ["manager", "marketing", "sales"],
        "PL01",
        True,
    )


@pytest.mark.parametrize(
    ("persona", "sees_company"),
    [("admin", True), ("finance", True), ("legal", True), ("manager1", False), ("nobody", False)],
)
def test_it_says_whether_the_user_sees_the_whole_company(persona, sees_company, people, api_for):
    body = api_for(getattr(people, persona)).get("/api/v1/users/me").json()

    assert body["sees_company"] is sees_company
    assert body["roles"] == ([] if persona == "nobody" else sorted(getattr(people, persona).roles))


def test_it_accepts_the_browser_session_for_reads(people, client_for):
    assert client_for(people.sales2).get("/api/v1/users/me").json()["username"] == "sales2"


def test_it_requires_the_csrf_token_for_writes_with_the_session_but_not_with_a_token(people):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.sales1, backend="django.contrib.auth.backends.ModelBackend")
    _token, key = token_create(user=people.sales1, now=timezone.now())
    integration = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {key}"})
    payload = {"code": "X1", "name": "跨站请求有限公司"}

    forged = browser.post("/api/v1/customers", payload, content_type="application/json")
    tokened = integration.post("/api/v1/customers", payload, content_type="application/json")

    assert forged.status_code == 403
    assert tokened.status_code == 201


def test_it_refuses_the_token_of_a_deactivated_user(people):
    _token, key = token_create(user=people.sales1, now=timezone.now())
    people.sales1.is_active = False
    people.sales1.save()

    response = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/users/me")

    assert response.status_code == 401


def test_it_stamps_when_a_token_was_last_used(people):
    token, key = token_create(user=people.sales1, now=timezone.now())
    assert token.last_used_at is None

    Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/users/me")

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.key_hash != key and key not in token.key_hash  # only the hash is stored


# Policy --------------------------------------------------------------------------------


def test_it_reads_every_policy_key_with_its_value_kind_and_label(people, api_for):
    body = api_for(people.sales1).get("/api/v1/policy", headers={"Accept-Language": "en"}).json()

    assert body["as_of"] == dt.date.today().isoformat()
    assert [v["key"] for v in body["values"]] == [s.key for s in SETTINGS]
    values = {v["key"]: v for v in body["values"]}
    assert values["tier.key.payment_terms_days"] == {
        "key": "tier.key.payment_terms_days",
        "value": "60",
        "kind": "integer",
        "label": "Key: payment terms (days)",
    }
    assert values["aging.bounds"]["value"] == "30,60,90,180,365"
    assert values["commission.penalty_bands"]["value"] == "100:0, 80:0.5, 50:1.0, 0:1.5"
    assert all(v["value"] == REGISTRY[v["key"]].default for v in body["values"])


def test_it_reads_the_policy_in_force_on_a_given_date(people, api_for):
    policy_update(
        values={"risk.pass_score": "65"}, effective_from=dt.date(2026, 4, 1), actor=people.admin
    )
    api = api_for(people.finance)

    def pass_score(as_of):
        values = api.get("/api/v1/policy", {"as_of": as_of}).json()["values"]
        return next(v["value"] for v in values if v["key"] == "risk.pass_score")

    assert pass_score("2026-03-31") == "60"
    assert pass_score("2026-04-01") == "65"


def test_it_rejects_a_malformed_policy_date(people, api_for):
    assert api_for(people.admin).get("/api/v1/policy", {"as_of": "yesterday"}).status_code == 422


# OpenAPI and docs ----------------------------------------------------------------------


def test_it_serves_the_openapi_document_with_the_foundation_endpoints(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "SalesDesk API"
    assert set(document["paths"]) >= {
        "/api/v1/users/me",
        "/api/v1/policy",
        "/api/v1/customers",
        "/api/v1/customers/{code}",
        "/api/v1/customers/{code}/contacts",
        "/api/v1/projects",
        "/api/v1/projects/{code}",
    }
    assert set(document["paths"]["/api/v1/customers"]) == {"get", "post"}
    assert set(document["paths"]["/api/v1/customers/{code}"]) == {"get", "patch"}
    schemes = document["components"]["securitySchemes"]
    assert {scheme["type"] for scheme in schemes.values()} >= {"http", "apiKey"}


def test_it_serves_the_api_docs_page_from_local_assets_only(people, client_for):
    response = client_for(people.sales1).get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/openapi.json" in html
    assert "cdn" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert Client().get(asset).status_code == 200, asset
