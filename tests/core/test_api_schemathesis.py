"""Property tests of the whole API against its own OpenAPI document (Schemathesis).

Every operation of /api/v1/openapi.json is called with generated input, as an
administrator with a personal token, over a few records to find: no answer may be a
server error (5xx), and every documented answer must match its schema. Seeded and
bounded, so it runs the same way every time and in `make test`.
"""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from salesdesk.api import api
from salesdesk.core.services import token_create
from tests.factories import CustomerFactory, ProjectFactory

# Enough to run in a few minutes on two cores; raise it to search harder.
MAX_EXAMPLES = int(os.environ.get("SALESDESK_SCHEMATHESIS_EXAMPLES", "12"))
SEED = 20261204

schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
schema.app = get_wsgi_application()
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE], max_examples=MAX_EXAMPLES, deterministic=True
)
schema.config.seed = SEED


@pytest.fixture
def in_test_transaction():
    """The WSGI application closes the database connection at the end of each request,
    as it should in production; here that connection holds the test's transaction (and
    on PostgreSQL goes back to the pool), so it stays open, as Django's test client
    keeps it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(people, in_test_transaction):
    customer = CustomerFactory(code="C1", owner=people.sales1)
    ProjectFactory(code="P1", customer=customer, owner=people.sales1)
    _token, key = token_create(user=people.admin, name="schemathesis", now=timezone.now())
    return key


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_it_answers_every_operation_without_a_server_error_and_as_documented(case, admin_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}", "Accept-Language": "en"},
        checks=[not_a_server_error, response_schema_conformance],
    )
