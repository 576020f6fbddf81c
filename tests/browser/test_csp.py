"""The Content-Security-Policy in a real browser: the main pages load without a single
CSP violation, their scripts still work, and the API docs (Swagger UI) still render."""

import pytest

from tests.factories import CustomerFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/customers/",
    "/customers/C1/",
    "/projects/",
    "/projects/P1/",
    "/projects/P1/statement/",
    "/claims/",
    "/claims/register/",
    "/opportunities/",
    "/pipeline/kanban/",
    "/pipeline/board/",
    "/pipeline/fab/",
    "/aging/",
    "/floor-prices/",
    "/deliveries/below-floor/",
    "/visits/",
    "/visits/new/?customer=C1",
    "/visits/commitments/",
    "/visits/compliance/",
    "/collections/tasks/",
    "/collections/letters/",
    "/collections/holds/",
    "/collections/legal/",
    "/customers/tiering/",
    "/import/",
    "/policy/",
    "/tokens/",
    "/admin/",
    "/admin/core/user/",
    "/admin/core/user/add/",
]


@pytest.fixture
def signed_in(live_server, page):
    """Admin with a manager's and a salesperson's roles too: every page has its buttons."""
    user = UserFactory(
        username="boss", name="Boss", roles=["admin", "manager", "sales"], password="demo"
    )
    user.is_staff = user.is_superuser = True  # the Django admin's pages too
    user.save()
    customer = CustomerFactory(code="C1", name="北京安全策略测试有限公司", owner=user)
    ProjectFactory(code="P1", customer=customer, name="策略工程")
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "demo")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
    return page, violations


def test_it_loads_the_main_pages_without_a_csp_violation(live_server, signed_in):
    tab, violations = signed_in
    for path in PAGES:
        response = tab.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        tab.wait_for_load_state("networkidle")
        assert violations == [], (path, violations)


def test_it_keeps_the_pages_scripts_working(live_server, signed_in):
    tab, violations = signed_in
    # The visit form shows the commitment fields only for an advance.
    tab.goto(f"{live_server.url}/visits/new/?customer=C1")
    commitment = tab.locator("#commitment")
    assert commitment.is_hidden()
    tab.check("input[name=outcome][value=advance]")
    assert commitment.is_visible()
    # A select that submits its form by itself.
    tab.goto(f"{live_server.url}/visits/commitments/")
    with tab.expect_navigation():
        tab.select_option("select[name=state]", index=1)
    assert "state=" in tab.url
    # htmx (a script file of its own) still filters the customer list as one types.
    tab.goto(f"{live_server.url}/customers/")
    tab.fill("input[name=q]", "安全策略")
    tab.locator("#customer-table").get_by_text("北京安全策略测试有限公司").wait_for()
    assert violations == []


def test_it_renders_the_api_docs(live_server, signed_in):
    tab, violations = signed_in
    tab.goto(f"{live_server.url}/api/v1/docs")
    tab.locator("#swagger-ui .info .title").wait_for(timeout=15000)
    assert "SalesDesk API" in tab.locator("#swagger-ui .info .title").inner_text()
    tab.wait_for_load_state("networkidle")
    assert [v for v in violations if "Content Security Policy" in v] == []
