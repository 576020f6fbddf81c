"""Catalogue endpoints: floor prices and the product catalogue (DOMAIN §5). Helpers and
conventions are the ledger API's (ledger/api.py)."""

from django.db.models import F, Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from salesdesk.core.models import Plant
from salesdesk.core.schemas import column
from salesdesk.ledger import services
from salesdesk.ledger.api import (
    CREATED_OR_SAME,
    PRICE_SETTERS,
    _page,
    _plant_ref,
    _product_ref,
    _require,
)
from salesdesk.ledger.models import FloorPrice, Product
from salesdesk.ledger.schemas import (
    FloorPriceIn,
    FloorPriceOut,
    FloorPricePage,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
)

router = Router(tags=["ledger"])


# Floor prices ------------------------------------------------------------------------


class FloorPriceQuery(Schema):
    product: str | None = column(FloorPrice, "product", None)
    plant: str | None = column(Plant, "code", None)
    page: int = 1
    page_size: int = 50


@router.get("/floor-prices", response=FloorPricePage, summary="Floor prices, newest first")
def floor_price_list(request, query: Query[FloorPriceQuery]):
    # Company-wide rows first on both engines (PostgreSQL sorts NULL last by default).
    queryset = FloorPrice.objects.select_related("product", "plant", "set_by").order_by(
        "product__code", F("plant__code").asc(nulls_first=True), "-effective_from"
    )
    if query.product:
        queryset = queryset.filter(product__code=query.product)
    if query.plant:
        queryset = queryset.filter(plant__code=query.plant)
    return _page(queryset, query)


@router.post(
    "/floor-prices",
    response={200: FloorPriceOut, 201: FloorPriceOut},
    summary="Set a floor price from a date (managers, admin)",
    description="201 for a new (product, plant, effective_from); 200 when it replaces the "
    "price of an existing one.",
)
def floor_price_set(request, payload: FloorPriceIn):
    _require(request.user, PRICE_SETTERS, _("Only a sales manager may set floor prices."))
    plant = _plant_ref(payload.plant)
    product = _product_ref(payload.product)
    existed = FloorPrice.objects.filter(
        product=product, plant=plant, effective_from=payload.effective_from
    ).exists()
    row = services.floor_price_set(
        actor=request.user,
        product=product,
        plant=plant,
        price=payload.price,
        effective_from=payload.effective_from,
    )
    return Status(
        200 if existed else 201,
        FloorPrice.objects.select_related("product", "plant", "set_by").get(pk=row.pk),
    )


# The product catalogue ---------------------------------------------------------------


class ProductQuery(Schema):
    q: str | None = Field(None, description="part of the code or name")
    page: int = 1
    page_size: int = 50


@router.get("/products", response=ProductPage, summary="The product catalogue")
def product_list(request, query: Query[ProductQuery]):
    products = Product.objects.order_by("code")
    if query.q:
        products = products.filter(Q(code__icontains=query.q) | Q(name__icontains=query.q))
    return _page(products, query)


@router.get("/products/{code}", response=ProductOut, summary="One catalogue product")
def product_detail(request, code: str):
    return Product.objects.get(code=code)


@router.post(
    "/products",
    response={200: ProductOut, 201: ProductOut},
    summary="Add a product to the catalogue (finance, admin)",
    description=CREATED_OR_SAME
    + " A name equal to another product's after folding width, case and spaces is 422.",
)
def product_create(request, payload: ProductIn):
    _require(
        request.user, services.CATALOGUE_EDITORS, _("Only finance may edit the product catalogue.")
    )
    product, created = services.product_create(actor=request.user, **payload.dict())
    return Status(201 if created else 200, product)


@router.patch(
    "/products/{code}",
    response=ProductOut,
    summary="Change a product's name, unit or grade (finance, admin)",
)
def product_update(request, code: str, payload: ProductPatch):
    _require(
        request.user, services.CATALOGUE_EDITORS, _("Only finance may edit the product catalogue.")
    )
    product = Product.objects.get(code=code)
    changes = payload.dict(exclude_unset=True)
    values = {field: getattr(product, field) for field in ("name", "unit", "grade")}
    values.update({field: value for field, value in changes.items() if value is not None})
    return services.product_update(actor=request.user, product=product, **values)
