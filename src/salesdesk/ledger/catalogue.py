"""The product catalogue (DOMAIN §5): products by code, found by code or by name folded
for width, case and spaces."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesdesk.core.choices import Role
from salesdesk.core.errors import Conflict
from salesdesk.core.models import User
from salesdesk.core.services import audit_record
from salesdesk.ledger.models import Product
from salesdesk.ledger.posting import _describe, _require_role, differing_fields
from salesdesk.lib.names import product_key

CATALOGUE_EDITORS = (Role.FINANCE, Role.ADMIN)


def product_values(*, code: str, name: str, unit: str = "", grade: str = "") -> dict:
    """Validated fields of a catalogue product."""
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": _("A code is required.")})
    if any(ch.isspace() or ch == "/" for ch in code) or len(code) > 30:
        raise ValidationError(
            {"code": _("A product code has at most 30 characters, no spaces and no slashes.")}
        )
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": _("A name is required.")})
    if len(name) > 100:
        raise ValidationError({"name": _("A name has at most 100 characters.")})
    unit = (unit or "").strip() or "m3"
    grade = (grade or "").strip()
    if len(unit) > 20 or len(grade) > 20:
        field = "unit" if len(unit) > 20 else "grade"
        raise ValidationError({field: _("At most 20 characters.")})
    return {"code": code, "name": name, "unit": unit, "grade": grade}


def _same_name_taken(name_key: str, product: Product | None) -> None:
    other = Product.objects.filter(name_key=name_key)
    if product is not None:
        other = other.exclude(pk=product.pk)
    other = other.first()
    if other is not None:
        raise ValidationError(
            {"name": _("Product %(code)s is already called %(name)s (names are compared without width, case and spaces).")
             % {"code": other.code, "name": other.name}}
        )  # fmt: skip


@transaction.atomic
def product_create(*, actor: User | None, **fields) -> tuple[Product, bool]:
    """Add a product to the catalogue. The same code with the same content is the same
    product (returned, not created); with other content it is a Conflict."""
    _require_role(actor, CATALOGUE_EDITORS, _("Only finance may edit the product catalogue."))
    values = product_values(**fields)
    existing = Product.objects.filter(code=values["code"]).first()
    if existing is not None:
        differences = differing_fields(existing, values)
        if differences:
            raise Conflict(
                _("Product %(code)s already exists with a different %(fields)s.")
                % {"code": values["code"], "fields": ", ".join(differences)}
            )
        return existing, False
    name_key = product_key(values["name"])
    _same_name_taken(name_key, None)
    product = Product.objects.create(**values, name_key=name_key)
    audit_record(actor=actor, action="product_create", obj=product, changes=_describe(values))
    return product, True


@transaction.atomic
def product_update(*, actor: User | None, product: Product, **fields) -> Product:
    """Change a product's name, unit or grade (the code stays: records name it)."""
    _require_role(actor, CATALOGUE_EDITORS, _("Only finance may edit the product catalogue."))
    values = product_values(code=product.code, **fields)
    name_key = product_key(values["name"])
    _same_name_taken(name_key, product)
    changes = {
        field: [getattr(product, field), value]
        for field, value in values.items()
        if getattr(product, field) != value
    }
    if changes:
        for field, value in values.items():
            setattr(product, field, value)
        product.name_key = name_key
        product.save()
        audit_record(actor=actor, action="product_update", obj=product, changes=changes)
    return product


class ProductFinder:
    """Catalogue look-ups by code or by name folded for width, case and spaces (DOMAIN §5),
    the catalogue read once (it is small) for many look-ups."""

    def __init__(self):
        self._by_code: dict[str, Product] = {}
        self._by_key: dict[str, Product] = {}
        for product in Product.objects.all():
            self._by_code[product.code] = product
            self._by_key.setdefault(product_key(product.code), product)
        # A name outranks another product's folded code.
        for product in self._by_code.values():
            self._by_key[product.name_key] = product

    def find(self, text: str) -> Product | None:
        text = str(text).strip()
        return self._by_code.get(text) or self._by_key.get(product_key(text))


def product_find(text: str) -> Product | None:
    """The catalogue product `text` names: its code, or its name up to width, case and spaces."""
    return ProductFinder().find(text)


def _product(product, find=product_find) -> Product:
    if isinstance(product, Product):
        return product
    if product is None or not str(product).strip():
        raise ValidationError({"product": _("A product is required.")})
    found = find(product)
    if found is None:
        raise ValidationError(
            {"product": _("unknown product %(name)s (not in the product catalogue)")
             % {"name": " ".join(str(product).split())}}
        )  # fmt: skip
    return found
