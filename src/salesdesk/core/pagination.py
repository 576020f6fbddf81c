"""Pages of a list, the same for every page and API endpoint: one COUNT, one page query."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import QueryDict
from ninja import Schema
from pydantic import create_model

API_MAX_PAGE_SIZE = 500
# The page sizes a list page offers; anything else in the query string gives the default.
PAGE_SIZES = (25, 50, 100)
PAGE_SIZE = 50


@dataclass
class Page:
    items: list
    count: int
    number: int
    page_size: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def body(self, item: Callable | None = None) -> dict:
        """The API's page object: count, page, page_size, num_pages, items."""
        return {
            "count": self.count,
            "page": self.number,
            "page_size": self.page_size,
            "num_pages": self.num_pages,
            "items": [item(x) for x in self.items] if item else self.items,
        }


class PageBase(Schema):
    count: int
    page: int
    page_size: int
    num_pages: int


def page_schema(item: type[Schema]) -> type[Schema]:
    """The API's page object of a list of `item`: `CustomerOut` gives `CustomerPage`.

    Each list needs a class of its own with its own name: the OpenAPI document keeps one
    schema per name, so lists sharing a name would all be described with one item type."""
    name = item.__name__.removesuffix("Out") + "Page"
    return create_model(
        name, __base__=PageBase, __module__=item.__module__, items=(list[item], ...)
    )


def paginate(queryset: QuerySet, page: int | str | None, page_size: int) -> Page:
    """One COUNT and one page query, whatever the page size. A page past the end gives
    the last page."""
    paginator = Paginator(queryset, page_size)
    page_obj = paginator.get_page(page)
    return Page(list(page_obj.object_list), paginator.count, page_obj.number, page_size)


def api_page(queryset: QuerySet, page: int, page_size: int, item: Callable | None = None) -> dict:
    """`paginate` for the API: page size clamped to 1..500, answered as a page object."""
    size = max(1, min(page_size, API_MAX_PAGE_SIZE))
    return paginate(queryset, page, size).body(item)


def api_filtered_page(
    filterset, queryset: QuerySet, page: int, page_size: int, item: Callable | None = None
) -> dict:
    """A page of a filtered list; invalid filter values are a 422 naming them."""
    if filterset.errors:
        raise ValidationError({field: errors for field, errors in filterset.errors.items()})
    return api_page(queryset, page, page_size, item)


def page_size_of(params: QueryDict) -> int:
    """The page size the query string asks for when it is one of PAGE_SIZES, else 50."""
    try:
        size = int(params.get("page_size", PAGE_SIZE))
    except ValueError:
        return PAGE_SIZE
    return size if size in PAGE_SIZES else PAGE_SIZE


def query_without(params: QueryDict, *names: str) -> str:
    """The query string without `names`: what a page's links carry to keep its filters."""
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()
