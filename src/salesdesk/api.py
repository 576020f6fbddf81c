"""The REST API at /api/v1/: one NinjaAPI, routers from the apps, shared error mapping."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from salesdesk.collections.api import router as collections_router
from salesdesk.compensation.api import router as compensation_router
from salesdesk.core.api import router as core_router
from salesdesk.core.api_auth import API_AUTH
from salesdesk.core.errors import Conflict
from salesdesk.core.middleware import unexpected_error
from salesdesk.customers.api import router as customers_router
from salesdesk.customers.claims.api import router as claims_router
from salesdesk.ledger.api import router as ledger_router
from salesdesk.ledger.api_catalogue import router as catalogue_router
from salesdesk.ledger.api_offsets import router as offsets_router
from salesdesk.pipeline.api import router as pipeline_router
from salesdesk.tiering.api import router as tiering_router
from salesdesk.visits.api import router as visits_router

api = NinjaAPI(
    title="SalesDesk API",
    version="1",
    description=(
        "Customers, contacts, projects and policy. Authenticate with a personal token "
        "(`salesdesk token create USERNAME`, then `Authorization: Bearer <token>`) or "
        "the browser session. Money is a string with two decimals."
    ),
    auth=API_AUTH,
    urls_namespace="api",
)


def validation_messages(exc: ValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": field, "message": message}
            for field, errors in exc.message_dict.items()
            for message in errors
        ]
    return [{"field": None, "message": message} for message in exc.messages]


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    return api.create_response(request, {"detail": validation_messages(exc)}, status=422)


def field_of(loc: list) -> str | None:
    """The field a pydantic error is about: ("body", "payload", "commitment", "due") is
    "commitment.due", ("query", "as_of") is "as_of"."""
    names = [str(part) for part in loc[2 if loc[:1] == ["body"] else 1 :]]
    return ".".join(names) or None


@api.exception_handler(NinjaValidationError)
def on_malformed_input(request, exc):
    # django-ninja's entries (type, loc, msg) also get the field and message every other
    # 422 carries, so a client reads one shape whichever check refused the input.
    errors = [
        {**error, "field": field_of(list(error.get("loc", []))), "message": error.get("msg", "")}
        for error in exc.errors
    ]
    return api.create_response(request, {"detail": errors}, status=422)


@api.exception_handler(DjangoPermissionDenied)
def on_permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(ObjectDoesNotExist)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(Http404)
def on_http404(request, exc):
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(Conflict)
def on_conflict(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    # Replaces django-ninja's default, which answers a traceback when DEBUG is on.
    return unexpected_error(request, exc)


api.add_router("/", core_router)
# Before the customers router: /customers/duplicates must not be read as a customer code.
api.add_router("/", claims_router)
api.add_router("/", customers_router)
api.add_router("/", tiering_router)
api.add_router("/", ledger_router)
api.add_router("/", catalogue_router)
api.add_router("/", offsets_router)
api.add_router("/", pipeline_router)
api.add_router("/", visits_router)
api.add_router("/", collections_router)
api.add_router("/", compensation_router)
