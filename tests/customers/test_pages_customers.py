"""Customer pages: list with search, filters, sort and paging; the htmx partial; create,
edit, reassign, tier, contacts; every page's permission check."""

import re

import pytest

from salesdesk.core.models import AuditEntry
from salesdesk.customers.models import (
    Contact,
    Customer,
    CustomerOwnerChange,
    CustomerTierChange,
    Project,
)
from tests.customers.builders import bad_check_character, credit_code
from tests.factories import ContactFactory, CustomerFactory, ProjectFactory

# List --------------------------------------------------------------------------------


def row_codes(response) -> list[str]:
    """Customer codes in the table, in the order shown."""
    table = response.content.decode().split('id="customer-table"', 1)[1]
    return re.findall(r'<td class="nowrap"><a href="/customers/([^/]+)/">', table)


@pytest.fixture
def listed(people):
    CustomerFactory(code="L1", name="中建三局有限公司", owner=people.sales1, tier="strategic")
    CustomerFactory(code="L2", name="武汉城建有限公司", owner=people.sales1, status="prospect")
    CustomerFactory(code="L3", name="湖北路桥有限公司", owner=people.sales2, tier="key")


def test_it_renders_the_customer_list_with_its_filters(people, listed, page_for):
    response = page_for(people.manager1).get("/customers/")

    assert response.status_code == 200
    assert response.templates[0].name == "customers/customer_list.html"
    content = response.content.decode()
    assert '<input type="search" name="q"' in content
    for name in ("tier", "status", "owner", "plant"):
        assert f'<select name="{name}"' in content
    assert sorted(row_codes(response)) == ["L1", "L2", "L3"]
    assert "3 records" in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=zjsj", ["L1"]),
        ("q=城建", ["L2"]),
        ("tier=key", ["L3"]),
        ("tier=none", ["L2"]),
        ("status=prospect", ["L2"]),
        ("owner=sales2", ["L3"]),
        ("sort=-code", ["L3", "L2", "L1"]),
        ("sort=code&owner=sales1", ["L1", "L2"]),
    ],
)
def test_it_searches_filters_and_sorts_the_customer_list_page(
    query, expected, people, listed, page_for
):
    response = page_for(people.manager1).get(f"/customers/?{query}")

    found = row_codes(response)
    assert (found if "sort" in query else sorted(found)) == expected


def test_it_keeps_the_filters_in_the_sort_and_paging_links(people, page_for):
    for n in range(30):
        CustomerFactory(code=f"M{n:02d}", owner=people.sales1)
    client = page_for(people.sales1)

    first = client.get("/customers/?status=active&sort=code&page_size=25")
    second = client.get("/customers/?status=active&sort=code&page_size=25&page=2")

    assert row_codes(first) == [f"M{n:02d}" for n in range(25)]
    assert row_codes(second) == [f"M{n:02d}" for n in range(25, 30)]
    assert "page=2" in first.content.decode()
    assert "status=active&amp;sort=code&amp;page_size=25&amp;page=2" in first.content.decode()
    # The header of the sorted column sorts the other way, keeping the filters.
    assert "status=active&amp;page_size=25&amp;sort=-code" in first.content.decode()


def test_it_answers_an_htmx_request_with_the_table_only(people, listed, page_for):
    response = page_for(people.manager1).get("/customers/?q=zjsj", headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert response.templates[0].name == "customers/_customer_table.html"
    assert "<html" not in content and "<form" not in content
    assert 'id="customer-table"' in content
    assert row_codes(response) == ["L1"]


def test_it_shows_filter_errors_instead_of_an_unfiltered_list(people, listed, page_for):
    response = page_for(people.manager1).get("/customers/?tier=gold")

    assert response.status_code == 200
    assert row_codes(response) == []
    assert "No customers match." in response.content.decode()


def test_it_offers_new_customer_only_to_archive_editors(people, page_for):
    assert 'href="/customers/new/"' in page_for(people.sales1).get("/customers/").content.decode()
    for persona in (people.finance, people.supply, people.legal, people.nobody):
        content = page_for(persona).get("/customers/").content.decode()
        assert 'href="/customers/new/"' not in content


# Create ------------------------------------------------------------------------------


def form_data(owner, **overrides):
    return {
        "code": "",
        "name": "武汉新建材有限公司",
        "credit_code": credit_code(11),
        "industry": "建材",
        "region": "武汉",
        "address": "",
        "owner": owner.pk,
        "source": "trade_show",
        "status": "active",
        "credit_rating": "",
        "business_score": "",
    } | overrides


def test_it_creates_a_customer_from_the_form_and_audits_it(people, page_for):
    response = page_for(people.sales1).post("/customers/new/", form_data(people.sales1))

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.code}/"
    assert customer.code == "C000001"
    assert (customer.name, customer.owner, customer.source) == (
        "武汉新建材有限公司",
        people.sales1,
        "trade_show",
    )
    assert (customer.credit_rating, customer.business_score) == ("", None)
    entry = AuditEntry.objects.get(object_type="customers.customer", object_id=str(customer.pk))
    assert (entry.action, entry.actor) == ("create", people.sales1)


def test_it_numbers_customers_after_the_highest_existing_number(people, page_for):
    CustomerFactory(code="C000009", owner=people.sales1)
    CustomerFactory(code="C000010", owner=people.sales1)
    CustomerFactory(code="CX", owner=people.sales1)

    response = page_for(people.sales1).post("/customers/new/", form_data(people.sales1))

    assert response["Location"] == "/customers/C000011/"


def test_it_proposes_the_user_as_owner_of_a_new_customer(people, page_for):
    form = page_for(people.sales1).get("/customers/new/").context["form"]

    assert form["owner"].value() == people.sales1.pk
    assert list(form.fields["owner"].queryset) == [people.sales1]


def test_it_shows_an_invalid_credit_code_on_its_field(people, page_for):
    data = form_data(people.sales1, credit_code=bad_check_character(credit_code(11)))

    response = page_for(people.sales1).post("/customers/new/", data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["credit_code"]
    assert "check character does not match" in response.content.decode()
    assert not Customer.objects.exists()


def test_it_links_a_duplicate_credit_code_to_the_existing_customer(people, page_for):
    # The existing customer belongs to another team: the link is shown, the page stays 404.
    existing = CustomerFactory(code="OLD7", name="老客户有限公司", owner=people.sales3)

    response = page_for(people.sales1).post(
        "/customers/new/", form_data(people.sales1, credit_code=existing.credit_code)
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["credit_code"]
    assert 'href="/customers/OLD7/"' in response.content.decode()
    assert Customer.objects.count() == 1


def test_it_refuses_an_owner_outside_the_users_scope_on_the_form(people, page_for):
    sales = page_for(people.sales1).post("/customers/new/", form_data(people.sales2))
    manager = page_for(people.manager1).post("/customers/new/", form_data(people.sales3))

    assert list(sales.context["form"].errors) == ["owner"]
    assert list(manager.context["form"].errors) == ["owner"]
    assert not Customer.objects.exists()
    ok = page_for(people.manager1).post("/customers/new/", form_data(people.sales2))
    assert ok.status_code == 302
    assert Customer.objects.get().owner == people.sales2


def test_it_requires_a_name(people, page_for):
    response = page_for(people.sales1).post("/customers/new/", form_data(people.sales1, name=""))

    assert "name" in response.context["form"].errors
    assert not Customer.objects.exists()


@pytest.mark.parametrize("persona", ["finance", "supply", "legal", "nobody"])
def test_it_forbids_the_create_page_to_roles_without_archive_rights(persona, people, page_for):
    client = page_for(getattr(people, persona))

    assert client.get("/customers/new/").status_code == 403
    assert client.post("/customers/new/", form_data(people.sales1)).status_code == 403
    assert not Customer.objects.exists()


# Edit --------------------------------------------------------------------------------


@pytest.fixture
def c1(people):
    return CustomerFactory(code="C1", name="中建三局有限公司", owner=people.sales1, industry="建筑")


def edit_data(customer, **overrides):
    return {
        "name": customer.name,
        "credit_code": customer.credit_code,
        "industry": customer.industry,
        "region": customer.region,
        "address": customer.address,
        "source": customer.source,
        "status": customer.status,
        "credit_rating": customer.credit_rating,
        "business_score": customer.business_score or "",
    } | overrides


def test_it_edits_a_customer_and_audits_the_change(people, c1, page_for):
    client = page_for(people.sales1)
    assert client.get("/customers/C1/edit/").status_code == 200

    response = client.post(
        "/customers/C1/edit/", edit_data(c1, industry="市政", credit_rating="A", business_score=80)
    )

    assert response.status_code == 302
    assert response["Location"] == "/customers/C1/"
    c1.refresh_from_db()
    assert (c1.industry, c1.credit_rating, c1.business_score) == ("市政", "A", 80)
    entry = AuditEntry.objects.get(object_id=str(c1.pk), action="update")
    assert entry.changes["industry"] == ["建筑", "市政"]


def test_it_keeps_the_code_and_owner_fixed_on_the_edit_form(people, c1, page_for):
    response = page_for(people.manager1).post(
        "/customers/C1/edit/", edit_data(c1, code="HACK", owner=people.sales2.pk, region="襄阳")
    )

    assert response.status_code == 302
    c1.refresh_from_db()
    assert (c1.code, c1.owner, c1.region) == ("C1", people.sales1, "襄阳")


def test_it_shows_a_duplicate_credit_code_on_the_edit_form(people, c1, page_for):
    other = CustomerFactory(code="C2", name="另一家有限公司", owner=people.sales2)

    response = page_for(people.sales1).post(
        "/customers/C1/edit/", edit_data(c1, credit_code=other.credit_code)
    )

    assert list(response.context["form"].errors) == ["credit_code"]
    assert 'href="/customers/C2/"' in response.content.decode()
    c1.refresh_from_db()
    assert c1.credit_code != other.credit_code


@pytest.mark.parametrize("persona", ["finance", "supply", "legal"])
def test_it_forbids_the_edit_page_to_roles_without_archive_rights(persona, people, c1, page_for):
    client = page_for(getattr(people, persona))

    assert client.get("/customers/C1/edit/").status_code == 403
    assert client.post("/customers/C1/edit/", edit_data(c1, industry="X")).status_code == 403
    c1.refresh_from_db()
    assert c1.industry == "建筑"


# Reassign ----------------------------------------------------------------------------


@pytest.fixture
def history(people, c1):
    """C1 with contacts, two projects of sales1 and one of manager1, and an audit trail."""
    ContactFactory(customer=c1, name="王总", role="decision_maker")
    ProjectFactory(code="P1", customer=c1, owner=people.sales1)
    ProjectFactory(code="P2", customer=c1, owner=people.sales1)
    ProjectFactory(code="P3", customer=c1, owner=people.manager1)
    return c1


def test_it_reassigns_a_customer_with_its_history_intact(people, c1, history, page_for):
    page_for(people.sales1).post("/customers/C1/edit/", edit_data(c1, industry="市政"))
    audit_before = set(AuditEntry.objects.values_list("pk", flat=True))

    response = page_for(people.manager1).post(
        "/customers/C1/reassign/",
        {"owner": people.sales2.pk, "reason": "sales1 moved to Xiangyang", "with_projects": "on"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/customers/C1/"
    c1.refresh_from_db()
    assert c1.owner == people.sales2
    owners = dict(Project.objects.values_list("code", "owner__username"))
    assert owners == {"P1": "sales2", "P2": "sales2", "P3": "manager1"}
    change = CustomerOwnerChange.objects.get(customer=c1)
    assert (change.from_owner, change.to_owner, change.changed_by, change.reason) == (
        people.sales1,
        people.sales2,
        people.manager1,
        "sales1 moved to Xiangyang",
    )
    entry = AuditEntry.objects.exclude(pk__in=audit_before).get()
    assert (entry.action, entry.actor, entry.object_id) == ("reassign", people.manager1, str(c1.pk))
    assert entry.changes["projects_moved"] == [None, 2]
    # Nothing of the history is lost: contacts, earlier audit entries, the projects.
    assert audit_before <= set(AuditEntry.objects.values_list("pk", flat=True))
    assert list(c1.contacts.values_list("name", flat=True)) == ["王总"]
    detail = page_for(people.sales2).get("/customers/C1/")
    assert {p.code for p in detail.context["projects"]} == {"P1", "P2"}
    assert {e.action for e in detail.context["audit"]} >= {"update", "reassign"}
    assert page_for(people.sales1).get("/customers/C1/").status_code == 404


def test_it_can_reassign_a_customer_without_its_projects(people, c1, history, page_for):
    page_for(people.manager1).post(
        "/customers/C1/reassign/", {"owner": people.sales2.pk, "reason": "split"}
    )

    c1.refresh_from_db()
    assert c1.owner == people.sales2
    assert set(Project.objects.values_list("owner__username", flat=True)) == {"sales1", "manager1"}


def test_it_requires_a_reason_to_reassign(people, c1, page_for):
    response = page_for(people.manager1).post(
        "/customers/C1/reassign/", {"owner": people.sales2.pk, "reason": ""}
    )

    assert list(response.context["form"].errors) == ["reason"]
    c1.refresh_from_db()
    assert c1.owner == people.sales1


def test_it_lets_a_manager_reassign_only_within_the_team(people, c1, page_for):
    client = page_for(people.manager1)
    offered = set(client.get("/customers/C1/reassign/").context["form"].fields["owner"].queryset)

    response = client.post("/customers/C1/reassign/", {"owner": people.sales3.pk, "reason": "x"})

    assert offered == {people.manager1, people.sales1, people.sales2}
    assert list(response.context["form"].errors) == ["owner"]
    c1.refresh_from_db()
    assert c1.owner == people.sales1
    assert not CustomerOwnerChange.objects.exists()


def test_it_lets_marketing_reassign_across_teams(people, c1, page_for):
    response = page_for(people.marketing).post(
        "/customers/C1/reassign/", {"owner": people.sales3.pk, "reason": "territory"}
    )

    assert response.status_code == 302
    c1.refresh_from_db()
    assert c1.owner == people.sales3


@pytest.mark.parametrize("persona", ["sales1", "finance", "supply", "legal"])
def test_it_forbids_reassigning_to_everyone_else(persona, people, c1, page_for):
    client = page_for(getattr(people, persona))

    assert client.get("/customers/C1/reassign/").status_code == 403
    response = client.post("/customers/C1/reassign/", {"owner": people.sales1.pk, "reason": "x"})
    assert response.status_code == 403
    assert not CustomerOwnerChange.objects.exists()


def test_it_offers_the_reassign_and_tier_buttons_only_to_those_allowed(people, c1, page_for):
    def buttons(user):
        content = page_for(user).get("/customers/C1/").content.decode()
        return {
            name
            for name, path in (("edit", "edit"), ("reassign", "reassign"), ("tier", "tier"))
            if f'href="/customers/C1/{path}/"' in content
        }

    assert buttons(people.sales1) == {"edit"}
    assert buttons(people.manager1) == {"edit", "reassign", "tier"}
    assert buttons(people.marketing) == {"edit", "reassign"}
    assert buttons(people.finance) == set()
    assert buttons(people.admin) == {"edit", "reassign", "tier"}


# Tier --------------------------------------------------------------------------------


def test_it_locks_a_tier_with_a_reason_and_keeps_the_history(people, c1, page_for):
    response = page_for(people.manager1).post(
        "/customers/C1/tier/", {"tier": "strategic", "locked": "on", "reason": "flagship project"}
    )

    assert response.status_code == 302
    c1.refresh_from_db()
    assert (c1.tier, c1.tier_locked, c1.tier_lock_reason) == ("strategic", True, "flagship project")
    change = CustomerTierChange.objects.get(customer=c1)
    assert (change.from_tier, change.to_tier, change.locked, change.changed_by) == (
        "",
        "strategic",
        True,
        people.manager1,
    )
    assert AuditEntry.objects.filter(object_id=str(c1.pk), action="set_tier").count() == 1
    content = page_for(people.sales1).get("/customers/C1/").content.decode()
    assert "Tier locked" in content and "flagship project" in content


def test_it_refuses_to_lock_a_tier_without_a_reason(people, c1, page_for):
    response = page_for(people.manager1).post(
        "/customers/C1/tier/", {"tier": "key", "locked": "on", "reason": "  "}
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["reason"]
    c1.refresh_from_db()
    assert (c1.tier, c1.tier_locked) == ("", False)
    assert not CustomerTierChange.objects.exists()


def test_it_sets_an_unlocked_tier_without_a_reason(people, c1, page_for):
    response = page_for(people.admin).post("/customers/C1/tier/", {"tier": "key", "reason": ""})

    assert response.status_code == 302
    c1.refresh_from_db()
    assert (c1.tier, c1.tier_locked) == ("key", False)


@pytest.mark.parametrize("persona", ["sales1", "marketing", "finance", "supply", "legal"])
def test_it_forbids_setting_a_tier_to_everyone_but_managers_and_admin(
    persona, people, c1, page_for
):
    client = page_for(getattr(people, persona))

    assert client.get("/customers/C1/tier/").status_code == 403
    data = {"tier": "strategic", "locked": "on", "reason": "x"}
    assert client.post("/customers/C1/tier/", data).status_code == 403
    c1.refresh_from_db()
    assert c1.tier == ""


# Contacts and the decision-maker warning -----------------------------------------------

NO_DECISION_MAKER = "No contact with decision authority is known"


def test_it_warns_when_no_decision_maker_is_known(people, c1, page_for):
    client = page_for(people.sales1)
    ContactFactory(customer=c1, name="李工", role="technical")
    assert NO_DECISION_MAKER in client.get("/customers/C1/").content.decode()

    response = client.post(
        "/customers/C1/contacts/new/",
        {"name": "王总", "title": "总经理", "role": "decision_maker", "phone": "", "email": ""},
    )

    assert response.status_code == 302
    assert response["Location"] == "/customers/C1/#contacts"
    assert NO_DECISION_MAKER not in client.get("/customers/C1/").content.decode()


def test_it_counts_a_contact_with_decision_authority_as_a_decision_maker(people, c1, page_for):
    ContactFactory(customer=c1, name="采购张", role="procurement", decision_authority=True)

    assert NO_DECISION_MAKER not in page_for(people.sales1).get("/customers/C1/").content.decode()


def test_it_adds_and_edits_a_contact(people, c1, page_for):
    client = page_for(people.sales1)
    client.post("/customers/C1/contacts/new/", {"name": "李工", "role": "technical"})
    contact = Contact.objects.get(customer=c1)

    response = client.post(
        f"/customers/C1/contacts/{contact.pk}/",
        {"name": "李总工", "role": "technical", "title": "总工程师", "phone": "13800000000"},
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.title, contact.phone) == ("李总工", "总工程师", "13800000000")
    actions = list(
        AuditEntry.objects.filter(object_id=str(c1.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["add_contact", "update_contact"]


def test_it_refuses_to_rename_a_contact_to_a_name_taken_at_that_customer(people, c1, page_for):
    ContactFactory(customer=c1, name="王总")
    other = ContactFactory(customer=c1, name="李工")

    response = page_for(people.sales1).post(
        f"/customers/C1/contacts/{other.pk}/", {"name": "王总", "role": "technical"}
    )

    assert list(response.context["form"].errors) == ["name"]
    other.refresh_from_db()
    assert other.name == "李工"


def test_it_answers_404_for_a_contact_of_another_customer(people, c1, page_for):
    foreign = ContactFactory(customer=CustomerFactory(owner=people.sales1), name="外人")

    response = page_for(people.sales1).get(f"/customers/C1/contacts/{foreign.pk}/")

    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["finance", "supply", "legal"])
def test_it_forbids_contact_pages_to_roles_without_archive_rights(persona, people, c1, page_for):
    contact = ContactFactory(customer=c1, name="王总")
    client = page_for(getattr(people, persona))

    assert client.get("/customers/C1/contacts/new/").status_code == 403
    assert client.post("/customers/C1/contacts/new/", {"name": "新人"}).status_code == 403
    assert client.post(f"/customers/C1/contacts/{contact.pk}/", {"name": "改名"}).status_code == 403
    assert list(Contact.objects.values_list("name", flat=True)) == ["王总"]


def test_it_shows_the_tier_policy_on_the_detail_page(people, c1, page_for):
    c1.tier = "strategic"
    c1.save()

    response = page_for(people.sales1).get("/customers/C1/")

    assert response.context["tier_policy"]["payment_terms_days"] == 90
    assert "90 days" in response.content.decode()
    assert "at least 2 a month" in response.content.decode()
