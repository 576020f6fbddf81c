"""Collections: monthly collection tasks, dunning letters, supply holds, legal recovery.

The cycle (`salesdesk cycle --as-of D`) writes these records; each is dated, so what the
system did on any day can be read back exactly.
"""

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.collections.choices import LegalReason, TaskStatus
from salesdesk.core.access import ScopedQuerySet
from salesdesk.core.models import User
from salesdesk.customers.models import Customer, Project

MONEY = {"max_digits": 18, "decimal_places": 2}


class CollectionTask(models.Model):
    """A month's collection target for one project (收款任务书), signed off by marketing and
    finance before it is issued, assessed once the month is over."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="collection_tasks",
    )
    salesperson = models.ForeignKey(
        User,
        verbose_name=_("salesperson"),
        on_delete=models.PROTECT,
        related_name="collection_tasks",
    )
    target = models.DecimalField(_("target"), **MONEY)
    drafted_on = models.DateField(_("drafted on"))
    status = models.CharField(
        _("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.DRAFT
    )
    marketing_signed_by = models.ForeignKey(
        User, verbose_name=_("signed by marketing"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )  # fmt: skip
    marketing_signed_at = models.DateTimeField(_("marketing signed at"), null=True, blank=True)
    finance_signed_by = models.ForeignKey(
        User, verbose_name=_("signed by finance"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )  # fmt: skip
    finance_signed_at = models.DateTimeField(_("finance signed at"), null=True, blank=True)
    collected = models.DecimalField(_("collected"), **MONEY, null=True, blank=True)
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)

    objects = ScopedQuerySet.by("project__owner").as_manager()

    class Meta:
        ordering = ["-month", "salesperson", "project"]
        verbose_name = _("collection task")
        verbose_name_plural = _("collection tasks")
        constraints = [
            models.UniqueConstraint(fields=["month", "project"], name="task_month_project_unique"),
            models.CheckConstraint(condition=Q(target__gt=0), name="task_target_positive"),
            models.CheckConstraint(condition=Q(month__day=1), name="task_month_first_day"),
        ]
        indexes = [models.Index(fields=["month", "salesperson"], name="task_month_salesperson_idx")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.project.code}"

    @property
    def completion(self) -> Decimal | None:
        if self.collected is None:
            return None
        return self.collected / self.target


class CycleRun(models.Model):
    """A day the daily cycle ran for, with what it did: the next run starts after the
    last one, so missed days are replayed in order."""

    day = models.DateField(_("day"), unique=True)
    ran_at = models.DateTimeField(_("ran at"), auto_now=True)
    summary = models.JSONField(_("summary"), default=dict)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("cycle run")
        verbose_name_plural = _("cycle runs")

    def __str__(self):
        return f"{self.day}"


class TaskDraft(models.Model):
    """Marks a month's collection tasks as drafted, so no later run drafts them again
    (even when no project had a target)."""

    month = models.DateField(_("month"), unique=True)
    drafted_on = models.DateField(_("drafted on"))
    count = models.PositiveIntegerField(_("tasks"))
    total = models.DecimalField(_("total target"), **MONEY)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("task draft")
        verbose_name_plural = _("task drafts")

    def __str__(self):
        return f"{self.month:%Y-%m}"


class DunningLetter(models.Model):
    """A collection letter (工作函) to a project's customer, numbered within its sequence.

    A sequence runs 1, 2, 3 and ends when the project's overdue amount reaches zero; the
    next letter then starts a new sequence at 1."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="letters"
    )
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.PositiveSmallIntegerField(_("number"))
    issued_on = models.DateField(_("issued on"))
    amount = models.DecimalField(_("overdue amount"), **MONEY)
    issued_by = models.ForeignKey(
        User, verbose_name=_("issued by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text=_("Empty when issued by the daily cycle."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.by("project__owner").as_manager()

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("dunning letter")
        verbose_name_plural = _("dunning letters")
        constraints = [
            models.UniqueConstraint(fields=["project", "issued_on"], name="letter_one_a_day"),
            models.UniqueConstraint(
                fields=["project", "sequence", "number"], name="letter_number_unique"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="letter_number_positive"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="letter_amount_positive"),
        ]
        indexes = [models.Index(fields=["project", "-issued_on"], name="letter_project_date_idx")]

    def __str__(self):
        return f"{self.project.code} #{self.number} {self.issued_on}"


class SupplyHold(models.Model):
    """A customer on supply hold (暂停供货): no delivery to any of its projects until its
    overdue amount reaches zero."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="holds"
    )
    since = models.DateField(_("since"))
    released_on = models.DateField(_("released on"), null=True, blank=True)
    trigger = models.ForeignKey(
        DunningLetter, verbose_name=_("triggering letter"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-since", "-id"]
        verbose_name = _("supply hold")
        verbose_name_plural = _("supply holds")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(released_on__isnull=True),
                name="hold_one_active_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(released_on__isnull=True) | Q(released_on__gte=models.F("since")),
                name="hold_released_after_since",
            ),
        ]

    def __str__(self):
        return f"{self.customer.code} since {self.since}"

    def active_on(self, day: dt.date) -> bool:
        return self.since <= day and (self.released_on is None or day < self.released_on)


class HoldOverride(models.Model):
    """A supervisor's written permission for one delivery to a customer on hold."""

    hold = models.ForeignKey(
        SupplyHold, verbose_name=_("hold"), on_delete=models.PROTECT, related_name="overrides"
    )
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT)
    granted_by = models.ForeignKey(
        User, verbose_name=_("granted by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    delivery = models.OneToOneField(
        "ledger.Delivery", verbose_name=_("delivery"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="hold_override",
    )  # fmt: skip

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("hold override")
        verbose_name_plural = _("hold overrides")

    def __str__(self):
        return f"{self.hold} override for {self.project.code}"


class LegalCase(models.Model):
    """A project handed to the legal / debt-recovery office (法律事务办 / 清欠办)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="legal_cases"
    )
    opened_on = models.DateField(_("opened on"))
    reason = models.CharField(_("reason"), max_length=20, choices=LegalReason.choices)
    note = models.TextField(_("note"), blank=True)
    overdue = models.DecimalField(_("overdue amount"), **MONEY)
    opened_by = models.ForeignKey(
        User, verbose_name=_("opened by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    previous_status = models.CharField(_("previous status"), max_length=20)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.by("project__owner").as_manager()

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("legal case")
        verbose_name_plural = _("legal cases")
        constraints = [
            models.UniqueConstraint(fields=["project"], name="legal_case_one_per_project"),
        ]

    def __str__(self):
        return f"{self.project.code} {self.opened_on}"
