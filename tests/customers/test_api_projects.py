"""The projects API: list and filters, create with tier-policy defaults, patch."""

import datetime as dt

import pytest

from salesdesk.core.models import AuditEntry
from salesdesk.core.services import policy_update
from salesdesk.customers.models import Project
from tests.customers.builders import error_fields, json_of
from tests.factories import CustomerFactory, PlantFactory, ProjectFactory


@pytest.fixture
def c1(people):
    return CustomerFactory(code="C1", name="中建三局有限公司", owner=people.sales1)


def create(client, **values):
    return json_of(client, "post", "/api/v1/projects", {"code": "J1", "customer": "C1",
                                                        "name": "光谷大道工程"} | values)  # fmt: skip


# Create ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "days"), [("", 30), ("general", 30), ("key", 60), ("strategic", 90)]
)
def test_it_defaults_payment_terms_to_the_customers_tier_policy(tier, days, people, c1, api_for):
    c1.tier = tier
    c1.save()

    status, body = create(api_for(people.sales1))

    assert (status, body["payment_terms_days"]) == (201, days)


def test_it_takes_default_terms_from_the_policy_in_force_not_a_constant(people, c1, api_for):
    c1.tier = "key"
    c1.save()
    policy_update(
        values={"tier.key.payment_terms_days": 45},
        effective_from=dt.date.today(),
        actor=people.admin,
    )
    policy_update(
        values={"tier.key.payment_terms_days": 75},
        effective_from=dt.date.today() + dt.timedelta(days=1),
        actor=people.admin,
    )

    status, body = create(api_for(people.sales1))

    assert (status, body["payment_terms_days"]) == (201, 45)


def test_it_keeps_explicit_payment_terms(people, c1, api_for):
    c1.tier = "strategic"
    c1.save()

    assert create(api_for(people.sales1), payment_terms_days=15)[1]["payment_terms_days"] == 15
    assert (
        create(api_for(people.sales1), code="J2", payment_terms_days=None)[1]["payment_terms_days"]
        == 90
    )


def test_it_creates_a_project_owned_by_the_customers_owner_and_audits_it(people, c1, api_for):
    PlantFactory(code="PL01")

    status, body = create(
        api_for(people.manager1), plant="PL01", contract_no="HT-2026-001", credit_limit="150000.5",
        started_on="2026-03-01",
    )  # fmt: skip

    assert status == 201
    assert body == {
        "code": "J1",
        "customer": "C1",
        "customer_name": "中建三局有限公司",
        "name": "光谷大道工程",
        "plant": "PL01",
        "owner": "sales1",
        "contract_no": "HT-2026-001",
        "payment_terms_days": 30,
        "credit_limit": "150000.50",
        "status": "active",
        "started_on": "2026-03-01",
        "completed_on": None,
    }
    project = Project.objects.get(code="J1")
    entry = AuditEntry.objects.get(object_type="customers.project", object_id=str(project.pk))
    assert (entry.action, entry.actor) == ("create", people.manager1)


def test_it_treats_the_same_project_post_twice_as_one_project(people, c1, api_for):
    api = api_for(people.sales1)
    values = {"contract_no": "HT-1", "payment_terms_days": 20}

    first = create(api, **values)
    second = create(api, **values)

    assert (first[0], second[0]) == (201, 200)
    assert first[1] == second[1]
    assert Project.objects.filter(code="J1").count() == 1


def test_it_treats_a_replayed_post_relying_on_default_terms_as_the_same_project(
    people, c1, api_for
):
    api = api_for(people.sales1)

    assert create(api)[0] == 201
    assert create(api)[0] == 200


def test_it_answers_409_to_the_same_project_code_with_different_content(people, c1, api_for):
    api = api_for(people.sales1)
    create(api, contract_no="HT-1")

    status, body = create(api, contract_no="HT-2")

    assert status == 409
    assert "J1" in body["detail"]
    assert Project.objects.get(code="J1").contract_no == "HT-1"


def test_it_answers_409_to_a_project_code_used_on_another_customer(people, c1, api_for):
    CustomerFactory(code="C9", owner=people.sales1)
    api = api_for(people.sales1)
    create(api)

    assert create(api, customer="C9")[0] == 409


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"plant": "NOPE"}, "plant"),
        ({"owner": "ghost"}, "owner"),
        ({"started_on": "2026-05-01", "completed_on": "2026-04-01"}, "completed_on"),
        ({"name": "   "}, "name"),
    ],
)
def test_it_rejects_an_invalid_project_with_422_naming_the_field(
    values, field, people, c1, api_for
):
    status, body = create(api_for(people.sales1), **values)

    assert (status, error_fields(body)) == (422, {field})
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    "values", [{"credit_limit": "-1"}, {"payment_terms_days": -5}, {"status": "paused"}]
)
def test_it_rejects_malformed_project_fields(values, people, c1, api_for):
    assert create(api_for(people.sales1), **values)[0] == 422
    assert not Project.objects.exists()


def test_it_refuses_a_project_for_a_blacklisted_customer(people, c1, api_for):
    c1.status = "blacklisted"
    c1.save()

    status, body = create(api_for(people.sales1))

    assert (status, error_fields(body)) == (422, {"customer"})


def test_it_answers_404_for_a_customer_the_caller_cannot_see(people, c1, api_for):
    assert create(api_for(people.sales2))[0] == 404
    assert create(api_for(people.manager2))[0] == 404
    assert not Project.objects.exists()


@pytest.mark.parametrize("persona", ["finance", "supply", "legal"])
def test_it_forbids_roles_without_archive_rights_to_create_projects(persona, people, c1, api_for):
    assert create(api_for(getattr(people, persona)))[0] == 403
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("persona", "owner", "expected"),
    [
        ("sales1", "sales2", 422),
        ("manager1", "sales2", 201),
        ("manager1", "sales3", 422),
        ("marketing", "sales3", 201),
    ],
)
def test_it_lets_a_user_give_a_new_project_only_to_owners_in_scope(
    persona, owner, expected, people, c1, api_for
):
    status, body = create(api_for(getattr(people, persona)), owner=owner)

    assert status == expected
    if expected == 201:
        assert body["owner"] == owner


# Patch -------------------------------------------------------------------------------


@pytest.fixture
def j1(c1):
    return ProjectFactory(code="J1", customer=c1, contract_no="HT-1", payment_terms_days=30)


def patch(client, code="J1", **values):
    return json_of(client, "patch", f"/api/v1/projects/{code}", values)


def test_it_patches_a_project_and_audits_the_change(people, j1, api_for):
    status, body = patch(api_for(people.sales1), contract_no="HT-9", status="completed",
                         started_on="2026-01-01", completed_on="2026-06-30")  # fmt: skip

    assert status == 200
    assert (body["contract_no"], body["status"], body["completed_on"]) == (
        "HT-9",
        "completed",
        "2026-06-30",
    )
    entry = AuditEntry.objects.get(object_id=str(j1.pk), action="update")
    assert entry.changes["contract_no"] == ["HT-1", "HT-9"]


def test_it_clears_a_projects_plant_and_credit_limit_patched_to_null(people, j1, api_for):
    j1.plant = PlantFactory(code="PL01")
    j1.credit_limit = 1000
    j1.save()

    status, body = patch(api_for(people.sales1), plant=None, credit_limit=None)

    assert (status, body["plant"], body["credit_limit"]) == (200, None, None)


@pytest.mark.parametrize("field", ["name", "payment_terms_days", "status", "owner"])
def test_it_refuses_null_for_a_field_a_project_cannot_lack(field, people, j1, api_for):
    before = Project.objects.values().get(pk=j1.pk)

    status, body = patch(api_for(people.manager1), **{field: None})

    assert (status, error_fields(body)) == (422, {field})
    assert Project.objects.values().get(pk=j1.pk) == before


def test_it_refuses_a_completion_date_before_the_start_on_patch(people, j1, api_for):
    status, body = patch(api_for(people.sales1), started_on="2026-05-01", completed_on="2026-04-01")

    assert (status, error_fields(body)) == (422, {"completed_on"})


def test_it_forbids_a_salesperson_to_hand_a_project_to_someone_else(people, j1, api_for):
    assert patch(api_for(people.sales1), owner="sales2")[0] == 403
    j1.refresh_from_db()
    assert j1.owner == people.sales1


def test_it_lets_a_manager_move_a_project_only_within_the_team(people, j1, api_for):
    assert patch(api_for(people.manager1), owner="sales3")[0] == 422
    status, body = patch(api_for(people.manager1), owner="sales2")
    assert (status, body["owner"]) == (200, "sales2")


@pytest.mark.parametrize("persona", ["finance", "supply", "legal"])
def test_it_forbids_roles_without_archive_rights_to_patch_projects(persona, people, j1, api_for):
    assert patch(api_for(getattr(people, persona)), contract_no="X")[0] == 403
    j1.refresh_from_db()
    assert j1.contract_no == "HT-1"


def test_it_answers_404_when_patching_someone_elses_project(people, j1, api_for):
    assert patch(api_for(people.sales2), contract_no="X")[0] == 404
    assert patch(api_for(people.manager2), contract_no="X")[0] == 404


# List --------------------------------------------------------------------------------


@pytest.fixture
def projects(people, c1):
    plant = PlantFactory(code="PL02")
    c2 = CustomerFactory(code="C2", name="北京城建集团有限责任公司", owner=people.sales2)
    return [
        ProjectFactory(code="J1", customer=c1, name="光谷大道", contract_no="HT-100", plant=plant),
        ProjectFactory(code="J2", customer=c1, name="东湖隧道", status="completed"),
        ProjectFactory(code="J3", customer=c2, name="亦庄厂房", status="legal"),
    ]


def project_codes(client, **params):
    response = client.get("/api/v1/projects", params)
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["J1", "J2", "J3"]),
        ({"customer": "C1"}, ["J1", "J2"]),
        ({"status": "legal"}, ["J3"]),
        ({"owner": "sales2"}, ["J3"]),
        ({"plant": "PL02"}, ["J1"]),
        ({"q": "HT-100"}, ["J1"]),
        ({"q": "东湖"}, ["J2"]),
        ({"q": "城建"}, ["J3"]),  # by customer name
        ({"sort": "-code"}, ["J3", "J2", "J1"]),
    ],
)
def test_it_filters_and_sorts_the_project_list(params, expected, people, projects, api_for):
    assert project_codes(api_for(people.admin), **params) == expected


def test_it_pages_the_project_list(people, projects, api_for):
    body = api_for(people.admin).get("/api/v1/projects", {"page_size": 2, "page": 2}).json()

    assert (body["count"], body["page"], body["num_pages"]) == (3, 2, 2)
    assert [item["code"] for item in body["items"]] == ["J3"]


def test_it_rejects_an_unknown_project_filter_value(people, projects, api_for):
    status, body = json_of(api_for(people.admin), "get", "/api/v1/projects?status=paused")

    assert (status, error_fields(body)) == (422, {"status"})
