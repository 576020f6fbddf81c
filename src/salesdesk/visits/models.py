"""The visit log (拜访): sales calls with their outcome, and the commitments of advances."""

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from salesdesk.core.access import ScopedQuerySet, owner_scope
from salesdesk.core.models import TimeStamped, User
from salesdesk.customers.choices import Tier
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.visits.choices import CommitmentState, Outcome

SATISFACTION_MIN, SATISFACTION_MAX = 1, 5


def visit_scope(user: User, prefix: str = "") -> Q | None:
    """The visits `user` may see: those made by someone in their scope (a visit belongs
    to its salesperson), and those at customers owned by someone in their scope, so a
    reassigned customer's new owner sees its whole history (DOMAIN §1). None: all."""
    by_salesperson = owner_scope(user, f"{prefix}salesperson")
    if by_salesperson is None:
        return None
    return by_salesperson | owner_scope(user, f"{prefix}customer__owner")


class VisitQuerySet(ScopedQuerySet):
    def scope_condition(self, user: User) -> Q | None:
        return visit_scope(user)


class CommitmentQuerySet(ScopedQuerySet):
    def scope_condition(self, user: User) -> Q | None:
        return visit_scope(user, "visit__")

    def state(self, state: str, today: dt.date):
        """The commitments that are open (not due yet), overdue or done on `today`."""
        if state == CommitmentState.DONE:
            return self.filter(done_on__isnull=False)
        if state == CommitmentState.OVERDUE:
            return self.filter(done_on__isnull=True, due__lt=today)
        if state == CommitmentState.OPEN:
            return self.filter(done_on__isnull=True, due__gte=today)
        return self


class Visit(TimeStamped):
    """One sales call at a customer, by one salesperson on one day.

    The natural key is (customer, salesperson, date): a second meeting the same day is
    the same visit, so a re-imported workbook (even with a corrected outcome) updates the
    visit instead of adding one, and compliance cannot be met twice on one day.
    """

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="visits"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    salesperson = models.ForeignKey(
        User, verbose_name=_("salesperson"), on_delete=models.PROTECT, related_name="visits"
    )
    date = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("contacts met"), blank=True, related_name="visits"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("customer satisfaction (1-5)"), null=True, blank=True
    )
    manager_involved = models.BooleanField(_("sales manager involved"), default=False)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "salesperson", "date"],
                name="visit_customer_salesperson_date_unique",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=SATISFACTION_MIN, satisfaction__lte=SATISFACTION_MAX),
                name="visit_satisfaction_range",
            ),
            models.CheckConstraint(
                condition=Q(next_step_due__isnull=True) | Q(next_step_due__gte=models.F("date")),
                name="visit_next_step_due_after_visit",
            ),
        ]
        indexes = [
            models.Index(fields=["salesperson", "date"], name="visit_salesperson_date_idx"),
            models.Index(fields=["date"], name="visit_date_idx"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.customer} ({self.salesperson})"

    @property
    def is_advance(self) -> bool:
        return self.outcome == Outcome.ADVANCE

    def warnings(self) -> list[str]:
        """What the tier policy expects of this visit and it lacks: shown, not enforced
        (DOMAIN §2: strategic customers get a satisfaction check and the manager's
        involvement in follow-up)."""
        if self.customer.tier != Tier.STRATEGIC:
            return []
        found = []
        if self.satisfaction is None:
            found.append(gettext("Strategic customer: ask for and record the satisfaction."))
        if not self.manager_involved:
            found.append(gettext("Strategic customer: involve the sales manager in the follow-up."))
        return found


class Commitment(TimeStamped):
    """What the customer agreed to do at an advance: what, who, by when. Tracked until
    done (DOMAIN §4)."""

    visit = models.OneToOneField(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="commitment"
    )
    what = models.CharField(_("what"), max_length=300)
    who = models.CharField(_("who (customer side)"), max_length=100)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitments",
    )
    due = models.DateField(_("by when"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        User,
        verbose_name=_("marked done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_note = models.CharField(_("note on completion"), max_length=300, blank=True)

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["due", "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.CheckConstraint(
                condition=~Q(what="") & ~Q(who=""), name="commitment_what_who_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(done_on__isnull=False) | Q(done_by__isnull=True),
                name="commitment_done_by_needs_date",
            ),
        ]
        indexes = [models.Index(fields=["done_on", "due"], name="commitment_done_due_idx")]

    def __str__(self):
        return f"{self.what} ({self.who}, {self.due:%Y-%m-%d})"

    def state(self, today: dt.date) -> str:
        if self.done_on is not None:
            return CommitmentState.DONE
        return CommitmentState.OVERDUE if self.due < today else CommitmentState.OPEN

    def days_overdue(self, today: dt.date) -> int:
        if self.done_on is not None or self.due >= today:
            return 0
        return (today - self.due).days
