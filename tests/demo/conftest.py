import pytest
from django.db import transaction
from django.test import override_settings


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """Database access for a module-scoped fixture that loads data once: the data stays
    for every test of the module (each still runs and rolls back in a savepoint of its
    own) and is rolled back after the module. Only for modules whose tests all want it."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers),
        transaction.atomic(),
    ):
        yield
        transaction.set_rollback(True)
