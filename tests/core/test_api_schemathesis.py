"""Property tests of the whole API against its own OpenAPI document (Schemathesis).

Every operation of /api/v1/openapi.json is called with generated input, as an
administrator with a personal token, over a few records to find: no answer may be a
server error (5xx), and every documented answer must match its schema. Seeded and
bounded, so it runs the same way every time and in `make test`.
"""

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from salesdesk.api import api
from salesdesk.core.services import token_create
from tests.factories import CustomerFactory, ProjectFactory

MAX_EXAMPLES = 12
SEED = 20261204

schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
schema.app = get_wsgi_application()
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE], max_examples=MAX_EXAMPLES, deterministic=True
)
schema.config.seed = SEED


@pytest.fixture
def admin_token(people):
    customer = CustomerFactory(code="C1", owner=people.sales1)
    ProjectFactory(code="P1", customer=customer, owner=people.sales1)
    _token, key = token_create(user=people.admin, name="schemathesis")
    return key


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_it_answers_every_operation_without_a_server_error_and_as_documented(
    case, admin_token
):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}", "Accept-Language": "en"},
        checks=[not_a_server_error, response_schema_conformance],
    )
