"""Who sees which customers and projects (DOMAIN §1, DESIGN convention 3).

A salesperson sees what they own, a manager their team's, marketing, finance, supply,
legal and admin everything, a user without a role nothing. Out-of-scope records answer
404, never the record and never 403.
"""

import pytest
from django.test import Client
from django.utils import timezone

ALL = {"C1", "C2", "C3", "CM1", "CM2"}
VISIBLE = {
    "sales1": {"C1"},
    "sales2": {"C2"},
    "sales3": {"C3"},
    "manager1": {"C1", "C2", "CM1"},
    "manager2": {"C3", "CM2"},
    "finance": ALL,
    "marketing": ALL,
    "supply": ALL,
    "legal": ALL,
    "admin": ALL,
    "nobody": set(),
}
PERSONAS = sorted(VISIBLE)


def project_code(customer_code: str) -> str:
    return "P" + customer_code[1:]


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lists_through_the_api_only_the_customers_a_user_may_see(
    persona, people, archive, api_for
):
    response = api_for(getattr(people, persona)).get("/api/v1/customers")

    assert response.status_code == 200
    body = response.json()
    assert {item["code"] for item in body["items"]} == VISIBLE[persona]
    assert body["count"] == len(VISIBLE[persona])


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lists_through_the_api_only_the_projects_a_user_may_see(
    persona, people, archive, api_for
):
    response = api_for(getattr(people, persona)).get("/api/v1/projects")

    assert response.status_code == 200
    body = response.json()
    assert {item["code"] for item in body["items"]} == {project_code(c) for c in VISIBLE[persona]}
    assert body["count"] == len(VISIBLE[persona])


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_answers_api_detail_requests_for_visible_records_and_404_for_the_rest(
    persona, people, archive, api_for
):
    api = api_for(getattr(people, persona))

    for code in sorted(ALL):
        customer = api.get(f"/api/v1/customers/{code}")
        project = api.get(f"/api/v1/projects/{project_code(code)}")
        contacts = api.get(f"/api/v1/customers/{code}/contacts")
        expected = 200 if code in VISIBLE[persona] else 404
        assert (customer.status_code, project.status_code, contacts.status_code) == (
            expected,
            expected,
            expected,
        ), code
        if expected == 200:
            assert customer.json()["code"] == code
            assert project.json()["code"] == project_code(code)
        else:
            assert customer.json() == {"detail": "Not found."}


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lists_on_the_pages_only_the_records_a_user_may_see(persona, people, archive, page_for):
    client = page_for(getattr(people, persona))

    customers = client.get("/customers/")
    projects = client.get("/projects/")

    assert customers.status_code == projects.status_code == 200
    assert {c.code for c in customers.context["page"].items} == VISIBLE[persona]
    assert {p.code for p in projects.context["page"].items} == {
        project_code(c) for c in VISIBLE[persona]
    }
    content = customers.content.decode()
    for code in ALL:
        assert (f'href="/customers/{code}/"' in content) == (code in VISIBLE[persona])


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_shows_detail_pages_of_visible_records_and_404_for_the_rest(
    persona, people, archive, page_for
):
    client = page_for(getattr(people, persona))

    for code in sorted(ALL):
        expected = 200 if code in VISIBLE[persona] else 404
        assert client.get(f"/customers/{code}/").status_code == expected, code
        assert client.get(f"/projects/{project_code(code)}/").status_code == expected, code


@pytest.mark.parametrize(
    "path",
    [
        "/customers/C1/edit/",
        "/customers/C1/reassign/",
        "/customers/C1/tier/",
        "/customers/C1/contacts/new/",
        "/customers/C1/projects/new/",
        "/projects/P1/edit/",
    ],
)
def test_it_answers_404_not_403_on_every_page_of_a_record_out_of_scope(
    path, people, archive, page_for
):
    # Only sales1's manager and the company-wide roles may know C1 exists.
    for persona in (people.sales2, people.sales3, people.manager2, people.nobody):
        assert page_for(persona).get(path).status_code == 404, persona.username
        assert page_for(persona).post(path, {}).status_code == 404, persona.username


def test_it_shows_the_home_counts_of_what_the_user_may_see(people, archive, page_for):
    sales1 = page_for(people.sales1).get("/").context["counts"]
    manager1 = page_for(people.manager1).get("/").context["counts"]
    finance = page_for(people.finance).get("/").context["counts"]
    nobody = page_for(people.nobody).get("/").context["counts"]

    assert sales1["customers"]["total"] == sales1["projects"]["total"] == 1
    assert manager1["customers"]["total"] == manager1["projects"]["total"] == 3
    assert finance["customers"]["total"] == finance["projects"]["total"] == 5
    assert nobody["customers"]["total"] == nobody["projects"]["total"] == 0


def test_it_lets_a_teammate_see_their_project_on_a_colleagues_customer_without_the_customer(
    people, archive, page_for, api_for
):
    from tests.factories import ProjectFactory

    ProjectFactory(code="PX", customer=archive.c1, owner=people.sales2)

    page = page_for(people.sales2).get("/projects/PX/")
    assert page.status_code == 200
    assert page.context["customer_visible"] is False
    assert 'href="/customers/C1/"' not in page.content.decode()
    assert api_for(people.sales2).get("/api/v1/projects/PX").status_code == 200
    assert api_for(people.sales2).get("/api/v1/customers/C1").status_code == 404
    # ...and the customer's owner does not see the teammate's project on their customer.
    codes = {p.code for p in page_for(people.sales1).get("/customers/C1/").context["projects"]}
    assert codes == {"P1"}


API_ENDPOINTS = [
    ("get", "/api/v1/users/me"),
    ("get", "/api/v1/policy"),
    ("get", "/api/v1/customers"),
    ("get", "/api/v1/customers/C1"),
    ("post", "/api/v1/customers"),
    ("patch", "/api/v1/customers/C1"),
    ("get", "/api/v1/customers/C1/contacts"),
    ("post", "/api/v1/customers/C1/contacts"),
    ("get", "/api/v1/projects"),
    ("get", "/api/v1/projects/P1"),
    ("post", "/api/v1/projects"),
    ("patch", "/api/v1/projects/P1"),
]


@pytest.mark.parametrize(("method", "path"), API_ENDPOINTS)
def test_it_answers_401_to_anonymous_api_requests(method, path, archive):
    response = getattr(Client(), method)(path, {}, content_type="application/json")

    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path"), API_ENDPOINTS)
def test_it_answers_401_to_a_wrong_or_revoked_token(method, path, people, archive):
    from salesdesk.core.services import token_create, token_revoke

    token, key = token_create(user=people.admin, now=timezone.now())
    token_revoke(token=token, actor=people.admin, now=timezone.now())
    for header in (f"Bearer {key}", "Bearer sd_not-a-token", f"Token {key}"):
        client = Client(headers={"Authorization": header})
        response = getattr(client, method)(path, {}, content_type="application/json")
        assert response.status_code == 401, header


PAGES = [
    "/",
    "/policy/",
    "/customers/",
    "/customers/new/",
    "/customers/C1/",
    "/customers/C1/edit/",
    "/customers/C1/reassign/",
    "/customers/C1/tier/",
    "/customers/C1/contacts/new/",
    "/customers/C1/projects/new/",
    "/projects/",
    "/projects/P1/",
    "/projects/P1/edit/",
]


@pytest.mark.parametrize("path", PAGES)
def test_it_sends_anonymous_visitors_to_the_login_page(path, archive):
    for method in ("get", "post"):
        response = getattr(Client(), method)(path)
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={path}"
