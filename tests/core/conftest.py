import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The personas' passwords are hashed with Argon2 on every test, which costs seconds
    per test; these tests are not about hashing. tests/core/test_auth.py restores Argon2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page_for(db):
    """page_for(user): a signed-in browser session that asks for English pages."""

    def make(user):
        client = Client(headers={"Accept-Language": "en"})
        client.cookies["django_language"] = "en"
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make
