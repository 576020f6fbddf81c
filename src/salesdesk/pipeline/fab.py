"""Writes of FAB messaging (features, advantages, benefits per product), marketing's and
the administrators'."""

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesdesk.core.models import User
from salesdesk.core.services import audit_record, diff
from salesdesk.pipeline import access
from salesdesk.pipeline.models import FabLine, FabProduct
from salesdesk.pipeline.values import Outcome


def _clean_lines(lines: Iterable[Mapping]) -> list[dict]:
    cleaned = []
    for line in lines:
        row = {k: str(line.get(k) or "").strip() for k in ("feature", "advantage", "benefit")}
        if any(row.values()):
            cleaned.append(row)
    return cleaned


@transaction.atomic
def fab_product_save(
    *,
    actor: User | None,
    name: str,
    lines: Iterable[Mapping],
    notes: str = "",
    product: FabProduct | None = None,
) -> tuple[FabProduct, Outcome]:
    """Create the product `name`, or replace the lines (and notes) of the product of
    that name (or of `product`, which renames it). Empty lines are dropped."""
    access.require_fab_editor(actor)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("A product needs a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("At most 100 characters.")})
    lines = _clean_lines(lines)
    notes = (notes or "").strip()
    clash = FabProduct.objects.filter(name=name)
    if product is not None:
        clash = clash.exclude(pk=product.pk)
        if clash.exists():
            raise ValidationError({"name": _("Another product has this name.")})
    else:
        product = clash.first()
    if product is None:
        product = FabProduct.objects.create(name=name, notes=notes)
        FabLine.objects.bulk_create(
            FabLine(product=product, position=n, **line) for n, line in enumerate(lines)
        )
        audit_record(
            actor=actor, action="create", obj=product,
            changes={"name": [None, name], "lines": [None, len(lines)]},
        )  # fmt: skip
        return product, "created"
    old_lines = list(
        product.lines.order_by("position", "id").values("feature", "advantage", "benefit")
    )
    changes = diff(product, {"name": name, "notes": notes})
    if old_lines != lines:
        changes["lines"] = [len(old_lines), len(lines)]
        product.lines.all().delete()
        FabLine.objects.bulk_create(
            FabLine(product=product, position=n, **line) for n, line in enumerate(lines)
        )
    if not changes:
        return product, "unchanged"
    product.name, product.notes = name, notes
    product.save()
    audit_record(actor=actor, action="update", obj=product, changes=changes)
    return product, "updated"


@transaction.atomic
def fab_product_delete(*, actor: User | None, product: FabProduct) -> None:
    access.require_fab_editor(actor)
    audit_record(actor=actor, action="delete", obj=product, changes={"name": [product.name, None]})
    product.delete()


def products_named(names: Iterable[str], field: str = "products") -> list[FabProduct]:
    """The FAB products of these names; ValidationError naming the unknown ones."""
    wanted = [" ".join(n.split()) for n in names if n and n.strip()]
    found = {p.name: p for p in FabProduct.objects.filter(name__in=wanted)}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValidationError(
            {field: _("No FAB product %(names)s.") % {"names": ", ".join(missing)}}
        )
    return [found[n] for n in dict.fromkeys(wanted)]
