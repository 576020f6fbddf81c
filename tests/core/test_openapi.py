"""The OpenAPI document describes what each endpoint answers: every paginated list has a
page schema of its own whose items are that list's items, and no two classes share a
schema name (the document keeps one schema per name, so a clash describes one of them
with the other's fields)."""

import typing

import pytest
from pydantic import BaseModel

from salesdesk.api import api

LISTS = {
    "/api/v1/customers": "CustomerOut",
    "/api/v1/projects": "ProjectOut",
    "/api/v1/claims": "ClaimOut",
    "/api/v1/claim-disputes": "DisputeOut",
    "/api/v1/deliveries": "DeliveryOut",
    "/api/v1/products": "ProductOut",
    "/api/v1/deliveries/below-floor": "DeliveryOut",
    "/api/v1/invoices": "InvoiceOut",
    "/api/v1/payments": "PaymentOut",
    "/api/v1/floor-prices": "FloorPriceOut",
    "/api/v1/opportunities": "OpportunityOut",
    "/api/v1/visits": "VisitOut",
    "/api/v1/commitments": "CommitmentOut",
    "/api/v1/collection-tasks": "TaskOut",
    "/api/v1/letters": "LetterOut",
    "/api/v1/holds": "HoldOut",
    "/api/v1/legal-cases": "LegalCaseOut",
    "/api/v1/advances": "AdvanceOut",
}
REF = "#/components/schemas/"


@pytest.fixture(scope="module")
def document():
    return api.get_openapi_schema()


def resolve(document, schema: dict) -> tuple[str, dict]:
    name = schema["$ref"].removeprefix(REF)
    return name, document["components"]["schemas"][name]


@pytest.mark.parametrize(("path", "item"), LISTS.items())
def test_it_names_the_item_type_of_every_paginated_list(path, item, document):
    answer = document["paths"][path]["get"]["responses"][200]["content"]["application/json"]
    name, page = resolve(document, answer["schema"])

    assert name == item.removesuffix("Out") + "Page"
    assert set(page["properties"]) == {"count", "page", "page_size", "num_pages", "items"}
    assert page["properties"]["items"]["items"]["$ref"] == REF + item


def test_it_lists_every_paginated_endpoint(document):
    paginated = set()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            answer = operation["responses"].get(200, {}).get("content", {})
            schema = answer.get("application/json", {}).get("schema", {})
            if schema.get("$ref", "").endswith("Page"):
                paginated.add(path)

    assert paginated == set(LISTS)


def models_in(annotation, found: set) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            models_in(field.annotation, found)
    for argument in typing.get_args(annotation):
        models_in(argument, found)


def test_it_gives_every_schema_class_a_name_of_its_own():
    found: set = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in (*operation.response_models.values(), *operation.models):
                    models_in(model, found)
    by_name: dict[str, set] = {}
    for model in found:
        if getattr(model, "__ninja_param_source__", None):
            continue  # ninja's wrapper of an endpoint's parameters: not in the document
        by_name.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")

    assert {name: where for name, where in by_name.items() if len(where) > 1} == {}
    assert {"VisitContactOut", "StakeholderContactOut"} <= set(by_name)
