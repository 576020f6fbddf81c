"""The customers API: list, filters, detail, idempotent create, patch, contacts."""

import pytest

from salesdesk.core.models import AuditEntry
from salesdesk.customers.models import Contact, Customer, CustomerOwnerChange, Project
from tests.customers.builders import bad_check_character, credit_code, error_fields, json_of
from tests.factories import CustomerFactory, PlantFactory, ProjectFactory

# List, pagination, filters ----------------------------------------------------------


def test_it_pages_the_customer_list_with_count_page_and_page_size(people, api_for):
    for n in range(7):
        CustomerFactory(code=f"K{n}", name=f"客户{n}", owner=people.sales1)
    api = api_for(people.sales1)

    first = api.get("/api/v1/customers", {"page_size": 3}).json()
    second = api.get("/api/v1/customers", {"page_size": 3, "page": 2}).json()
    third = api.get("/api/v1/customers", {"page_size": 3, "page": 3}).json()

    assert (first["count"], first["page"], first["page_size"], first["num_pages"]) == (7, 1, 3, 3)
    assert (second["page"], third["page"]) == (2, 3)
    assert [len(p["items"]) for p in (first, second, third)] == [3, 3, 1]
    codes = [item["code"] for p in (first, second, third) for item in p["items"]]
    assert codes == [f"K{n}" for n in range(7)]  # by name, each once


def test_it_defaults_to_50_a_page_and_caps_the_page_size_at_500(people, api_for):
    CustomerFactory(owner=people.sales1)
    api = api_for(people.sales1)

    assert api.get("/api/v1/customers").json()["page_size"] == 50
    assert api.get("/api/v1/customers", {"page_size": 100000}).json()["page_size"] == 500
    assert api.get("/api/v1/customers", {"page_size": 0}).json()["page_size"] == 1


def test_it_returns_the_last_page_for_a_page_number_past_the_end(people, api_for):
    for _ in range(3):
        CustomerFactory(owner=people.sales1)

    body = api_for(people.sales1).get("/api/v1/customers", {"page_size": 2, "page": 9}).json()

    assert (body["page"], len(body["items"])) == (2, 1)


@pytest.fixture
def named(people):
    plant = PlantFactory(code="PL07", name="七号站")
    zjsj = CustomerFactory(
        code="A1", name="中建三局有限公司", owner=people.sales1, tier="strategic",
        region="武汉", status="active",
    )  # fmt: skip
    bjcj = CustomerFactory(
        code="A2", name="北京城建集团有限责任公司", owner=people.sales2, tier="key",
        region="北京", status="prospect",
    )  # fmt: skip
    shsd = CustomerFactory(
        code="A3", name="上海隧道工程股份有限公司", owner=people.sales3, tier="",
        region="上海", status="dormant",
    )  # fmt: skip
    ProjectFactory(customer=zjsj, plant=plant)
    ProjectFactory(customer=shsd)
    return {"zjsj": zjsj, "bjcj": bjcj, "shsd": shsd}


def codes(client, **params):
    response = client.get("/api/v1/customers", params)
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "zjsj"}, ["A1"]),  # pinyin initials of 中建三局
        ({"q": "ZJSJ"}, ["A1"]),
        ({"q": "中建"}, ["A1"]),
        ({"q": "北京城建集團"}, ["A2"]),  # traditional spelling, legal form dropped
        ({"q": "a3"}, ["A3"]),  # code, any case
        ({"q": "  "}, ["A1", "A2", "A3"]),
        ({"tier": "strategic"}, ["A1"]),
        ({"tier": "key"}, ["A2"]),
        ({"tier": "none"}, ["A3"]),
        ({"status": "prospect"}, ["A2"]),
        ({"status": "dormant"}, ["A3"]),
        ({"owner": "sales2"}, ["A2"]),
        ({"plant": "PL07"}, ["A1"]),
        ({"region": "上海"}, ["A3"]),
        ({"tier": "strategic", "region": "北京"}, []),
        ({"sort": "code"}, ["A1", "A2", "A3"]),
        ({"sort": "-code"}, ["A3", "A2", "A1"]),
        ({"sort": "owner"}, ["A1", "A2", "A3"]),
        ({"sort": "-owner"}, ["A3", "A2", "A1"]),
    ],
)
def test_it_filters_and_sorts_the_customer_list(params, expected, people, named, api_for):
    found = codes(api_for(people.admin), **params)

    # Without a sort the order is by name, whose collation differs between databases.
    assert (found if "sort" in params else sorted(found)) == expected


def test_it_sorts_by_region_and_status(people, api_for):
    for code, region, status in [
        ("R1", "b", "active"),
        ("R2", "c", "dormant"),
        ("R3", "a", "prospect"),
    ]:
        CustomerFactory(code=code, region=region, status=status, owner=people.sales1)
    api = api_for(people.sales1)

    assert codes(api, sort="region") == ["R3", "R1", "R2"]
    assert codes(api, sort="-region") == ["R2", "R1", "R3"]
    assert codes(api, sort="-status") == ["R3", "R2", "R1"]


def test_it_finds_a_customer_by_its_credit_code(people, named, api_for):
    assert codes(api_for(people.admin), q=named["bjcj"].credit_code.lower()) == ["A2"]


def test_it_filters_only_within_what_the_caller_may_see(people, named, api_for):
    assert codes(api_for(people.sales1), owner="sales2") == []
    assert codes(api_for(people.sales1), q="bjcj") == []
    assert codes(api_for(people.manager1), q="bjcj") == ["A2"]


@pytest.mark.parametrize("params", [{"tier": "gold"}, {"owner": "ghost"}, {"sort": "credit"}])
def test_it_rejects_an_unknown_filter_value_with_422_naming_it(params, people, named, api_for):
    status, body = json_of(api_for(people.admin), "get", "/api/v1/customers?" + "&".join(
        f"{k}={v}" for k, v in params.items()
    ))  # fmt: skip

    assert status == 422
    assert error_fields(body) == set(params)


@pytest.mark.parametrize("sort", ["status", "-status", "owner", "tier"])
def test_it_lists_each_customer_once_when_paging_through_a_sort_with_ties(sort, people, api_for):
    # Enough rows that PostgreSQL's top-N sort orders ties differently page by page.
    Customer.objects.bulk_create(
        CustomerFactory.build(
            code=f"T{n:03d}", owner=people.sales1, status=("active", "dormant")[n % 2]
        )
        for n in range(300)
    )
    api = api_for(people.sales1)

    seen = []
    for page in range(1, 16):
        body = api.get("/api/v1/customers", {"sort": sort, "page_size": 20, "page": page})
        seen += [item["code"] for item in body.json()["items"]]

    assert sorted(seen) == [f"T{n:03d}" for n in range(300)]


# Detail --------------------------------------------------------------------------------


def test_it_returns_a_customer_by_code(people, api_for):
    customer = CustomerFactory(
        code="D1", name="武汉建工有限公司", owner=people.sales1, industry="建筑", region="武汉",
        credit_rating="B", business_score=70, source="tender",
    )  # fmt: skip

    status, body = json_of(api_for(people.sales1), "get", "/api/v1/customers/D1")

    assert status == 200
    assert body | {"created_at": None, "updated_at": None} == {
        "code": "D1",
        "name": "武汉建工有限公司",
        "credit_code": customer.credit_code,
        "industry": "建筑",
        "region": "武汉",
        "address": "",
        "owner": "sales1",
        "source": "tender",
        "status": "active",
        "credit_rating": "B",
        "business_score": 70,
        "tier": "",
        "tier_locked": False,
        "tier_lock_reason": "",
        "created_at": None,
        "updated_at": None,
    }


def test_it_answers_404_for_an_unknown_code(people, api_for):
    assert api_for(people.admin).get("/api/v1/customers/NOPE").status_code == 404


# Create ------------------------------------------------------------------------------


def payload(**overrides):
    return {
        "code": "N1",
        "name": "武汉新客户有限公司",
        "credit_code": credit_code(1),
        "region": "武汉",
        "source": "customer_referral",
    } | overrides


def test_it_creates_a_customer_owned_by_the_caller_and_audits_it(people, api_for):
    status, body = json_of(api_for(people.sales1), "post", "/api/v1/customers", payload())

    assert status == 201
    assert (body["code"], body["owner"], body["status"]) == ("N1", "sales1", "active")
    customer = Customer.objects.get(code="N1")
    assert customer.search_key.split()[-1] == "whxkh"  # pinyin initials kept for search
    entry = AuditEntry.objects.get(object_type="customers.customer", object_id=str(customer.pk))
    assert (entry.action, entry.actor) == ("create", people.sales1)
    assert entry.changes["name"] == [None, "武汉新客户有限公司"]


def test_it_treats_the_same_post_twice_as_one_customer(people, api_for):
    api = api_for(people.sales1)

    first = api.post("/api/v1/customers", payload(), content_type="application/json")
    second = api.post("/api/v1/customers", payload(), content_type="application/json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Customer.objects.filter(code="N1").count() == 1
    assert AuditEntry.objects.filter(object_type="customers.customer", action="create").count() == 1


def test_it_answers_409_to_the_same_code_with_different_content(people, api_for):
    api = api_for(people.sales1)
    api.post("/api/v1/customers", payload(), content_type="application/json")

    status, body = json_of(api, "post", "/api/v1/customers", payload(name="另一家公司"))

    assert status == 409
    assert "N1" in body["detail"]
    assert Customer.objects.get(code="N1").name == "武汉新客户有限公司"


def test_it_answers_409_when_the_code_belongs_to_a_customer_the_caller_cannot_see(people, api_for):
    CustomerFactory(code="N1", owner=people.sales3)

    status, _body = json_of(api_for(people.sales1), "post", "/api/v1/customers", payload())

    assert status == 409
    assert Customer.objects.get(code="N1").owner == people.sales3


def test_it_normalises_the_credit_code(people, api_for):
    code = credit_code(2)
    spaced = f" {code[:6].lower()}-{code[6:].lower()} "

    status, body = json_of(
        api_for(people.sales1), "post", "/api/v1/customers", payload(credit_code=spaced)
    )

    assert status == 201
    assert body["credit_code"] == code


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("91110105", "18 characters"),
        (bad_check_character(credit_code(3)), "check character"),
        ("9111000080210043IB", "cannot have"),  # a letter no credit code contains
    ],
)
def test_it_rejects_an_invalid_credit_code_with_422_naming_the_field(bad, why, people, api_for):
    status, body = json_of(
        api_for(people.sales1), "post", "/api/v1/customers", payload(credit_code=bad)
    )

    assert status == 422
    assert error_fields(body) == {"credit_code"}
    assert why in body["detail"][0]["message"]
    assert not Customer.objects.exists()


def test_it_rejects_a_duplicate_credit_code_naming_the_existing_customer(people, api_for):
    existing = CustomerFactory(code="OLD1", name="老客户有限公司", owner=people.sales3)

    status, body = json_of(
        api_for(people.sales1),
        "post",
        "/api/v1/customers",
        payload(credit_code=existing.credit_code),
    )

    assert status == 422
    assert error_fields(body) == {"credit_code"}
    assert "OLD1" in body["detail"][0]["message"]
    assert not Customer.objects.filter(code="N1").exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"business_score": 101},
        {"status": "sleeping"},
        {"source": "rumour"},
        {"credit_rating": "E"},
        {"name": ""},
        {"code": ""},
    ],
)
def test_it_rejects_malformed_fields_with_422(overrides, people, api_for):
    response = api_for(people.sales1).post(
        "/api/v1/customers", payload(**overrides), content_type="application/json"
    )

    assert response.status_code == 422
    (field,) = overrides
    assert any(field in error["loc"] for error in response.json()["detail"])
    assert not Customer.objects.exists()


def test_it_rejects_a_name_of_only_spaces(people, api_for):
    status, body = json_of(api_for(people.sales1), "post", "/api/v1/customers", payload(name="   "))

    assert status == 422
    assert error_fields(body) == {"name"}


@pytest.mark.parametrize("persona", ["finance", "supply", "legal", "nobody"])
def test_it_forbids_roles_without_archive_rights_to_create_customers(persona, people, api_for):
    response = api_for(getattr(people, persona)).post(
        "/api/v1/customers", payload(), content_type="application/json"
    )

    assert response.status_code == 403
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("persona", "owner", "expected"),
    [
        ("sales1", "sales1", 201),
        ("sales1", "sales2", 422),
        ("sales1", "manager1", 422),
        ("manager1", "sales2", 201),
        ("manager1", "manager1", 201),
        ("manager1", "sales3", 422),
        ("marketing", "sales3", 201),
        ("admin", "manager2", 201),
        ("admin", "finance", 422),  # only salespeople and managers own customers
        ("admin", "ghost", 422),
    ],
)
def test_it_lets_a_user_assign_a_new_customer_only_within_their_scope(
    persona, owner, expected, people, api_for
):
    status, body = json_of(
        api_for(getattr(people, persona)), "post", "/api/v1/customers", payload(owner=owner)
    )

    assert status == expected
    if expected == 201:
        assert body["owner"] == owner
    else:
        assert error_fields(body) == {"owner"}
        assert not Customer.objects.exists()


# Patch -------------------------------------------------------------------------------


def patch(client, code, **values):
    return json_of(client, "patch", f"/api/v1/customers/{code}", values)


def test_it_patches_only_the_fields_sent_and_audits_the_change(people, api_for):
    customer = CustomerFactory(code="E1", owner=people.sales1, industry="建筑", region="武汉")

    status, body = patch(api_for(people.sales1), "E1", industry="市政", address="解放大道 1 号")

    assert status == 200
    assert (body["industry"], body["address"], body["region"]) == ("市政", "解放大道 1 号", "武汉")
    entry = AuditEntry.objects.get(object_id=str(customer.pk), action="update")
    assert entry.changes == {"industry": ["建筑", "市政"], "address": ["", "解放大道 1 号"]}


def test_it_refreshes_the_search_key_when_the_name_changes(people, api_for):
    CustomerFactory(code="E1", name="旧名字有限公司", owner=people.sales1)
    api = api_for(people.sales1)

    patch(api, "E1", name="中建三局有限公司")

    assert codes(api, q="zjsj") == ["E1"]
    assert codes(api, q="jmz") == []


def test_it_clears_an_optional_field_patched_to_null(people, api_for):
    CustomerFactory(code="E1", owner=people.sales1, industry="建筑", credit_rating="A")

    status, body = patch(api_for(people.sales1), "E1", industry=None, credit_rating=None)

    assert status == 200
    assert (body["industry"], body["credit_rating"]) == ("", "")


@pytest.mark.parametrize("field", ["name", "status", "owner"])
def test_it_refuses_null_for_a_field_a_customer_cannot_lack(field, people, api_for):
    customer = CustomerFactory(code="E1", owner=people.sales1, name="原名有限公司")

    status, body = patch(api_for(people.manager1), "E1", **{field: None})

    assert status == 422
    assert error_fields(body) == {field}
    customer.refresh_from_db()
    assert (customer.name, customer.status, customer.owner) == (
        "原名有限公司",
        "active",
        people.sales1,
    )


def test_it_rejects_an_invalid_or_duplicate_credit_code_on_patch(people, api_for):
    other = CustomerFactory(code="E2", owner=people.sales3)
    customer = CustomerFactory(code="E1", owner=people.sales1)
    api = api_for(people.sales1)

    invalid = patch(api, "E1", credit_code=bad_check_character(customer.credit_code))
    duplicate = patch(api, "E1", credit_code=other.credit_code)
    same = patch(api, "E1", credit_code=customer.credit_code)

    assert (invalid[0], error_fields(invalid[1])) == (422, {"credit_code"})
    assert (duplicate[0], error_fields(duplicate[1])) == (422, {"credit_code"})
    assert same[0] == 200
    assert Customer.objects.get(code="E1").credit_code == customer.credit_code


def test_it_answers_404_when_patching_someone_elses_customer(people, api_for):
    CustomerFactory(code="E1", owner=people.sales2, industry="建筑")

    status, _ = patch(api_for(people.sales1), "E1", industry="市政")

    assert status == 404
    assert Customer.objects.get(code="E1").industry == "建筑"


@pytest.mark.parametrize("persona", ["finance", "supply", "legal"])
def test_it_forbids_roles_without_archive_rights_to_patch(persona, people, api_for):
    CustomerFactory(code="E1", owner=people.sales1, industry="建筑")

    status, _ = patch(api_for(getattr(people, persona)), "E1", industry="市政")

    assert status == 403
    assert Customer.objects.get(code="E1").industry == "建筑"


def test_it_forbids_a_salesperson_to_reassign_through_patch(people, api_for):
    CustomerFactory(code="E1", owner=people.sales1)

    status, _ = patch(api_for(people.sales1), "E1", owner="sales2", industry="市政")

    assert status == 403
    customer = Customer.objects.get(code="E1")
    assert (customer.owner, customer.industry) == (people.sales1, "")


def test_it_lets_a_manager_reassign_within_the_team_through_patch(people, api_for):
    customer = CustomerFactory(code="E1", owner=people.sales1)
    project = ProjectFactory(customer=customer)

    status, body = patch(api_for(people.manager1), "E1", owner="sales2")

    assert (status, body["owner"]) == (200, "sales2")
    project.refresh_from_db()
    assert project.owner == people.sales2
    assert CustomerOwnerChange.objects.get(customer=customer).to_owner == people.sales2


def test_it_refuses_a_manager_reassigning_outside_the_team_and_changes_nothing(people, api_for):
    CustomerFactory(code="E1", owner=people.sales1, industry="建筑")

    status, body = patch(api_for(people.manager1), "E1", owner="sales3", industry="市政")

    assert (status, error_fields(body)) == (422, {"owner"})
    customer = Customer.objects.get(code="E1")
    assert (customer.owner, customer.industry) == (people.sales1, "建筑")
    assert not CustomerOwnerChange.objects.exists()


# Contacts ----------------------------------------------------------------------------


def contact(client, code, **values):
    return json_of(client, "post", f"/api/v1/customers/{code}/contacts", values)


def test_it_adds_a_contact_then_updates_the_one_of_the_same_name(people, api_for):
    CustomerFactory(code="F1", owner=people.sales1)
    api = api_for(people.sales1)

    created = contact(api, "F1", name="王 经理", title="项目经理", role="manager")
    updated = contact(api, "F1", name="王  经理", title="总经理", role="decision_maker",
                      decision_authority=True)  # fmt: skip
    listed = api.get("/api/v1/customers/F1/contacts").json()

    assert created[0] == 201
    assert updated[0] == 200
    assert created[1]["id"] == updated[1]["id"]
    assert listed == [
        {
            "id": created[1]["id"],
            "name": "王 经理",
            "title": "总经理",
            "phone": "",
            "email": "",
            "role": "decision_maker",
            "decision_authority": True,
        }
    ]


def test_it_rejects_a_contact_with_an_unknown_buying_role_or_no_name(people, api_for):
    CustomerFactory(code="F1", owner=people.sales1)
    api = api_for(people.sales1)

    assert contact(api, "F1", name="张三", role="boss")[0] == 422
    status, body = contact(api, "F1", name="   ")
    assert (status, error_fields(body)) == (422, {"name"})
    assert not Contact.objects.exists()


@pytest.mark.parametrize("persona", ["finance", "supply", "legal"])
def test_it_forbids_roles_without_archive_rights_to_add_contacts(persona, people, api_for):
    CustomerFactory(code="F1", owner=people.sales1)

    status, _ = contact(api_for(getattr(people, persona)), "F1", name="张三")

    assert status == 403
    assert not Contact.objects.exists()


def test_it_answers_404_when_adding_a_contact_to_someone_elses_customer(people, api_for):
    CustomerFactory(code="F1", owner=people.sales3)

    assert contact(api_for(people.sales1), "F1", name="张三")[0] == 404
    assert contact(api_for(people.manager1), "F1", name="张三")[0] == 404
    assert not Contact.objects.exists()


def test_it_keeps_projects_untouched_when_a_customer_is_patched(people, api_for):
    customer = CustomerFactory(code="G1", owner=people.sales1)
    ProjectFactory(code="GP1", customer=customer, payment_terms_days=45)

    patch(api_for(people.sales1), "G1", status="dormant")

    assert Project.objects.get(code="GP1").payment_terms_days == 45
    assert Customer.objects.get(code="G1").status == "dormant"
