"""Signing in and out through the real login form, with Argon2 hashes and axes throttling."""

from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client

from salesdesk.core.models import User
from tests.factories import UserFactory

CONFIGURED_HASHERS = list(django_settings.PASSWORD_HASHERS)
PASSWORD = "pw"  # the personas' password (tests/factories.py)


@pytest.fixture
def real_password_hashing(settings):
    """Undo the fast hashing of conftest where the configured hashers are under test."""
    settings.PASSWORD_HASHERS = CONFIGURED_HASHERS


@pytest.fixture
def people(db):
    """Only the two personas these tests sign in as: each Argon2 hash costs real time."""

    class People:
        sales1 = UserFactory(username="sales1", roles=["sales"])
        sales2 = UserFactory(username="sales2", roles=["sales"])

    return People


def browser(**extra) -> Client:
    return Client(headers={"Accept-Language": "en"}, **extra)


def sign_in(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password, **extra})


def signed_in_user(client):
    return client.get("/api/v1/users/me").json().get("username")


def test_it_hashes_passwords_with_argon2(real_password_hashing, people):
    assert CONFIGURED_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    people.sales1.refresh_from_db()
    assert people.sales1.password.startswith("argon2$argon2id$")


def test_it_signs_in_with_username_and_password_through_the_form(real_password_hashing, people):
    client = browser()
    page = client.get("/login/")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()

    response = sign_in(client, "sales1", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user(client) == "sales1"
    assert client.get("/").status_code == 200


def test_it_returns_to_the_page_asked_for_after_signing_in(people):
    client = browser()
    assert client.get("/customers/")["Location"] == "/login/?next=/customers/"

    response = sign_in(client, "sales1", PASSWORD, next="/customers/")

    assert response["Location"] == "/customers/"


def test_it_does_not_follow_a_next_link_off_the_site(people):
    response = sign_in(browser(), "sales1", PASSWORD, next="https://evil.example/")

    assert response["Location"] == "/"


def test_it_rejects_a_wrong_password(real_password_hashing, people):
    client = browser()

    response = sign_in(client, "sales1", "wrong")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert client.get("/api/v1/users/me").status_code == 401


def test_it_rejects_an_inactive_user(people):
    User.objects.filter(pk=people.sales1.pk).update(is_active=False)

    client = browser()

    response = sign_in(client, "sales1", PASSWORD)

    assert response.status_code == 200
    assert client.get("/api/v1/users/me").status_code == 401


def test_it_locks_an_account_out_after_five_failures(people):
    client = browser()
    for _ in range(4):
        assert sign_in(client, "sales1", "wrong").status_code == 200

    fifth = sign_in(client, "sales1", "wrong")
    right = sign_in(client, "sales1", PASSWORD)

    assert fifth.status_code == right.status_code == 429
    assert "Too many failed sign-in attempts" in right.content.decode()
    assert client.get("/api/v1/users/me").status_code == 401


def test_it_locks_out_only_that_username_from_that_address(people):
    for _ in range(5):
        sign_in(browser(), "sales1", "wrong")

    assert sign_in(browser(), "sales2", PASSWORD).status_code == 302
    assert sign_in(browser(REMOTE_ADDR="10.0.0.9"), "sales1", PASSWORD).status_code == 302
    assert sign_in(browser(), "sales1", PASSWORD).status_code == 429


def test_it_forgets_earlier_failures_after_a_successful_sign_in(people):
    for _ in range(4):
        sign_in(browser(), "sales1", "wrong")
    assert sign_in(browser(), "sales1", PASSWORD).status_code == 302

    for _ in range(4):
        sign_in(browser(), "sales1", "wrong")

    assert sign_in(browser(), "sales1", PASSWORD).status_code == 302


def test_it_signs_out_with_a_post_only(people):
    client = browser()
    sign_in(client, "sales1", PASSWORD)

    assert client.get("/logout/").status_code == 405
    assert signed_in_user(client) == "sales1"
    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/users/me").status_code == 401


def test_it_sends_a_signed_in_user_away_from_the_login_page(people):
    client = browser()
    sign_in(client, "sales1", PASSWORD)

    assert client.get("/login/")["Location"] == "/"


# The demo password in production ----------------------------------------------------


@pytest.fixture
def demo_user(db):
    """A user left with the demo password, as a demo loaded before going live leaves them."""
    return UserFactory(username="admin", roles=["admin"], is_staff=True, password="demo")


def test_it_signs_in_with_the_demo_password_outside_production(demo_user):
    client = browser()

    assert sign_in(client, "admin", "demo").status_code == 302
    assert signed_in_user(client) == "admin"


def test_it_refuses_the_demo_password_at_sign_in_in_production(settings, demo_user):
    settings.DEMO_LOGIN_ALLOWED = False
    client = browser()

    response = sign_in(client, "admin", "demo")

    assert response.status_code == 200
    assert "The demo password is not accepted here" in response.content.decode()
    assert client.get("/api/v1/users/me").status_code == 401


def test_it_refuses_the_demo_password_to_every_sign_in_path_in_production(settings, demo_user):
    settings.DEMO_LOGIN_ALLOWED = False
    client = browser()

    credentials = {"username": "admin", "password": "demo"}

    assert client.post("/admin/login/", credentials).status_code == 200
    assert client.get("/api/v1/users/me").status_code == 401
    settings.DEMO_LOGIN_ALLOWED = True
    assert client.post("/admin/login/", credentials).status_code == 302


def test_it_refuses_to_set_the_demo_password_in_production(settings, people):
    settings.DEMO_LOGIN_ALLOWED = False
    before = User.objects.get(username="sales1").password

    with pytest.raises(CommandError, match="demo password"):
        call_command(
            "createuser", "sales1", "--roles", "sales", "--password", "demo", stdout=StringIO()
        )
    with pytest.raises(CommandError, match="demo password"):
        call_command(
            "createuser", "newcomer", "--roles", "sales", "--password", "demo", stdout=StringIO()
        )

    assert User.objects.get(username="sales1").password == before
    assert not User.objects.filter(username="newcomer").exists()


def test_it_sets_another_password_in_production(settings, people):
    settings.DEMO_LOGIN_ALLOWED = False

    call_command(
        "createuser", "sales1", "--roles", "sales", "--password", "s3cret-enough",
        stdout=StringIO(),
    )  # fmt: skip

    assert sign_in(browser(), "sales1", "s3cret-enough").status_code == 302
