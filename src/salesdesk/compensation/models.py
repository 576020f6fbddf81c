"""Commission statements and expense advances (DOMAIN §7).

Open months are computed on demand from the ledger, the tasks, the tier history and the
policy (compensation/statements.py); only finalising a month stores anything: one
MonthClose, one Statement per salesperson with lines or issued tasks, and their lines,
never changed afterwards.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.compensation.choices import AdvanceStatus, LineKind
from salesdesk.core.access import ScopedQuerySet
from salesdesk.core.models import TimeStamped, User
from salesdesk.customers.models import Project
from salesdesk.ledger.models import Expense, Invoice, Payment

MONEY = {"max_digits": 18, "decimal_places": 2}
POINTS = {"max_digits": 9, "decimal_places": 4}


class MonthClose(models.Model):
    """Finance's finalisation of a month: its statements are frozen from then on."""

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    finalised_at = models.DateTimeField(_("finalised at"))
    finalised_by = models.ForeignKey(
        User, verbose_name=_("finalised by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-month"]
        verbose_name = _("month close")
        verbose_name_plural = _("month closes")
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="close_month_first_day"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m}"


class StatementQuerySet(ScopedQuerySet):
    owner_field = "salesperson"


class Statement(models.Model):
    """A finalised commission statement: one salesperson, one month, frozen."""

    close = models.ForeignKey(
        MonthClose, verbose_name=_("month close"), on_delete=models.PROTECT,
        related_name="statements",
    )  # fmt: skip
    month = models.DateField(_("month"))
    salesperson = models.ForeignKey(
        User, verbose_name=_("salesperson"), on_delete=models.PROTECT,
        related_name="commission_statements",
    )  # fmt: skip
    # The band's inputs: issued tasks of the month (none: no band penalty).
    task_count = models.PositiveIntegerField(_("issued tasks"))
    task_target = models.DecimalField(_("task target"), **MONEY)
    task_collected = models.DecimalField(_("task collected"), **MONEY)
    band_points = models.DecimalField(_("band penalty points"), **POINTS)
    earned = models.DecimalField(_("earned"), **MONEY)
    held_back = models.DecimalField(_("held back"), **MONEY)
    released = models.DecimalField(_("released"), **MONEY)
    payable = models.DecimalField(_("payable"), **MONEY)

    objects = StatementQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "salesperson"]
        verbose_name = _("commission statement")
        verbose_name_plural = _("commission statements")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "salesperson"], name="statement_month_salesperson_unique"
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.salesperson}"


class StatementLine(models.Model):
    """One frozen line of a finalised statement, with every input of its rate."""

    statement = models.ForeignKey(
        Statement, verbose_name=_("statement"), on_delete=models.PROTECT, related_name="lines"
    )
    position = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=LineKind.choices)
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="+"
    )
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    slice_date = models.DateField(_("date"), null=True, blank=True)
    # An adjustment's own month (the rules it was computed with); else this month.
    of_month = models.DateField(_("of month"), null=True, blank=True)
    days_past_due = models.IntegerField(_("days past due"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=20, blank=True)
    collected = models.DecimalField(_("collected"), **MONEY)
    base_rate = models.DecimalField(_("base rate"), **POINTS)
    band_points = models.DecimalField(_("band penalty points"), **POINTS)
    # The task completion the band came from (its month's); empty: no issued task.
    completion = models.DecimalField(
        _("task completion"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    legal_points = models.DecimalField(_("legal penalty points"), **POINTS)
    bonus_points = models.DecimalField(_("old-debt bonus points"), **POINTS)
    rate = models.DecimalField(_("rate"), **POINTS)
    earned = models.DecimalField(_("earned"), **MONEY)
    held_back = models.DecimalField(_("held back"), **MONEY)
    released = models.DecimalField(_("released"), **MONEY)
    forfeited = models.DecimalField(_("forfeited"), **MONEY, default=0)
    payable = models.DecimalField(_("payable"), **MONEY)

    class Meta:
        ordering = ["statement", "position"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "position"], name="statement_line_position_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["payment", "invoice"], name="statement_line_slice_idx"),
            models.Index(fields=["project"], name="statement_line_project_idx"),
        ]

    def __str__(self):
        return f"{self.statement} #{self.position}"


class AdvanceQuerySet(ScopedQuerySet):
    owner_field = "salesperson"


class Advance(TimeStamped):
    """An expense advance (借支) against a project's collection expenses: asked by the
    salesperson, approved by the manager, paid by finance, written off into sales
    expenses once the project is 100% collected. The cap's figures on the day it was
    asked are kept with it."""

    salesperson = models.ForeignKey(
        User, verbose_name=_("salesperson"), on_delete=models.PROTECT, related_name="advances"
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="advances"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    purpose = models.CharField(_("purpose"), max_length=300)
    status = models.CharField(
        _("status"), max_length=20, choices=AdvanceStatus.choices, default=AdvanceStatus.ASKED
    )
    asked_on = models.DateField(_("asked on"))
    cap = models.DecimalField(_("cap"), **MONEY)
    billed = models.DecimalField(_("billed"), **MONEY)
    collected = models.DecimalField(_("collected"), **MONEY)
    decided_by = models.ForeignKey(
        User, verbose_name=_("decided by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    paid_by = models.ForeignKey(
        User, verbose_name=_("paid by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    written_off_on = models.DateField(_("written off on"), null=True, blank=True)
    expense = models.OneToOneField(
        Expense, verbose_name=_("expense"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="advance",
    )  # fmt: skip

    objects = AdvanceQuerySet.as_manager()

    class Meta:
        ordering = ["-asked_on", "-id"]
        verbose_name = _("expense advance")
        verbose_name_plural = _("expense advances")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="advance_amount_positive"),
        ]
        indexes = [models.Index(fields=["project", "status"], name="advance_project_status_idx")]

    def __str__(self):
        return f"{self.project.code} {self.amount}"

    @property
    def reference(self) -> str:
        """The natural key of its written-off expense."""
        return f"ADV-{self.pk}"
