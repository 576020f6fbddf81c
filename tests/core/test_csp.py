"""Every response carries the Content-Security-Policy: pages, the API, errors, redirects."""

from django.test import Client

POLICY_PARTS = ["default-src 'self'", "script-src 'self'", "object-src 'none'"]


def assert_policy(response):
    policy = response["Content-Security-Policy"]
    for part in POLICY_PARTS:
        assert part in policy
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src


def test_it_sends_the_policy_with_every_kind_of_response(people, page_for, api_for):
    responses = [
        page_for(people.sales1).get("/"),
        page_for(people.sales1).get("/customers/NO-SUCH/"),
        Client().get("/customers/"),  # a redirect to the sign-in page
        Client().get("/login/"),
        api_for(people.sales1).get("/api/v1/users/me"),
        Client().get("/api/v1/users/me"),  # 401
        Client().get("/api/v1/docs"),
    ]
    assert [r.status_code for r in responses] == [200, 404, 302, 200, 200, 401, 200]
    for response in responses:
        assert_policy(response)


def test_no_page_carries_an_inline_script_or_handler(people, page_for):
    client = page_for(people.admin)
    for path in ["/", "/customers/", "/visits/new/", "/collections/tasks/", "/policy/"]:
        html = client.get(path).content.decode()
        for tag in html.split("<script")[1:]:
            assert tag.split(">")[0].count("src=") == 1, (path, tag[:80])
        for handler in (" onclick=", " onchange=", " onsubmit=", " onload="):
            assert handler not in html, (path, handler)
