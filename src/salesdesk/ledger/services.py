"""Posting money records (deliveries, invoices, payments, expenses), reversing them, the
order gate's override, price approvals and floor prices, and batches for the importer.

Every post is idempotent by its natural key: posting the same record again returns the
stored one; the same key with different content is a Conflict. Posted records are never
edited; `*_reverse` cancels one from a date on.

What every post goes through is `posting`; the product catalogue is `catalogue`, the
asset-offset workflow `offsets`. Callers name those as `services.<name>` too, so they are
imported here.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesdesk.core.choices import Role
from salesdesk.core.models import Plant, User
from salesdesk.core.services import audit_record
from salesdesk.customers.models import Project
from salesdesk.ledger.catalogue import (  # noqa: F401
    CATALOGUE_EDITORS,
    ProductFinder,
    _product,
    product_create,
    product_find,
    product_update,
    product_values,
)
from salesdesk.ledger.choices import PaymentMethod
from salesdesk.ledger.gate import Waiver, delivery_gate_pass, register_waiver
from salesdesk.ledger.models import (
    Delivery,
    DeliveryOverride,
    DeliveryReversal,
    Expense,
    ExpenseReversal,
    FloorPrice,
    Invoice,
    InvoiceReversal,
    Payment,
    PaymentReversal,
    PriceApproval,
    Product,
)
from salesdesk.ledger.offsets import (  # noqa: F401
    offset_accept,
    offset_apply,
    offset_appraise,
    offset_reject,
)
from salesdesk.ledger.posting import (  # noqa: F401
    MONEY_LIMIT,
    POSTERS,
    QUANTITY_LIMIT,
    REVERSERS,
    RecordDates,
    _after_payment,
    _describe,
    _post_once,
    _require_role,
    _require_visible,
    differing_fields,
    money,
    register_payment_hook,
)
from salesdesk.lib.money import to_cents

# Deliveries --------------------------------------------------------------------------


class FloorPriceBook:
    """Floor prices in memory, for pricing many deliveries with one query."""

    def __init__(self, product_ids: set[int] | None = None):
        rows = FloorPrice.objects.order_by("-effective_from")
        if product_ids is not None:
            rows = rows.filter(product_id__in=product_ids)
        self._rows: dict[tuple[int, int | None], list[tuple[dt.date, Decimal]]] = {}
        for row in rows.values_list("product_id", "plant_id", "effective_from", "price"):
            self._rows.setdefault((row[0], row[1]), []).append((row[2], row[3]))

    def price(self, product: Product, plant: Plant | None, on: dt.date) -> Decimal | None:
        """The floor in force on `on`: the plant's own if it has one, else company-wide."""
        for plant_id in ((plant.pk,) if plant is not None else ()) + (None,):
            for effective_from, price in self._rows.get((product.pk, plant_id), ()):
                if effective_from <= on:
                    return price
        return None


def floor_price_for(product: Product, plant: Plant | None, on: dt.date) -> Decimal | None:
    return FloorPriceBook({product.pk}).price(product, plant, on)


def delivery_values(
    *, project: Project, date: dt.date, product, quantity, unit_price,
    unit: str = "m3", plant: Plant | None = None, dates: RecordDates | None = None,
    find=product_find,
) -> dict:  # fmt: skip
    """Validated field values of a delivery (shared by the API, the UI and the importer).
    `product` is a catalogue product, or its code or name (`find` looks it up)."""
    plant = plant or project.plant
    if plant is None:
        raise ValidationError({"plant": _("The project has no plant; name the plant.")})
    product = _product(product, find)
    date = (dates or RecordDates()).check(date)
    quantity = money(quantity, "quantity", places=3, limit=QUANTITY_LIMIT)
    unit_price = money(unit_price, "unit_price", positive=False)
    amount = to_cents(quantity * unit_price)
    if amount >= MONEY_LIMIT:
        raise ValidationError({"unit_price": _("Quantity × unit price is too large.")})
    return {
        "project": project,
        "date": date,
        "plant": plant,
        "product": product,
        "quantity": quantity,
        "unit": (unit or "m3").strip(),
        "unit_price": unit_price,
        "amount": amount,
    }


@transaction.atomic
def delivery_post(
    *, actor: User | None, ticket: str, today: dt.date | None = None, **fields
) -> tuple[Delivery, bool]:
    """Record a delivery the order gate allows (or a supervisor's override lets through).
    Below the floor price it is recorded and waits for a manager's approval (DOMAIN §5),
    unless the manager posting it gives the reason right away."""
    _require_role(actor, POSTERS[Delivery], _("You may not post deliveries."))
    approval_reason = (fields.pop("approval_reason", "") or "").strip()
    values = delivery_values(**fields, dates=RecordDates.on(today))
    _require_visible(actor, values["project"])
    floor = floor_price_for(values["product"], values["plant"], values["date"])
    if floor is not None and values["unit_price"] < floor:
        values["floor_price"] = floor
    waivers = []
    if not Delivery.objects.filter(ticket=ticket.strip()).exists():
        waivers = delivery_gate_pass(
            project=values["project"], day=values["date"], amount=values["amount"]
        )
    delivery, created = _post_once(Delivery, "ticket", ticket, values, actor)
    if created:
        for waiver in waivers:
            waiver.use(delivery)
    if created and delivery.below_floor and approval_reason:
        delivery_approve_price(actor=actor, delivery=delivery, reason=approval_reason)
    return delivery, created


SUPERVISORS = (Role.MANAGER, Role.ADMIN)


@transaction.atomic
def delivery_override_grant(*, actor: User, project: Project, reason: str) -> DeliveryOverride:
    """A supervisor lets the project's next delivery through the order gate, whatever it
    refuses (DOMAIN §6), with a written reason (audited)."""
    _require_role(actor, SUPERVISORS, _("Only a supervisor may override the order gate."))
    _require_visible(actor, project)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("An override needs a written reason.")})
    override = DeliveryOverride.objects.create(
        project=project, granted_by=actor, reason=reason.strip()
    )
    audit_record(actor=actor, action="delivery_override", obj=project, reason=reason,
                 changes={"order_gate": [None, "override for one delivery"]})  # fmt: skip
    return override


def _unused_delivery_override(project: Project) -> Waiver | None:
    override = (
        DeliveryOverride.objects.select_for_update()
        .filter(project=project, delivery__isnull=True)
        .order_by("granted_at", "id")
        .first()
    )
    if override is None:
        return None

    def use(delivery: Delivery) -> None:
        override.delivery = delivery
        override.save(update_fields=["delivery"])
        audit_record(actor=override.granted_by, action="delivery_override_used", obj=delivery,
                     reason=override.reason, changes={"override": [None, override.pk]})  # fmt: skip

    return Waiver(covers=None, use=use)


# Every refusal: spent after the narrower kinds other apps register.
register_waiver("delivery_override", _unused_delivery_override, order=100)


@transaction.atomic
def delivery_approve_price(*, actor: User, delivery: Delivery, reason: str) -> PriceApproval:
    """A manager accepts a price below the floor, with the reason on record."""
    _require_role(
        actor,
        (Role.MANAGER, Role.ADMIN),
        _("Only a sales manager may approve a price below floor."),
    )
    if not delivery.below_floor:
        raise ValidationError(_("This delivery is not below its floor price."))
    if not reason.strip():
        raise ValidationError({"reason": _("An approval needs a reason.")})
    if PriceApproval.objects.filter(delivery=delivery).exists():
        raise ValidationError(_("This delivery's price is already approved."))
    approval = PriceApproval.objects.create(
        delivery=delivery, approved_by=actor, reason=reason.strip()
    )
    audit_record(actor=actor, action="approve_price", obj=delivery, reason=reason,
                 changes={"unit_price": [str(delivery.floor_price), str(delivery.unit_price)]})  # fmt: skip
    return approval


@transaction.atomic
def floor_price_set(
    *, actor: User | None, product: str, price, effective_from: dt.date, plant: Plant | None = None
) -> FloorPrice:
    _require_role(
        actor, (Role.MANAGER, Role.ADMIN), _("Only a sales manager may set floor prices.")
    )
    product = _product(product)
    price = money(price, "price", positive=False)
    row, _created = FloorPrice.objects.update_or_create(
        product=product, plant=plant, effective_from=effective_from,
        defaults={"price": price, "set_by": actor},
    )  # fmt: skip
    audit_record(actor=actor, action="floor_price", obj=row,
                 changes={"price": [None, str(price)], "effective_from": [None, str(effective_from)]})  # fmt: skip
    return row


# Invoices, payments, expenses --------------------------------------------------------


def invoice_values(
    *, project: Project, date: dt.date, amount, due_date: dt.date | None = None,
    dates: RecordDates | None = None,
) -> dict:  # fmt: skip
    """Validated values of an invoice; the due date defaults to date + the project's terms
    and may lie after today."""
    date = (dates or RecordDates()).check(date)
    amount = money(amount, "amount")
    due_date = due_date or date + dt.timedelta(days=project.payment_terms_days)
    if due_date < date:
        raise ValidationError({"due_date": _("The due date cannot be before the invoice date.")})
    return {"project": project, "date": date, "due_date": due_date, "amount": amount}


@transaction.atomic
def invoice_post(
    *, actor: User | None, number: str, today: dt.date | None = None, **fields
) -> tuple[Invoice, bool]:
    _require_role(actor, POSTERS[Invoice], _("You may not post invoices."))
    values = invoice_values(**fields, dates=RecordDates.on(today))
    _require_visible(actor, values["project"])
    return _post_once(Invoice, "number", number, values, actor)


def payment_values(
    *, project: Project, date: dt.date, amount, method: str = PaymentMethod.BANK,
    dates: RecordDates | None = None,
) -> dict:  # fmt: skip
    date = (dates or RecordDates()).check(date)
    amount = money(amount, "amount")
    if method not in PaymentMethod.values:
        raise ValidationError(
            {"method": _("Unknown payment method %(method)s.") % {"method": method}}
        )
    return {"project": project, "date": date, "amount": amount, "method": method}


@transaction.atomic
def payment_post(
    *, actor: User | None, reference: str, today: dt.date | None = None, **fields
) -> tuple[Payment, bool]:
    """Record a payment. Asset offsets come through `offset_accept`, at the appraised value."""
    _require_role(actor, POSTERS[Payment], _("You may not post payments."))
    values = payment_values(**fields, dates=RecordDates.on(today))
    _require_visible(actor, values["project"])
    payment, created = _post_once(Payment, "reference", reference, values, actor)
    if created:
        _after_payment(payment, today)
    return payment, created


def expense_values(
    *, salesperson: User, date: dt.date, amount, project: Project | None = None,
    category: str = "", dates: RecordDates | None = None,
) -> dict:  # fmt: skip
    date = (dates or RecordDates()).check(date)
    amount = money(amount, "amount")
    return {
        "salesperson": salesperson, "project": project, "date": date, "amount": amount,
        "category": (category or "").strip(),
    }  # fmt: skip


@transaction.atomic
def expense_post(
    *, actor: User | None, reference: str, today: dt.date | None = None, **fields
) -> tuple[Expense, bool]:
    _require_role(actor, POSTERS[Expense], _("You may not post expenses."))
    values = expense_values(**fields, dates=RecordDates.on(today))
    return _post_once(Expense, "reference", reference, values, actor)


# Reversals ---------------------------------------------------------------------------

_REVERSAL = {
    Delivery: DeliveryReversal,
    Invoice: InvoiceReversal,
    Payment: PaymentReversal,
    Expense: ExpenseReversal,
}


@transaction.atomic
def record_reverse(
    *, actor: User | None, record, date: dt.date, reason: str, today: dt.date | None = None
):
    """Cancel a posted delivery, invoice, payment or expense from `date` on, with a reason.

    The record itself is untouched: reports as of an earlier date still see it. A reversal
    is dated like a money record: not after today.
    """
    _require_role(actor, REVERSERS, _("Only finance may reverse a posted record."))
    RecordDates(today=today, start=dt.date.min).check(date)
    reversal_model = _REVERSAL[type(record)]
    if not reason.strip():
        raise ValidationError({"reason": _("A reversal needs a reason.")})
    if date < record.date:
        raise ValidationError({"date": _("A reversal cannot be dated before the record.")})
    field = type(record).__name__.lower()
    # Two reversals of one record at once: the second waits here for the first to commit,
    # then finds it, and is refused like any second reversal.
    type(record).objects.select_for_update().filter(pk=record.pk).first()
    if reversal_model.objects.filter(**{field: record}).exists():
        raise ValidationError(_("%(record)s is already reversed.") % {"record": record})
    if isinstance(record, Payment) and hasattr(record, "asset_offset"):
        raise ValidationError(_("An asset-offset payment is reversed by rejecting the offset."))
    reversal = reversal_model.objects.create(
        **{field: record}, date=date, reason=reason.strip(), reversed_by=actor
    )
    audit_record(actor=actor, action="reverse", obj=record, reason=reason,
                 changes={"reversed_on": [None, date.isoformat()]})  # fmt: skip
    return reversal


# Batches (the workbook importer) -----------------------------------------------------


@transaction.atomic
def records_post_batch(
    *, model, key_field: str, rows: list[tuple[str, dict]], actor: User | None
) -> tuple[int, int, dict[str, list[str]]]:
    """Post many records of one kind, with the same rules as one at a time.

    `rows` holds (key, validated values) pairs, the values built by the `*_values`
    functions above. Keys already stored with the same content are skipped; with different
    content they are returned as conflicts {key: [differing fields]} and nothing of the
    batch is written. Returns (created, skipped, conflicts). Two queries per batch.
    """
    keys = [key for key, _values in rows]
    existing = model.objects.in_bulk(keys, field_name=key_field)
    conflicts, new, skipped = {}, [], 0
    for key, values in rows:
        if key in existing:
            differences = differing_fields(existing[key], values)
            if differences:
                conflicts[key] = differences
            else:
                skipped += 1
        else:
            new.append(model(**{key_field: key}, **values, posted_by=actor))
    if conflicts:
        return 0, skipped, conflicts
    model.objects.bulk_create(new, batch_size=2000)
    return len(new), skipped, {}
