"""Applying money rows: deliveries, invoices, payments, expenses.

Posted money records are immutable. A batch is validated row by row with the ledger's
own `*_values` functions and posted with `records_post_batch` (two queries per batch):
a key already stored with the same content is skipped, with different content it is an
error naming the differing columns.

Whether a repeated key came from this file or from an earlier import is told by the
record's id: records created by this run have ids above the highest id stored before it.
That keeps memory flat: no set of every key of a 100,000-row sheet.
"""

from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Max

from salesdesk.imports.references import PLANTS, PROJECTS, USERS, fetch, resolve
from salesdesk.imports.spec import Problem, Row, SheetRun
from salesdesk.ledger.gate import Asking, gate_verdicts
from salesdesk.ledger.models import Delivery, Expense, Invoice, Payment
from salesdesk.ledger.services import (
    FloorPriceBook,
    ProductFinder,
    RecordDates,
    delivery_values,
    expense_values,
    invoice_values,
    payment_values,
    records_post_batch,
)

# What a DecimalField(max_digits=18, decimal_places=2) holds.
MONEY_LIMIT = Decimal(10) ** 16


def post_rows(
    sheet: SheetRun,
    rows: list[Row],
    *,
    model,
    key: str,
    build: Callable[[Row], dict | None],
    derived: dict[str, tuple[str, ...]] | None = None,
) -> None:
    """Validate `rows` with `build` and post them.

    `key` is both the key column and the model's key field. `derived` maps computed
    fields (a delivery's amount) to the columns they are computed from.
    """
    watermark = _watermark(sheet, model)
    batch: dict[str, tuple[Row, dict]] = {}
    for row in rows:
        try:
            values = build(row)
        except ValidationError as exc:
            sheet.errors_from(row, exc, default_column=key)
            continue
        if values is None or row.failed:
            continue
        first = batch.get(row[key])
        if first is None:
            batch[row[key]] = (row, values)
            continue
        first_row, first_values = first
        fields = dict.fromkeys([*first_values, *values])
        differing = [f for f in fields if values.get(f) != first_values.get(f)]
        where = f"is already on row {first_row.number}"
        _report_differences(sheet, row, where, differing, derived)
        if not differing:
            sheet.unchanged()

    pairs = [(k, values) for k, (_row, values) in batch.items()]
    created, skipped, conflicts = records_post_batch(
        model=model, key_field=key, rows=pairs, actor=sheet.actor
    )
    if conflicts:
        stored_by_this_run = model.objects.filter(
            **{f"{key}__in": list(conflicts), "pk__gt": watermark}
        ).values_list(key, flat=True)
        from_this_file = set(stored_by_this_run)
        for conflict_key, fields in conflicts.items():
            if conflict_key in from_this_file:
                where = "is already on an earlier row"
            else:
                where = "is already posted"
            _report_differences(sheet, batch[conflict_key][0], where, fields, derived)
        # A batch with conflicts writes nothing; post the rest so a later repeat of one
        # of their keys is still compared, and every error of the file is found.
        pairs = [(k, values) for k, values in pairs if k not in conflicts]
        created, skipped, _conflicts = records_post_batch(
            model=model, key_field=key, rows=pairs, actor=sheet.actor
        )
    sheet.counts["created"] += created
    sheet.counts["unchanged"] += skipped


def _report_differences(sheet, row, where: str, fields, derived) -> None:
    """One error per differing column: `invoice INV-1 is already posted with a different
    amount`. A computed field is reported only when none of its source columns differ."""
    derived = derived or {}
    for field in fields:
        column = field
        if field in derived:
            if any(source in fields for source in derived[field]):
                continue
            column = derived[field][-1]
        label = field.replace("_", " ")
        key = row[sheet.spec.key[0]]
        sheet.error(row, column, f"{sheet.spec.noun} {key} {where} with a different {label}")


def _watermark(sheet: SheetRun, model) -> int:
    """The highest id stored before this import (taken before the model's first write)."""
    cache_key = ("watermark", model)
    if cache_key not in sheet.run.cache:
        highest = model.objects.aggregate(highest=Max("pk"))["highest"]
        sheet.run.cache[cache_key] = highest or 0
    return sheet.run.cache[cache_key]


def _dates(sheet: SheetRun) -> RecordDates:
    # Money records are dated between the company's start and the day of the import.
    if "dates" not in sheet.run.cache:
        sheet.run.cache["dates"] = RecordDates.on(sheet.run.today)
    return sheet.run.cache["dates"]


def _products(sheet: SheetRun) -> ProductFinder:
    if "products" not in sheet.run.cache:
        sheet.run.cache["products"] = ProductFinder()
    return sheet.run.cache["products"]


def _floor_prices(sheet: SheetRun) -> FloorPriceBook:
    # One book per import: floor prices are read once, not once per delivery.
    if "floor_prices" not in sheet.run.cache:
        sheet.run.cache["floor_prices"] = FloorPriceBook()
    return sheet.run.cache["floor_prices"]


# Sheets -------------------------------------------------------------------------------


def apply_deliveries(sheet: SheetRun, rows: list[Row]) -> None:
    projects = fetch(sheet, PROJECTS, rows, "project", select_related=("plant",))
    plants = fetch(sheet, PLANTS, rows, "plant")
    floor_prices = _floor_prices(sheet)
    products, dates = _products(sheet), _dates(sheet)

    def build(row: Row) -> dict | None:
        project = resolve(sheet, row, "project", PROJECTS, projects)
        plant = resolve(sheet, row, "plant", PLANTS, plants)
        if products.find(row["product"]) is None:
            sheet.error(row, "product", f"unknown product {row['product']}")
        if row.failed:
            return None
        values = delivery_values(
            project=project, date=row["date"], product=row["product"],
            quantity=row["quantity"], unit_price=row["unit_price"],
            unit=row.get("unit", "m3"), plant=plant, dates=dates, find=products.find,
        )  # fmt: skip
        if values["amount"] >= MONEY_LIMIT:
            sheet.error(row, "quantity", f"the amount {values['amount']} is too large")
            return None
        # As delivery_post does: a price below the floor is recorded with the floor, and
        # waits for a manager's approval.
        floor = floor_prices.price(values["product"], values["plant"], values["date"])
        if floor is not None and values["unit_price"] < floor:
            values["floor_price"] = floor
        return values

    watermark = _watermark(sheet, Delivery)
    post_rows(
        sheet, rows, model=Delivery, key="ticket", build=build,
        derived={"amount": ("quantity", "unit_price"), "floor_price": ("unit_price",)},
    )  # fmt: skip
    # Remember where the new deliveries came from, for the gate's report at the end.
    created = Delivery.objects.filter(
        ticket__in=[row["ticket"] for row in rows if not row.failed], pk__gt=watermark
    ).values_list("pk", "ticket")
    rows_of = {row["ticket"]: row.number for row in rows}
    sheet.run.cache.setdefault("new_deliveries", {}).update(
        {pk: rows_of[ticket] for pk, ticket in created}
    )


GATE_BATCH = 2000


def report_gate_refusals(run) -> None:
    """The import loads the past as it was, so it takes deliveries the order gate would
    refuse today; it lists them (warnings, not errors). Asked once every sheet is loaded,
    so the exposure counts the imported invoices and payments too; each delivery is asked
    about as if it came today, its own amount taken out of the ledger first."""
    new = run.cache.get("new_deliveries") or {}
    ids = sorted(new)
    for start in range(0, len(ids), GATE_BATCH):
        deliveries = list(
            Delivery.objects.filter(pk__in=ids[start : start + GATE_BATCH])
            .select_related("project__customer")
            .order_by("pk")
        )
        askings = [
            Asking(d.project.customer, d.project, amount=d.amount, counted=d.amount)
            for d in deliveries
        ]
        verdicts = gate_verdicts(askings, as_of=run.today)
        for delivery, verdict in zip(deliveries, verdicts, strict=True):
            if not verdict.allowed:
                reasons = "; ".join(reason.message for reason in verdict.reasons)
                run.warnings.append(
                    Problem(
                        f"delivery {delivery.ticket}: the order gate would refuse it today "
                        f"({run.today.isoformat()}): {reasons}",
                        "deliveries", new[delivery.pk], "project",
                    )
                )  # fmt: skip


def apply_invoices(sheet: SheetRun, rows: list[Row]) -> None:
    projects = fetch(sheet, PROJECTS, rows, "project")

    def build(row: Row) -> dict | None:
        project = resolve(sheet, row, "project", PROJECTS, projects)
        if row.failed:
            return None
        # A blank due date is the invoice date plus the project's payment terms.
        return invoice_values(
            project=project, date=row["date"], amount=row["amount"], due_date=row.get("due_date"),
            dates=_dates(sheet),
        )  # fmt: skip

    post_rows(sheet, rows, model=Invoice, key="number", build=build)


def apply_payments(sheet: SheetRun, rows: list[Row]) -> None:
    projects = fetch(sheet, PROJECTS, rows, "project")

    def build(row: Row) -> dict | None:
        project = resolve(sheet, row, "project", PROJECTS, projects)
        if row.failed:
            return None
        return payment_values(
            project=project, date=row["date"], amount=row["amount"],
            method=row.get("method", "bank"), dates=_dates(sheet),
        )  # fmt: skip

    post_rows(sheet, rows, model=Payment, key="reference", build=build)


def apply_expenses(sheet: SheetRun, rows: list[Row]) -> None:
    users = fetch(sheet, USERS, rows, "salesperson")
    projects = fetch(sheet, PROJECTS, rows, "project")

    def build(row: Row) -> dict | None:
        salesperson = resolve(sheet, row, "salesperson", USERS, users)
        project = resolve(sheet, row, "project", PROJECTS, projects)
        if row.failed:
            return None
        return expense_values(
            salesperson=salesperson, project=project, date=row["date"], amount=row["amount"],
            category=row.get("category", ""), dates=_dates(sheet),
        )  # fmt: skip

    post_rows(sheet, rows, model=Expense, key="reference", build=build)
