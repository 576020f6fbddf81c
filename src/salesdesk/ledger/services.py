"""Posting money records, reversing them, floor prices, and the asset-offset workflow.

Every post is idempotent by its natural key: posting the same record again returns the
stored one; the same key with different content is a Conflict. Posted records are never
edited; `*_reverse` cancels one from a date on.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from salesdesk.core.choices import Role
from salesdesk.core.errors import Conflict, PermissionDenied
from salesdesk.core.inputs import decimal_of
from salesdesk.core.models import Plant, User
from salesdesk.core.policy import policy_as_of
from salesdesk.core.services import audit_record
from salesdesk.customers.models import Project
from salesdesk.ledger.choices import OffsetStatus, OffsetStep, PaymentMethod
from salesdesk.ledger.gate import Waiver, delivery_gate_pass, register_waiver
from salesdesk.ledger.models import (
    AssetOffset,
    AssetOffsetStep,
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
from salesdesk.lib.money import to_cents
from salesdesk.lib.names import product_key

POSTERS = {
    Delivery: (Role.SUPPLY, Role.FINANCE, Role.ADMIN),
    Invoice: (Role.FINANCE, Role.ADMIN),
    Payment: (Role.FINANCE, Role.ADMIN),
    Expense: (Role.FINANCE, Role.ADMIN),
}
REVERSERS = (Role.FINANCE, Role.ADMIN)
# SQLite keeps decimals as doubles (15 exact significant digits): amounts stay below
# 10^13 with their 2 places, quantities below 10^12 with their 3.
MONEY_LIMIT = Decimal(10) ** 13
QUANTITY_LIMIT = Decimal(10) ** 12


def _require_role(actor: User | None, roles, message: str) -> None:
    if actor is not None and not (actor.is_superuser or actor.has_role(*roles)):
        raise PermissionDenied(message)


def _require_visible(actor: User | None, project: Project) -> None:
    if actor is not None and not Project.objects.visible_to(actor).filter(pk=project.pk).exists():
        raise Project.DoesNotExist


def money(
    value, field: str, *, places: int = 2, positive: bool = True, limit: Decimal = MONEY_LIMIT
) -> Decimal:
    """A Decimal with at most `places` places, > 0 (or ≥ 0); ValidationError naming `field`."""
    amount = decimal_of(value, field, places=places)
    if abs(amount) >= limit:
        raise ValidationError({field: _("%(value)s is too large.") % {"value": value}})
    if positive and amount <= 0:
        raise ValidationError({field: _("Must be greater than zero.")})
    if not positive and amount < 0:
        raise ValidationError({field: _("Cannot be negative.")})
    return amount


@dataclass(frozen=True)
class RecordDates:
    """The dates a money record may carry (DOMAIN §5): from the company's start (policy) to
    today. The edge that knows the day passes `today`; without it only the start is checked
    (history loaded by the demo generator). Due dates are not record dates: they may be later.
    """

    today: dt.date | None = None
    start: dt.date | None = None

    @classmethod
    def on(cls, today: dt.date | None) -> "RecordDates":
        """The window as of `today`, the start read once (for a batch of records)."""
        if today is None:
            return cls()
        return cls(today, policy_as_of(today)["company.start_date"])

    def check(self, day: dt.date, field: str = "date") -> dt.date:
        if self.today is not None and day > self.today:
            raise ValidationError(
                {field: _("The %(field)s %(day)s is after today (%(today)s): a money record cannot be dated in the future.")
                 % {"field": field, "day": day.isoformat(), "today": self.today.isoformat()}}
            )  # fmt: skip
        start = self.start or policy_as_of(self.today or day)["company.start_date"]
        if day < start:
            raise ValidationError(
                {field: _("The %(field)s %(day)s is before the company's start (%(start)s).")
                 % {"field": field, "day": day.isoformat(), "start": start.isoformat()}}
            )  # fmt: skip
        return day


def _post_once(model, key_field: str, key: str, values: Mapping, actor: User | None):
    """Insert the record unless its key exists. Returns (record, created).

    Two concurrent posts of one key both end here: the loser's insert fails on the UNIQUE
    constraint, and it then finds the winner's record and compares it like any repeat.
    """
    key = key.strip()
    if not key:
        raise ValidationError({key_field: _("A key is required.")})
    existing = model.objects.filter(**{key_field: key}).first()
    if existing is None:
        try:
            with transaction.atomic():
                record = model.objects.create(**{key_field: key}, **values, posted_by=actor)
        except IntegrityError:
            existing = model.objects.filter(**{key_field: key}).first()
            if existing is None:
                raise
        else:
            audit_record(actor=actor, action="post", obj=record, changes=_describe(values))
            return record, True
    differences = differing_fields(existing, values)
    if differences:
        raise Conflict(
            _("%(model)s %(key)s is already posted with different %(fields)s.")
            % {"model": model._meta.verbose_name, "key": key, "fields": ", ".join(differences)}
        )
    return existing, False


def differing_fields(record, values: Mapping) -> list[str]:
    """Names of the fields whose stored value differs from `values`."""
    differences = []
    for field, value in values.items():
        stored = getattr(record, f"{field}_id") if hasattr(value, "pk") else getattr(record, field)
        wanted = value.pk if hasattr(value, "pk") else value
        if isinstance(stored, Decimal) and wanted is not None:
            wanted = Decimal(wanted)
        if stored != wanted:
            differences.append(field)
    return differences


def _describe(values: Mapping) -> dict:
    return {field: [None, str(value)] for field, value in values.items()}


# The product catalogue ---------------------------------------------------------------

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


# What higher layers do when cash comes in (collections releases a supply hold the moment
# the customer's overdue amount reaches zero); they register at start-up, so the ledger
# never imports them.
_PAYMENT_HOOKS: dict[str, Callable[[Payment, dt.date], None]] = {}


def register_payment_hook(name: str, hook: Callable[[Payment, dt.date], None]) -> None:
    """`hook(payment, up_to)` runs after each new payment, `up_to` the later of its date and
    today (when the edge told today)."""
    _PAYMENT_HOOKS[name] = hook


def _after_payment(payment: Payment, today: dt.date | None) -> None:
    up_to = max(payment.date, today) if today else payment.date
    for hook in _PAYMENT_HOOKS.values():
        hook(payment, up_to)


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


# Asset offsets (以物抵债) -------------------------------------------------------------


def _offset_step(offset: AssetOffset, step: str, actor: User, value=None, note: str = "") -> None:
    AssetOffsetStep.objects.create(offset=offset, step=step, actor=actor, value=value, note=note)
    audit_record(actor=actor, action=f"offset_{step}", obj=offset.project, reason=note,
                 changes={"asset_offset": [None, f"#{offset.pk} {step} {value or ''}".strip()]})  # fmt: skip


@transaction.atomic
def offset_apply(*, actor: User, project: Project, items: str, claimed_value) -> AssetOffset:
    """Sales applies to settle debt with goods or assets."""
    _require_role(
        actor,
        (Role.SALES, Role.MANAGER, Role.ADMIN),
        _("Only sales may apply for an asset offset."),
    )
    _require_visible(actor, project)
    if not items.strip():
        raise ValidationError({"items": _("Describe the goods or assets offered.")})
    claimed = money(claimed_value, "claimed_value")
    offset = AssetOffset.objects.create(project=project, items=items.strip(), claimed_value=claimed)
    _offset_step(offset, OffsetStep.APPLY, actor, claimed, items.strip())
    return offset


def _locked_offset(offset: AssetOffset) -> AssetOffset:
    # Lock the row so two people acting on one offset cannot both move it.
    return AssetOffset.objects.select_for_update().select_related("project").get(pk=offset.pk)


@transaction.atomic
def offset_appraise(
    *, actor: User, offset: AssetOffset, appraised_value, note: str = ""
) -> AssetOffset:
    """Finance sets the value the goods are worth to us."""
    _require_role(
        actor, (Role.FINANCE, Role.ADMIN), _("Only finance may appraise an asset offset.")
    )
    offset = _locked_offset(offset)
    if offset.status != OffsetStatus.APPLIED:
        raise ValidationError(_("This offset is not waiting for an appraisal."))
    offset.appraised_value = money(appraised_value, "appraised_value")
    offset.status = OffsetStatus.APPRAISED
    offset.save(update_fields=["appraised_value", "status", "updated_at"])
    _offset_step(offset, OffsetStep.APPRAISE, actor, offset.appraised_value, note)
    return offset


@transaction.atomic
def offset_accept(
    *, actor: User, offset: AssetOffset, date: dt.date, note: str = "",
    today: dt.date | None = None,
) -> Payment:  # fmt: skip
    """Supply takes delivery of the goods; a payment of method "offset" at the appraised
    value is posted on `date`."""
    _require_role(actor, (Role.SUPPLY, Role.ADMIN), _("Only supply may accept offset goods."))
    RecordDates.on(today).check(date)
    offset = _locked_offset(offset)
    if offset.status != OffsetStatus.APPRAISED:
        raise ValidationError(_("This offset has not been appraised."))
    payment, _created = _post_once(
        Payment, "reference", f"OFFSET-{offset.pk}",
        {"project": offset.project, "date": date, "amount": offset.appraised_value,
         "method": PaymentMethod.OFFSET},
        actor,
    )  # fmt: skip
    _after_payment(payment, today)
    offset.payment = payment
    offset.status = OffsetStatus.POSTED
    offset.save(update_fields=["payment", "status", "updated_at"])
    _offset_step(offset, OffsetStep.ACCEPT, actor, offset.appraised_value, note)
    return payment


@transaction.atomic
def offset_reject(*, actor: User, offset: AssetOffset, reason: str) -> AssetOffset:
    """Finance rejects before appraisal, supply before acceptance; either with a reason."""
    offset = _locked_offset(offset)
    step_roles = {OffsetStatus.APPLIED: Role.FINANCE, OffsetStatus.APPRAISED: Role.SUPPLY}
    if offset.status not in step_roles:
        raise ValidationError(_("This offset is already closed."))
    _require_role(
        actor, (step_roles[offset.status], Role.ADMIN), _("It is not your step to reject.")
    )
    if not reason.strip():
        raise ValidationError({"reason": _("A rejection needs a reason.")})
    offset.status = OffsetStatus.REJECTED
    offset.save(update_fields=["status", "updated_at"])
    _offset_step(offset, OffsetStep.REJECT, actor, None, reason.strip())
    return offset


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
