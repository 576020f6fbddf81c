"""Personas shared by every test: the people of a small sales organisation.

Team A: manager1 leads sales1 and sales2. Team B: manager2 leads sales3.
finance, marketing, supply, legal and admin see the whole company; nobody has no role.
"""

from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from salesdesk.core.services import token_create
from tests.clock import TEST_NOW
from tests.factories import UserFactory


@pytest.fixture(scope="session", autouse=True)
def close_database_pool(django_db_setup, django_db_blocker):
    """Hand back PostgreSQL's pooled connections before the test database is dropped,
    which it refuses while a session is still open."""
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            if hasattr(connection, "close_pool"):
                connection.close_pool()


@pytest.fixture(scope="session", autouse=True)
def pinned_clock():
    """The clock starts at TEST_NOW when the session starts and ticks from there, for
    module-scoped data too; a test that needs another day travels inside this one."""
    with time_machine.travel(TEST_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def english_by_default():
    """Tests read messages in English unless they ask for Chinese; a request in Chinese
    leaves its language active in the thread, so every test starts from English again."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing the personas' passwords with Argon2 costs seconds per test, and few tests
    are about hashing; tests/core/test_auth.py puts Argon2 back where it is under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(db):
    admin = UserFactory(username="admin", name="Admin", roles=["admin"])
    manager1 = UserFactory(username="manager1", name="Manager One", roles=["manager"])
    manager2 = UserFactory(username="manager2", name="Manager Two", roles=["manager"])
    return SimpleNamespace(
        admin=admin,
        manager1=manager1,
        manager2=manager2,
        sales1=UserFactory(username="sales1", name="Sales One", roles=["sales"], manager=manager1),
        sales2=UserFactory(username="sales2", name="Sales Two", roles=["sales"], manager=manager1),
        sales3=UserFactory(
            username="sales3", name="Sales Three", roles=["sales"], manager=manager2
        ),
        finance=UserFactory(username="finance", name="Finance", roles=["finance"]),
        marketing=UserFactory(username="marketing", name="Marketing", roles=["marketing"]),
        supply=UserFactory(username="supply", name="Supply", roles=["supply"]),
        legal=UserFactory(username="legal", name="Legal", roles=["legal"]),
        nobody=UserFactory(username="nobody", name="No Role", roles=[]),
    )


@pytest.fixture
def client_for(db):
    """client_for(user): a browser session signed in as `user`."""

    def make(user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture
def page_for(db):
    """page_for(user): a signed-in browser session that asks for English pages."""

    def make(user):
        client = Client(headers={"Accept-Language": "en"})
        client.cookies["django_language"] = "en"
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture
def api_for(db):
    """api_for(user): a client that sends `user`'s personal API token."""

    def make(user):
        _token, key = token_create(user=user, name="test", now=timezone.now())
        return Client(headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"})

    return make


@pytest.fixture
def count_queries(db):
    """count_queries(client, path, headers=None, **params) -> (queries, response): the
    number of queries a GET of `path` makes, for the tests pinning each page's count;
    the answer must be a 200."""

    def count(client, path, headers=None, **params):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, params, headers=headers)
        assert response.status_code == 200, response.content[:500]
        return len(queries), response

    return count
