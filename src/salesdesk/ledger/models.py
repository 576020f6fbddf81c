"""Money records: deliveries, invoices, payments, expenses, and their reversals.

Posted records are immutable. A mistake is corrected by a reversal: a separate record,
dated, with a reason, that cancels the original from its date on. Natural keys (ticket,
invoice number, payment reference, expense reference) make every post idempotent.
"""

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.access import ScopedQuerySet
from salesdesk.core.models import Plant, TimeStamped, User
from salesdesk.customers.models import Project
from salesdesk.ledger.choices import OffsetStatus, OffsetStep, PaymentMethod

MONEY = {"max_digits": 18, "decimal_places": 2}


class Product(TimeStamped):
    """A product of the catalogue (DOMAIN §5). Deliveries and floor prices name one, so a
    misspelt name can never slip past its floor price. Two products never share a name
    folded for width, case and spaces (`name_key`)."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_key = models.CharField(_("folded name"), max_length=100, unique=True, editable=False)
    unit = models.CharField(_("unit"), max_length=20, default="m3")
    grade = models.CharField(_("grade"), max_length=20, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self):
        return self.name


class Posted(models.Model):
    """Fields every posted money record has."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT)
    date = models.DateField(_("date"))
    posted_by = models.ForeignKey(
        User, verbose_name=_("posted by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    posted_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    objects = ScopedQuerySet.by("project__owner").as_manager()

    class Meta:
        abstract = True


class Delivery(Posted):
    """Goods delivered to a project (送货), priced per unit."""

    ticket = models.CharField(_("delivery ticket"), max_length=50, unique=True)
    plant = models.ForeignKey(Plant, verbose_name=_("plant"), on_delete=models.PROTECT)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="deliveries"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20, default="m3")
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)
    # The floor price in force when posted; set only when the price was below it.
    floor_price = models.DecimalField(_("floor price"), **MONEY, null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="delivery_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="delivery_unit_price_nonnegative"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="delivery_amount_nonnegative"),
        ]
        indexes = [
            models.Index(fields=["project", "date"], name="delivery_project_date_idx"),
            # About 1 delivery in 100 is below its floor price; the Today page counts those
            # waiting for approval on every view. Without it each project's deliveries
            # are read to find them (40 ms for a manager's team on the demo data).
            models.Index(
                fields=["project"],
                condition=Q(floor_price__isnull=False),
                name="delivery_below_floor_idx",
            ),
        ]

    def __str__(self):
        return self.ticket

    @property
    def below_floor(self) -> bool:
        return self.floor_price is not None and self.unit_price < self.floor_price


class Invoice(Posted):
    """An invoice or monthly statement (对账单): what the project owes, due on a date."""

    number = models.CharField(_("invoice number"), max_length=50, unique=True)
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("date")), name="invoice_due_after_date"
            ),
        ]
        indexes = [
            # The allocation order: oldest due date first, then invoice date, then number.
            models.Index(
                fields=["project", "due_date", "date", "number"], name="invoice_allocation_idx"
            ),
        ]

    def __str__(self):
        return self.number

    def days_past_due(self, as_of: dt.date) -> int:
        return (as_of - self.due_date).days


class Payment(Posted):
    """Cash collected (回款). The same reference is the same payment, never two."""

    reference = models.CharField(_("reference"), max_length=80, unique=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(
        _("method"), max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.BANK
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [models.Index(fields=["project", "date"], name="payment_project_date_idx")]

    def __str__(self):
        return self.reference


class Expense(TimeStamped):
    """A sales expense claimed by a salesperson, optionally against a project."""

    reference = models.CharField(_("reference"), max_length=80, unique=True)
    salesperson = models.ForeignKey(
        User, verbose_name=_("salesperson"), on_delete=models.PROTECT, related_name="expenses"
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, null=True, blank=True
    )
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    category = models.CharField(_("category"), max_length=50, blank=True)
    posted_by = models.ForeignKey(
        User, verbose_name=_("posted by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["salesperson", "date"], name="expense_salesperson_date_idx")
        ]

    def __str__(self):
        return self.reference


class Reversal(models.Model):
    """Cancels one posted record from `date` on. The original stays as it was."""

    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200)
    reversed_by = models.ForeignKey(
        User, verbose_name=_("reversed by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True


class DeliveryReversal(Reversal):
    """A delivery posted in error, cancelled."""

    delivery = models.OneToOneField(
        Delivery, verbose_name=_("delivery"), on_delete=models.PROTECT, related_name="reversal"
    )

    class Meta:
        verbose_name = _("delivery reversal")
        verbose_name_plural = _("delivery reversals")

    def __str__(self):
        return f"{self.delivery} reversed {self.date}"


class InvoiceReversal(Reversal):
    """An invoice cancelled (红冲); a corrected one is posted under a new number."""

    invoice = models.OneToOneField(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="reversal"
    )

    class Meta:
        verbose_name = _("invoice reversal")
        verbose_name_plural = _("invoice reversals")

    def __str__(self):
        return f"{self.invoice} reversed {self.date}"


class PaymentReversal(Reversal):
    """A payment that did not stand (a returned transfer, a dishonoured bill)."""

    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="reversal"
    )

    class Meta:
        verbose_name = _("payment reversal")
        verbose_name_plural = _("payment reversals")

    def __str__(self):
        return f"{self.payment} reversed {self.date}"


class ExpenseReversal(Reversal):
    """An expense claim posted in error, cancelled."""

    expense = models.OneToOneField(
        Expense, verbose_name=_("expense"), on_delete=models.PROTECT, related_name="reversal"
    )

    class Meta:
        verbose_name = _("expense reversal")
        verbose_name_plural = _("expense reversals")

    def __str__(self):
        return f"{self.expense} reversed {self.date}"


class FloorPrice(TimeStamped):
    """The lowest unit price a product may be sold at without a manager's approval.

    A row for a plant overrides the company-wide row (plant empty) for that plant.
    """

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="floor_prices"
    )
    plant = models.ForeignKey(
        Plant, verbose_name=_("plant"), on_delete=models.PROTECT, null=True, blank=True
    )
    price = models.DecimalField(_("floor price"), **MONEY)
    effective_from = models.DateField(_("effective from"))
    set_by = models.ForeignKey(
        User, verbose_name=_("set by"), on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["product", "plant", "-effective_from"]
        verbose_name = _("floor price")
        verbose_name_plural = _("floor prices")
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="floor_price_nonnegative"),
            models.UniqueConstraint(
                fields=["product", "plant", "effective_from"],
                condition=Q(plant__isnull=False),
                name="floor_price_plant_unique",
            ),
            models.UniqueConstraint(
                fields=["product", "effective_from"],
                condition=Q(plant__isnull=True),
                name="floor_price_company_unique",
            ),
        ]

    def __str__(self):
        return f"{self.product} ≥ {self.price}"


class PriceApproval(models.Model):
    """A manager's approval of a delivery below its floor price: who and why."""

    delivery = models.OneToOneField(
        Delivery,
        verbose_name=_("delivery"),
        on_delete=models.PROTECT,
        related_name="price_approval",
    )
    approved_by = models.ForeignKey(
        User, verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("price approval")
        verbose_name_plural = _("price approvals")

    def __str__(self):
        return f"{self.delivery} approved by {self.approved_by}"


class DeliveryOverride(models.Model):
    """A supervisor's written permission for one delivery the order gate refuses, whatever
    the reason (DOMAIN §6); used up by the next delivery to the project."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="+"
    )
    granted_by = models.ForeignKey(
        User, verbose_name=_("granted by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    delivery = models.OneToOneField(
        Delivery, verbose_name=_("delivery"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="gate_override",
    )  # fmt: skip

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("delivery override")
        verbose_name_plural = _("delivery overrides")

    def __str__(self):
        return f"override for {self.project.code}"


class AssetOffset(TimeStamped):
    """Debt settled with goods or assets (以物抵债): sales applies, finance appraises,
    supply accepts the goods, then a payment of method "offset" is posted at the
    appraised value. Any step may reject with a reason."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="asset_offsets"
    )
    items = models.TextField(_("items"))
    claimed_value = models.DecimalField(_("claimed value"), **MONEY)
    appraised_value = models.DecimalField(_("appraised value"), **MONEY, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OffsetStatus.choices, default=OffsetStatus.APPLIED
    )
    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="asset_offset",
    )  # fmt: skip

    objects = ScopedQuerySet.by("project__owner").as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("asset offset")
        verbose_name_plural = _("asset offsets")
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed_value__gt=0), name="offset_claimed_positive"
            ),
            models.CheckConstraint(
                condition=Q(appraised_value__isnull=True) | Q(appraised_value__gt=0),
                name="offset_appraised_positive",
            ),
        ]

    def __str__(self):
        return f"{self.project.code} {self.claimed_value}"


class AssetOffsetStep(models.Model):
    """One step of an asset offset's workflow, for its timeline."""

    offset = models.ForeignKey(
        AssetOffset, verbose_name=_("asset offset"), on_delete=models.PROTECT, related_name="steps"
    )
    step = models.CharField(_("step"), max_length=20, choices=OffsetStep.choices)
    actor = models.ForeignKey(
        User, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField(_("value"), **MONEY, null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("asset offset step")
        verbose_name_plural = _("asset offset steps")

    def __str__(self):
        return f"{self.offset_id} {self.step}"


ZERO = Decimal("0.00")
