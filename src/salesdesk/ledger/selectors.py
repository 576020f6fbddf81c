"""Reads behind the ledger pages, always scoped to what the user may see.

Balances come from `allocation` (SQL, exact as of any date); this module joins them to the
records a page shows, in a fixed number of queries whatever the size of the project.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.utils.translation import gettext as _

from salesdesk.core.models import Plant, User
from salesdesk.core.reporting import Report
from salesdesk.customers.choices import Tier
from salesdesk.customers.models import Project
from salesdesk.ledger.allocation import InvoiceBalance, invoice_balances, project_balances
from salesdesk.ledger.models import (
    MONEY,
    AssetOffset,
    AssetOffsetStep,
    Delivery,
    FloorPrice,
    Invoice,
    Payment,
)
from salesdesk.ledger.reports import aging_report
from salesdesk.lib.money import ZERO

DELIVERY_LIMIT = 100


def visible_projects(user: User) -> QuerySet[Project]:
    return Project.objects.visible_to(user)


def project_get(user: User, code: str) -> Project:
    """The project if `user` may see it; Project.DoesNotExist otherwise."""
    return visible_projects(user).select_related("customer", "owner", "plant").get(code=code)


def _reversal_as_of(record, as_of: dt.date):
    """The record's reversal if it took effect on or before `as_of` (later ones do not count
    yet: as of that date the record stood)."""
    reversal = getattr(record, "reversal", None)
    return reversal if reversal is not None and reversal.date <= as_of else None


# The project ledger -------------------------------------------------------------------


@dataclass
class InvoiceRow:
    invoice: Invoice
    balance: InvoiceBalance | None  # None when reversed as of the date
    reversal: object | None = None

    @property
    def reversible(self) -> bool:
        """Not reversed at all yet (a reversal dated after the ledger's date counts)."""
        return getattr(self.invoice, "reversal", None) is None

    @property
    def settled(self) -> Decimal | None:
        return self.balance.settled if self.balance else None

    @property
    def unsettled(self) -> Decimal | None:
        return self.balance.unsettled if self.balance else None

    @property
    def days_past_due(self) -> int | None:
        """Days past due of what is still unsettled; None when nothing is."""
        if self.balance is None or self.balance.unsettled <= 0:
            return None
        return self.balance.days_past_due

    @property
    def state(self) -> str:
        if self.balance is None:
            return "reversed"
        if self.balance.unsettled <= 0:
            return "settled"
        if self.balance.days_past_due > 0:
            return "overdue"
        if self.balance.settled > 0:
            return "partly_settled"
        return "open"

    def state_label(self) -> str:
        return {
            "reversed": _("Reversed"),
            "settled": _("Settled"),
            "overdue": _("Overdue"),
            "partly_settled": _("Partly settled"),
            "open": _("Not due"),
        }[self.state]


@dataclass
class RecordRow:
    """A payment or delivery with its reversal, if in effect as of the ledger's date."""

    record: object
    reversal: object | None = None

    @property
    def reversible(self) -> bool:
        return getattr(self.record, "reversal", None) is None


@dataclass
class LedgerSummary:
    billed: Decimal = ZERO
    collected: Decimal = ZERO
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO
    credit: Decimal = ZERO
    oldest_days_past_due: int | None = None

    @property
    def settled(self) -> Decimal:
        """The part of the billed amount payments have settled."""
        return self.billed - self.outstanding

    @property
    def collection_ratio(self) -> Decimal | None:
        """Collected / billed, in per cent (DOMAIN §5); None before anything is billed."""
        if self.billed <= 0:
            return None
        return (self.collected * 100 / self.billed).quantize(Decimal("0.1"))


@dataclass
class ProjectLedger:
    as_of: dt.date
    summary: LedgerSummary
    invoices: list[InvoiceRow]
    payments: list[RecordRow]
    deliveries: list[RecordRow]
    delivery_count: int
    delivery_amount: Decimal
    offsets: list[AssetOffset] = field(default_factory=list)

    @property
    def deliveries_truncated(self) -> bool:
        return self.delivery_count > len(self.deliveries)


def project_ledger(project: Project, as_of: dt.date) -> ProjectLedger:
    """Everything the project page shows about money, as of `as_of`, in a fixed number of
    queries (ten) whatever the number of records."""
    only_this = Project.objects.filter(pk=project.pk)
    balance = project_balances(as_of, only_this).get(project.pk)
    summary = LedgerSummary()
    if balance is not None:
        summary = LedgerSummary(
            billed=balance.billed,
            collected=balance.paid,
            outstanding=balance.outstanding,
            overdue=balance.overdue,
            credit=balance.credit,
            oldest_days_past_due=balance.oldest_days_past_due,
        )
    return ProjectLedger(
        as_of=as_of,
        summary=summary,
        invoices=_invoice_rows(project, as_of, only_this),
        payments=[
            RecordRow(p, _reversal_as_of(p, as_of))
            for p in Payment.objects.filter(project=project, date__lte=as_of)
            .select_related("reversal", "posted_by")
            .order_by("date", "id")
        ],
        deliveries=[
            RecordRow(d, _reversal_as_of(d, as_of))
            for d in Delivery.objects.filter(project=project, date__lte=as_of)
            .select_related("reversal", "plant", "product", "price_approval__approved_by")
            .order_by("-date", "-id")[:DELIVERY_LIMIT]
        ],
        **_delivery_totals(project, as_of),
        offsets=list(
            AssetOffset.objects.filter(project=project)
            .select_related("payment")
            .prefetch_related(
                Prefetch("steps", queryset=AssetOffsetStep.objects.select_related("actor"))
            )
            .order_by("-created_at", "-id")
        ),
    )


def _invoice_rows(project: Project, as_of: dt.date, only_this: QuerySet) -> list[InvoiceRow]:
    """Invoices dated up to `as_of` in allocation order; those reversed by then keep their
    place, struck through, so the page shows what was cancelled and why."""
    balances = {b.id: b for b in invoice_balances(as_of, only_this)}
    invoices = (
        Invoice.objects.filter(project=project, date__lte=as_of)
        .select_related("reversal", "reversal__reversed_by")
        .order_by("due_date", "date", "number")
    )
    rows = []
    for invoice in invoices:
        reversal = _reversal_as_of(invoice, as_of)
        rows.append(InvoiceRow(invoice, None if reversal else balances.get(invoice.pk), reversal))
    return rows


def _delivery_totals(project: Project, as_of: dt.date) -> dict:
    """How many deliveries there are up to `as_of`, and the amount of those standing."""
    standing = Q(reversal__isnull=True) | Q(reversal__date__gt=as_of)
    totals = Delivery.objects.filter(project=project, date__lte=as_of).aggregate(
        count=Count("pk"), amount=Sum("amount", filter=standing)
    )
    return {"delivery_count": totals["count"], "delivery_amount": totals["amount"] or ZERO}


# Aging ----------------------------------------------------------------------------------


def aging_projects(
    user: User, *, owner: User | None = None, tier: str = "", plant: Plant | None = None
) -> QuerySet[Project]:
    """The projects `user` may see, narrowed by the aging page's filters."""
    projects = visible_projects(user)
    if owner is not None:
        projects = projects.filter(owner=owner)
    if tier:
        projects = projects.filter(customer__tier=tier)
    if plant is not None:
        projects = projects.filter(plant=plant)
    return projects


def aging(user: User, *, as_of: dt.date, **filters) -> Report:
    """The aging report over the user's filtered projects, the most overdue first (so the
    page and its exports list the same rows in the same order)."""
    report = aging_report(as_of=as_of, projects=aging_projects(user, **filters))
    report.rows.sort(key=lambda row: (-Decimal(row["overdue"]), row["customer"], row["project"]))
    return report


def bucket_label(name: str) -> str:
    """ "not_due", "1-30", "365+" as words."""
    if name == "not_due":
        return _("Not due")
    if name.endswith("+"):
        return _("Over %(days)s days") % {"days": name[:-1]}
    low, high = name.split("-")
    return _("%(low)s–%(high)s days") % {"low": low, "high": high}


@dataclass
class AgingRow:
    row: dict  # the report row, money as strings
    buckets: list[Decimal]
    outstanding: Decimal
    overdue: Decimal
    credit: Decimal
    tier_label: str = ""
    owner_name: str = ""


def aging_table(report: Report) -> tuple[list[tuple[str, str]], list[AgingRow], AgingRow | None]:
    """The report as the page shows it: (bucket names and labels, rows, totals row)."""
    names = list(report.totals.get("buckets", {}))
    if not names and report.rows:
        names = list(report.rows[0]["buckets"])

    def money_row(values: dict) -> AgingRow:
        return AgingRow(
            row=values,
            buckets=[Decimal(values["buckets"][name]) for name in names],
            outstanding=Decimal(values["outstanding"]),
            overdue=Decimal(values["overdue"]),
            credit=Decimal(values["credit"]),
            tier_label=str(Tier(values["tier"]).label) if values.get("tier") else "",
        )

    rows = [money_row(row) for row in report.rows]
    names_of = dict(
        User.objects.filter(username__in={row["owner"] for row in report.rows}).values_list(
            "username", "name"
        )
    )
    for row in rows:
        row.owner_name = names_of.get(row.row["owner"]) or row.row["owner"]
    totals = money_row(report.totals) if report.rows else None
    return [(name, bucket_label(name)) for name in names], rows, totals


# Floor prices ---------------------------------------------------------------------------


@dataclass
class FloorPriceRow:
    price: FloorPrice
    state: str  # "in_force", "scheduled" or "superseded"


def floor_prices(today: dt.date) -> list[FloorPriceRow]:
    """Every floor price, grouped by product and plant, newest first, each marked in force,
    scheduled (effective later) or superseded. One query."""
    rows = FloorPrice.objects.select_related("product", "plant", "set_by").order_by(
        "product__code", "plant__code", "-effective_from"
    )
    result, current_found = [], set()
    for row in rows:
        key = (row.product_id, row.plant_id)
        if row.effective_from > today:
            state = "scheduled"
        elif key in current_found:
            state = "superseded"
        else:
            state = "in_force"
            current_found.add(key)
        result.append(FloorPriceRow(row, state))
    return result


def below_floor_deliveries(user: User, *, state: str = "") -> QuerySet[Delivery]:
    """Deliveries priced below their floor on visible projects, newest first."""
    deliveries = (
        Delivery.objects.visible_to(user)
        .filter(floor_price__isnull=False)
        .select_related(
            "project",
            "project__customer",
            "project__owner",
            "plant",
            "product",
            "price_approval__approved_by",
            "reversal",
        )
        .annotate(
            below_by=ExpressionWrapper(
                F("floor_price") - F("unit_price"), output_field=DecimalField(**MONEY)
            )
        )
        .order_by("-date", "-id")
    )
    if state == "waiting":
        deliveries = deliveries.filter(price_approval__isnull=True)
    elif state == "approved":
        deliveries = deliveries.filter(price_approval__isnull=False)
    return deliveries


def customer_first_delivery(customer) -> dt.date | None:
    """The customer's first-order date (DOMAIN §2): derived from its first delivery that
    was not reversed, never stored, so it cannot drift from the ledger."""
    return (
        Delivery.objects.filter(project__customer=customer, reversal__isnull=True)
        .order_by("date")
        .values_list("date", flat=True)
        .first()
    )
