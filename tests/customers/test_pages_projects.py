"""Project pages: list (and its htmx partial), detail, create with tier defaults, edit."""

import pytest

from salesdesk.core.models import AuditEntry
from salesdesk.customers.models import Project
from tests.factories import CustomerFactory, PlantFactory, ProjectFactory


@pytest.fixture
def c1(people):
    return CustomerFactory(
        code="C1", name="中建三局有限公司", owner=people.sales1, tier="strategic"
    )


def project_data(**overrides):
    return {
        "code": "",
        "name": "光谷大道工程",
        "plant": "",
        "owner": "",
        "contract_no": "HT-7",
        "payment_terms_days": "",
        "credit_limit": "",
        "status": "active",
        "started_on": "",
        "completed_on": "",
    } | overrides


def test_it_lists_projects_and_answers_htmx_with_the_table_only(people, c1, page_for):
    ProjectFactory(code="P1", customer=c1, name="光谷大道工程")
    ProjectFactory(code="P2", customer=c1, name="东湖隧道工程", status="completed")
    client = page_for(people.sales1)

    full = client.get("/projects/?status=completed")
    partial = client.get("/projects/?status=completed", headers={"HX-Request": "true"})

    assert [p.code for p in full.context["page"].items] == ["P2"]
    assert "<html" in full.content.decode()
    assert partial.templates[0].name == "customers/_project_table.html"
    assert "<html" not in partial.content.decode()
    assert 'href="/projects/P2/"' in partial.content.decode()
    assert 'href="/projects/P1/"' not in partial.content.decode()


def test_it_creates_a_project_with_the_tier_policy_terms_and_the_customers_owner(
    people, c1, page_for
):
    response = page_for(people.manager1).post("/customers/C1/projects/new/", project_data())

    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.code}/"
    assert (project.code, project.customer, project.owner) == ("P000001", c1, people.sales1)
    assert (project.payment_terms_days, project.contract_no) == (90, "HT-7")
    entry = AuditEntry.objects.get(object_type="customers.project", object_id=str(project.pk))
    assert (entry.action, entry.actor) == ("create", people.manager1)
    detail = page_for(people.sales1).get(response["Location"])
    assert "90 days" in detail.content.decode()
    assert 'href="/customers/C1/"' in detail.content.decode()


def test_it_shows_project_errors_on_their_fields(people, c1, page_for):
    response = page_for(people.sales1).post(
        "/customers/C1/projects/new/",
        project_data(started_on="2026-05-01", completed_on="2026-04-01", credit_limit="-5"),
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"credit_limit", "completed_on"}
    assert not Project.objects.exists()


def test_it_refuses_a_project_owner_outside_the_users_scope(people, c1, page_for):
    response = page_for(people.sales1).post(
        "/customers/C1/projects/new/", project_data(owner=people.sales2.pk)
    )

    assert list(response.context["form"].errors) == ["owner"]
    assert not Project.objects.exists()


def test_it_refuses_a_taken_project_code(people, c1, page_for):
    ProjectFactory(code="P9", customer=c1)

    response = page_for(people.sales1).post("/customers/C1/projects/new/", project_data(code="P9"))

    assert list(response.context["form"].errors) == ["code"]
    assert Project.objects.count() == 1


def test_it_refuses_a_project_for_a_blacklisted_customer_on_the_page(people, c1, page_for):
    c1.status = "blacklisted"
    c1.save()
    client = page_for(people.sales1)

    response = client.post("/customers/C1/projects/new/", project_data())

    assert response.status_code == 200
    assert "The customer is blacklisted." in response.content.decode()
    assert not Project.objects.exists()
    assert 'href="/customers/C1/projects/new/"' not in client.get("/customers/C1/").content.decode()


@pytest.mark.parametrize("persona", ["finance", "supply", "legal"])
def test_it_forbids_project_create_and_edit_to_roles_without_archive_rights(
    persona, people, c1, page_for
):
    ProjectFactory(code="P1", customer=c1, contract_no="HT-1")
    client = page_for(getattr(people, persona))

    assert client.get("/customers/C1/projects/new/").status_code == 403
    assert client.post("/customers/C1/projects/new/", project_data()).status_code == 403
    assert client.get("/projects/P1/edit/").status_code == 403
    assert client.post("/projects/P1/edit/", project_data(contract_no="X")).status_code == 403
    assert list(Project.objects.values_list("contract_no", flat=True)) == ["HT-1"]
    assert 'href="/projects/P1/edit/"' not in client.get("/projects/P1/").content.decode()


def test_it_edits_a_project_and_keeps_its_code(people, c1, page_for):
    plant = PlantFactory(code="PL03")
    project = ProjectFactory(code="P1", customer=c1, payment_terms_days=90)
    client = page_for(people.sales1)
    assert client.get("/projects/P1/edit/").status_code == 200

    response = client.post(
        "/projects/P1/edit/",
        project_data(code="P-HACK", name="光谷大道二期", plant=plant.pk, owner=people.sales1.pk,
                     payment_terms_days="60", credit_limit="80000", started_on="2026-02-01"),
    )  # fmt: skip

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.code, project.name, project.plant, project.payment_terms_days) == (
        "P1",
        "光谷大道二期",
        plant,
        60,
    )
    assert str(project.credit_limit) == "80000.00"
    entry = AuditEntry.objects.get(object_id=str(project.pk), action="update")
    assert entry.changes["payment_terms_days"] == [90, 60]


def test_it_keeps_the_terms_when_the_edit_form_leaves_them_blank(people, c1, page_for):
    project = ProjectFactory(code="P1", customer=c1, payment_terms_days=45)

    page_for(people.sales1).post("/projects/P1/edit/", project_data(name="新名字"))

    project.refresh_from_db()
    assert (project.name, project.payment_terms_days, project.owner) == (
        "新名字",
        45,
        people.sales1,
    )


def test_it_lets_a_manager_hand_a_project_to_a_team_member_only(people, c1, page_for):
    project = ProjectFactory(code="P1", customer=c1)
    client = page_for(people.manager1)

    refused = client.post("/projects/P1/edit/", project_data(owner=people.sales3.pk))
    moved = client.post("/projects/P1/edit/", project_data(owner=people.sales2.pk))

    assert list(refused.context["form"].errors) == ["owner"]
    assert moved.status_code == 302
    project.refresh_from_db()
    assert project.owner == people.sales2


def test_it_offers_a_salesperson_no_one_else_as_project_owner(people, c1, page_for):
    ProjectFactory(code="P1", customer=c1)

    form = page_for(people.sales1).get("/projects/P1/edit/").context["form"]
    refused = page_for(people.sales1).post(
        "/projects/P1/edit/", project_data(owner=people.sales2.pk)
    )

    assert list(form.fields["owner"].queryset) == [people.sales1]
    assert list(refused.context["form"].errors) == ["owner"]
