"""Leads and opportunities (DOMAIN §3): qualification, the four questions, the
risk-assessment form, screening and reduced contact; FAB messaging per product."""

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.access import ScopedQuerySet
from salesdesk.core.models import TimeStamped, User
from salesdesk.customers.choices import LeadSource
from salesdesk.customers.models import Customer
from salesdesk.pipeline.choices import (
    CLOSED_STAGES,
    FACTOR_NUMBERS,
    RISK_FACTORS,
    ContactLevel,
    Stage,
)
from salesdesk.pipeline.scoring import Evaluation, ScoreRule, factors_of


class FabProduct(TimeStamped):
    """A product as the sales team pitches it: its features, advantages and benefits
    (特征-优势-利益) are its FAB lines. Names are free text, like the delivery products."""

    name = models.CharField(_("product"), max_length=100, unique=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("FAB product")
        verbose_name_plural = _("FAB products")

    def __str__(self):
        return self.name


class FabLine(models.Model):
    """One feature of a product, the advantage it gives, and the benefit to the buyer."""

    product = models.ForeignKey(
        FabProduct, verbose_name=_("product"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    feature = models.TextField(_("feature"), blank=True)
    advantage = models.TextField(_("advantage"), blank=True)
    benefit = models.TextField(_("benefit"), blank=True)

    class Meta:
        ordering = ["product", "position", "id"]
        verbose_name = _("FAB line")
        verbose_name_plural = _("FAB lines")
        constraints = [
            models.CheckConstraint(
                condition=~Q(feature="") | ~Q(advantage="") | ~Q(benefit=""),
                name="fab_line_not_empty",
            ),
        ]

    def __str__(self):
        return f"{self.product}: {self.feature or self.advantage or self.benefit}"[:100]


class OpportunityQuerySet(ScopedQuerySet):
    """Opportunities scoped by owner (DOMAIN §1); `evaluated` adds score, pass and class."""

    def open(self):
        return self.exclude(stage__in=CLOSED_STAGES)

    def evaluated(self, rule: ScoreRule):
        return rule.annotate(self)


def _factor_field(number: int):
    return models.PositiveSmallIntegerField(RISK_FACTORS[number - 1][1], null=True, blank=True)


class Opportunity(TimeStamped):
    """A lead or opportunity at a customer: what it is worth, when it may close, how it
    was found, whether the customer is qualified, and how the risk form scores it."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        User, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="opportunities"
    )
    source = models.CharField(
        _("lead source"), max_length=30, choices=LeadSource.choices, blank=True
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.LEAD)
    value = models.DecimalField(
        _("expected value"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    products = models.ManyToManyField(
        FabProduct, verbose_name=_("products"), blank=True, related_name="opportunities"
    )
    competitors = models.TextField(_("competitors"), blank=True)
    purchase_criteria = models.TextField(_("purchase criteria"), blank=True)
    spec_in_tender = models.BooleanField(_("our specification is in the tender"), default=False)

    # Qualified customer (合格客户): each a yes/no (null: not yet known) with evidence.
    need = models.BooleanField(_("has a need"), null=True, blank=True)
    need_evidence = models.TextField(_("evidence of the need"), blank=True)
    budget = models.BooleanField(_("has a budget"), null=True, blank=True)
    budget_evidence = models.TextField(_("evidence of the budget"), blank=True)
    decision_maker_known = models.BooleanField(_("decision maker known"), null=True, blank=True)
    decision_maker_evidence = models.TextField(_("who decides, and how we know"), blank=True)

    # The four questions.
    is_real = models.BooleanField(_("the opportunity is real"), null=True, blank=True)
    is_real_notes = models.TextField(_("why we think it is real"), blank=True)
    can_win = models.BooleanField(_("we can win"), null=True, blank=True)
    can_win_notes = models.TextField(_("why we can win"), blank=True)
    worth_winning = models.BooleanField(_("worth winning"), null=True, blank=True)
    worth_winning_notes = models.TextField(_("why it is worth winning"), blank=True)
    resources = models.TextField(_("resources winning will take"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)

    # The risk-assessment form (客户风险评估表): seven factors, each 1-5.
    f1 = _factor_field(1)
    f2 = _factor_field(2)
    f3 = _factor_field(3)
    f4 = _factor_field(4)
    f5 = _factor_field(5)
    f6 = _factor_field(6)
    f7 = _factor_field(7)
    risk_notes = models.TextField(_("risk form notes"), blank=True)
    scored_on = models.DateField(_("risk form filled on"), null=True, blank=True)

    # Screening: a failed opportunity is abandoned or put on reduced contact.
    contact_level = models.CharField(
        _("contact level"),
        max_length=10,
        choices=ContactLevel.choices,
        default=ContactLevel.NORMAL,
    )
    reduced_on = models.DateField(_("reduced contact since"), null=True, blank=True)
    reduced_reason = models.TextField(_("reason for reduced contact"), blank=True)

    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_reason = models.TextField(_("reason won, lost or abandoned"), blank=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        constraints = [
            *(
                models.CheckConstraint(
                    condition=Q(**{f"f{n}__isnull": True}) | Q(**{f"f{n}__range": (1, 5)}),
                    name=f"opportunity_f{n}_range",
                )
                for n in FACTOR_NUMBERS
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                name="opportunity_value_nonnegative",
            ),
            models.CheckConstraint(
                condition=~Q(stage__in=CLOSED_STAGES) | ~Q(closed_reason=""),
                name="opportunity_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(contact_level=ContactLevel.REDUCED) | Q(reduced_on__isnull=False),
                name="opportunity_reduced_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "code"], name="opportunity_owner_code_idx"),
            models.Index(fields=["stage", "code"], name="opportunity_stage_code_idx"),
            models.Index(fields=["source", "stage"], name="opportunity_source_stage_idx"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_open(self) -> bool:
        return self.stage not in CLOSED_STAGES

    @property
    def factors(self) -> list[int | None]:
        return factors_of(self)

    @property
    def qualified(self) -> bool:
        """合格客户: a need, a budget, and we know who decides."""
        return bool(self.need and self.budget and self.decision_maker_known)

    def evaluate(self, rule: ScoreRule) -> Evaluation:
        return rule.evaluate(self.factors, self.expected_close)

    def touch_due(self, days: int, last_touch: dt.date | None) -> dt.date | None:
        """When a reduced-contact opportunity needs its next minimal touch: every `days`
        days from the day it was reduced or the last touch, whichever is later."""
        if self.contact_level != ContactLevel.REDUCED or not self.is_open:
            return None
        start = max(d for d in (self.reduced_on, last_touch) if d is not None)
        return start + dt.timedelta(days=days)


class OpportunityTouch(models.Model):
    """A minimal contact with the customer of an opportunity, recorded by its owner."""

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE,
        related_name="touches",
    )  # fmt: skip
    date = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("touch")
        verbose_name_plural = _("touches")
        indexes = [models.Index(fields=["opportunity", "-date"], name="touch_opportunity_date_idx")]

    def __str__(self):
        return f"{self.opportunity.code} {self.date}"
