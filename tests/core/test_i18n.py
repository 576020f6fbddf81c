"""The language follows the browser, can be switched, and English pages are English."""

import pytest
from django.test import Client

from salesdesk.core.policy import SETTINGS


def html_lang(response) -> str:
    content = response.content.decode()
    return content.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("accept_language", "lang"),
    [
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9", "zh-hans"),
        ("fr-FR", "zh-hans"),  # not offered: the company's language
        ("", "zh-hans"),
    ],
)
def test_it_follows_the_browsers_language(accept_language, lang, db):
    response = Client(headers={"Accept-Language": accept_language}).get("/login/")

    assert response.status_code == 200
    assert html_lang(response) == lang
    assert response["Content-Language"] == lang


def test_it_renders_pages_in_english_for_an_english_browser(people, client_for):
    client = client_for(people.admin)

    login = Client(headers={"Accept-Language": "en"}).get("/login/").content.decode()
    home = client.get("/", headers={"Accept-Language": "en"}).content.decode()
    policy = client.get("/policy/", headers={"Accept-Language": "en"}).content.decode()

    assert "Sign in to SalesDesk" in login
    assert "Customers" in home and "Sign out" in home
    assert "Company policy" in policy
    for spec in SETTINGS[:3]:
        assert str(spec.label) in policy


def test_it_prefers_the_language_cookie_over_the_browser(people, client_for):
    client = client_for(people.sales1)
    client.cookies["django_language"] = "en"

    response = client.get("/customers/", headers={"Accept-Language": "zh-CN"})

    assert html_lang(response) == "en"
    assert "New customer" in response.content.decode()


def test_it_switches_the_language_and_returns_to_the_page(people, client_for):
    client = client_for(people.sales1)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    assert html_lang(client.get("/customers/")) == "zh-hans"

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})

    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert client.cookies["django_language"].value == "en"
    assert html_lang(client.get("/customers/")) == "en"

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/customers/"})
    assert html_lang(client.get("/customers/")) == "zh-hans"


def test_it_offers_both_languages_in_the_switch(db):
    content = Client(headers={"Accept-Language": "en"}).get("/login/").content.decode()

    assert 'action="/i18n/setlang/"' in content
    assert 'name="language" value="zh-hans"' in content
    assert 'name="language" value="en"' in content


def test_it_ignores_a_switch_to_a_language_not_offered(people, client_for):
    client = client_for(people.sales1)

    client.post("/i18n/setlang/", {"language": "fr", "next": "/customers/"})

    # Django may store the cookie (it has French catalogues), but pages stay in a language
    # SalesDesk offers, chosen from the browser.
    assert html_lang(client.get("/customers/", headers={"Accept-Language": "en"})) == "en"
    assert html_lang(client.get("/customers/", headers={"Accept-Language": "fr"})) == "zh-hans"
