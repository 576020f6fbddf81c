"""Small builders shared by the customer tests."""

import random

from salesdesk.lib import uscc

# A prospect the claim tests register (a second registration of it is refused).
PROSPECT_NAME = "北京宏达建设有限公司"


def credit_code(seed: int) -> str:
    """A valid unified social credit code, the same for the same seed."""
    return uscc.generate(random.Random(seed))


def bad_check_character(code: str) -> str:
    """`code` with a wrong check character."""
    return code[:-1] + ("1" if code[-1] != "1" else "2")


def json_of(client, method: str, path: str, payload: dict | None = None):
    response = getattr(client, method)(path, payload or {}, content_type="application/json")
    return response.status_code, response.json()


def error_fields(body: dict) -> set:
    """The fields named by a 422 answer of the service layer."""
    return {error["field"] for error in body["detail"]}
