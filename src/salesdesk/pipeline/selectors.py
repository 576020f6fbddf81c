"""Reads of the pipeline, always scoped to what the user may see, set-based: a list,
a board or a report is a fixed number of queries whatever the number of opportunities."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from salesdesk.core.models import AuditEntry, User
from salesdesk.core.policy import policy_as_of
from salesdesk.customers.choices import BuyingRole, LeadSource, Tier
from salesdesk.customers.models import Contact, Customer
from salesdesk.pipeline.choices import (
    CLOSED_STAGES,
    FAB_COLUMN_OF_FOCUS,
    FOCUS_OF_ROLE,
    OPEN_STAGES,
    Focus,
    Stage,
)
from salesdesk.pipeline.filters import OpportunityFilter, touch_due_condition
from salesdesk.pipeline.models import FabLine, FabProduct, Opportunity, OpportunityTouch
from salesdesk.pipeline.scoring import ScoreRule, publish

RATIO = Decimal("0.0001")
CARDS_PER_COLUMN = 60


@dataclass(frozen=True)
class Context:
    """The date a read is made for, with the policy rules of that date."""

    rule: ScoreRule
    touch_days: int

    @classmethod
    def as_of(cls, as_of: dt.date | None = None) -> "Context":
        policy = policy_as_of(as_of or dt.date.today())
        return cls(ScoreRule.from_policy(policy), int(policy["risk.reduced_contact_days"]))

    @property
    def date(self) -> dt.date:
        return self.rule.as_of


def _last_touch():
    return Subquery(
        OpportunityTouch.objects.filter(opportunity_id=OuterRef("pk"))
        .order_by("-date")
        .values("date")[:1]
    )


def opportunity_queryset(user: User) -> QuerySet[Opportunity]:
    return Opportunity.objects.visible_to(user)


def evaluated(queryset: QuerySet[Opportunity], context: Context) -> QuerySet[Opportunity]:
    """Score, pass, class and last touch, computed in the query."""
    return context.rule.annotate(queryset).annotate(last_touch=_last_touch())


def opportunity_list(
    user: User, params, context: Context
) -> tuple[OpportunityFilter, QuerySet[Opportunity]]:
    """The opportunities `user` may see, filtered by `params`, sorted by code."""
    base = evaluated(opportunity_queryset(user).select_related("customer", "owner"), context)
    filterset = OpportunityFilter(
        params, queryset=base, rule=context.rule, touch_days=context.touch_days
    )
    queryset = filterset.qs if filterset.is_valid() else base.none()
    return filterset, queryset.order_by("code")


def opportunity_details(context: Context | None = None) -> QuerySet[Opportunity]:
    """Opportunities with their customer and owner, and with a context their evaluation as
    of its date; scope them with `visible_to`."""
    queryset = Opportunity.objects.select_related("customer", "owner", "owner__manager")
    return queryset if context is None else evaluated(queryset, context)


def opportunity_get(user: User, code: str, context: Context | None = None) -> Opportunity:
    """The opportunity `code` if `user` may see it (Opportunity.DoesNotExist otherwise),
    with its evaluation as of the context's date."""
    return opportunity_details(context).visible_to(user).get(code=code)


# Cards: what every board shows of one opportunity ------------------------------------


@dataclass
class Card:
    opportunity: Opportunity
    context: Context
    editable: bool = False

    @property
    def score(self) -> Decimal | None:
        return _published(self.opportunity, self.context)

    @property
    def value_text(self) -> str:
        """The value in whole yuan with thousands separators, for a card."""
        return _whole(self.opportunity.value)

    @property
    def touch_due(self) -> dt.date | None:
        return self.opportunity.touch_due(self.context.touch_days, self.opportunity.last_touch)

    @property
    def touch_overdue(self) -> bool:
        due = self.touch_due
        return due is not None and due <= self.context.date

    @property
    def failed(self) -> bool:
        return self.opportunity.risk_points is not None and not self.opportunity.risk_passed


def _published(opportunity: Opportunity, context: Context) -> Decimal | None:
    return publish(context.rule.score_of_points(opportunity.risk_points))


def _whole(value: Decimal | None) -> str:
    return "" if value is None else f"{value.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


@dataclass
class Column:
    key: str
    label: str
    count: int = 0
    value: Decimal = Decimal(0)
    cards: list[Card] = field(default_factory=list)

    @property
    def value_text(self) -> str:
        return _whole(self.value)

    @property
    def hidden(self) -> int:
        return self.count - len(self.cards)


def _columns(
    queryset: QuerySet, context: Context, key_expression, columns: list[Column]
) -> list[Column]:
    """Fill `columns` from `queryset` in two queries: the count and value of every
    column, and at most CARDS_PER_COLUMN cards of each (A first, then the soonest close)."""
    by_key = {column.key: column for column in columns}
    keyed = queryset.annotate(column_key=key_expression)
    for row in keyed.order_by().values("column_key").annotate(n=Count("pk"), total=Sum("value")):
        column = by_key.get(row["column_key"])
        if column is not None:
            column.count, column.value = row["n"], row["total"] or Decimal(0)
    ordering = [
        F("pipeline_class").asc(nulls_last=True),
        F("expected_close").asc(nulls_last=True),
        F("code").asc(),
    ]
    cards = (
        keyed.select_related("customer", "owner")
        .annotate(position=Window(RowNumber(), partition_by=[F("column_key")], order_by=ordering))
        .filter(position__lte=CARDS_PER_COLUMN)
        .order_by(*ordering)
    )
    for opportunity in cards:
        column = by_key.get(opportunity.column_key)
        if column is not None:
            column.cards.append(Card(opportunity, context))
    return columns


def kanban(queryset: QuerySet[Opportunity], context: Context) -> list[Column]:
    """Open opportunities by stage. `queryset` comes from `opportunity_list`."""
    columns = [Column(stage.value, stage.label) for stage in OPEN_STAGES]
    return _columns(queryset.exclude(stage__in=CLOSED_STAGES), context, F("stage"), columns)


FAILED_COLUMN = "failed"
UNSCORED_COLUMN = "unscored"


def class_board(queryset: QuerySet[Opportunity], context: Context) -> list[Column]:
    """Open opportunities by class A/B/C/D, then those that failed screening and those
    whose risk form is incomplete."""
    key = Case(
        When(risk_points__isnull=True, then=Value(UNSCORED_COLUMN)),
        When(risk_passed=False, then=Value(FAILED_COLUMN)),
        default=F("pipeline_class"),
        output_field=CharField(),
    )
    columns = [
        Column("A", _("A: score ≥ %(score)s, closes within %(days)s days")
               % {"score": context.rule.class_a_score, "days": context.rule.close_window_days}),
        Column("B", _("B: score ≥ %(score)s, closes later")
               % {"score": context.rule.class_a_score}),
        Column("C", _("C: score < %(score)s, closes within %(days)s days")
               % {"score": context.rule.class_a_score, "days": context.rule.close_window_days}),
        Column("D", _("D: the rest that passed")),
        Column(FAILED_COLUMN, _("Failed screening (score < %(score)s)")
               % {"score": context.rule.pass_score}),
        Column(UNSCORED_COLUMN, _("Risk form incomplete")),
    ]  # fmt: skip
    return _columns(queryset.exclude(stage__in=CLOSED_STAGES), context, key, columns)


def touches_due(user: User, context: Context) -> QuerySet[Opportunity]:
    """Open opportunities on reduced contact whose minimal touch is due on the date."""
    return (
        evaluated(opportunity_queryset(user), context)
        .filter(touch_due_condition(context.date, context.touch_days))
        .select_related("customer", "owner")
        .order_by("reduced_on", "code")
    )


# One opportunity ---------------------------------------------------------------------


def opportunity_touches(opportunity: Opportunity) -> list[OpportunityTouch]:
    return list(opportunity.touches.select_related("recorded_by").order_by("-date", "-id"))


def opportunity_audit(opportunity: Opportunity, limit: int = 50) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type="pipeline.opportunity", object_id=str(opportunity.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


@dataclass
class FabItem:
    product: str
    text: str


@dataclass
class RoleGroup:
    """One buying role on the stakeholder map: who holds it, and what to lead with."""

    role: str
    label: str
    focus: str
    focus_label: str
    contacts: list[Contact]
    fab: list[FabItem]


@dataclass
class StakeholderMap:
    groups: list[RoleGroup]
    unassigned: list[Contact]
    products: list[FabProduct]
    decision_maker_known: bool
    terms: dict

    @property
    def warning(self) -> bool:
        return not self.decision_maker_known


def stakeholder_map(opportunity: Opportunity, as_of: dt.date | None = None) -> StakeholderMap:
    """The customer's contacts by buying role with their decision authority, and for
    each role what to lead with (DOMAIN §2), from the FAB lines of the opportunity's
    products. Three queries: contacts, products, lines."""
    contacts = list(opportunity.customer.contacts.order_by("-decision_authority", "name"))
    products = list(opportunity.products.order_by("name"))
    lines = list(
        FabLine.objects.filter(product__in=products)
        .select_related("product")
        .order_by("product__name", "position", "id")
    )
    groups = []
    for role in BuyingRole:
        focus = FOCUS_OF_ROLE[role]
        column = FAB_COLUMN_OF_FOCUS[focus]
        fab = []
        if column is not None:
            fab = [
                FabItem(line.product.name, getattr(line, column))
                for line in lines
                if getattr(line, column)
            ]
        groups.append(
            RoleGroup(
                role=role.value, label=role.label, focus=focus.value,
                focus_label=Focus(focus).label,
                contacts=[c for c in contacts if c.role == role], fab=fab,
            )
        )  # fmt: skip
    known = opportunity.decision_maker_known is True or any(
        c.role == BuyingRole.DECISION_MAKER or c.decision_authority for c in contacts
    )
    policy = policy_as_of(as_of or dt.date.today())
    tier = opportunity.customer.tier or Tier.GENERAL
    terms = {
        "tier": Tier(tier).label,
        "discount_pct": policy[f"tier.{tier}.discount_pct"],
        "payment_terms_days": policy[f"tier.{tier}.payment_terms_days"],
        "credit_limit": policy[f"tier.{tier}.credit_limit"],
    }
    return StakeholderMap(
        groups=groups,
        unassigned=[c for c in contacts if not c.role],
        products=products,
        decision_maker_known=known,
        terms=terms,
    )


# Lead-source conversion (DOMAIN §3, §8) ----------------------------------------------


@dataclass
class SourceRow:
    source: str | None
    label: str
    customers: int = 0
    active_customers: int = 0
    created: int = 0
    open: int = 0
    won: int = 0
    lost: int = 0
    abandoned: int = 0
    won_value: Decimal = Decimal(0)

    @property
    def closed(self) -> int:
        return self.won + self.lost + self.abandoned

    @property
    def conversion(self) -> Decimal | None:
        """Won / created: how much of what a channel brings ends in an order."""
        return _ratio(self.won, self.created)

    @property
    def win_rate(self) -> Decimal | None:
        """Won / closed (won, lost or abandoned): how often a decided deal is ours."""
        return _ratio(self.won, self.closed)


def _ratio(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO, rounding=ROUND_HALF_UP)


def conversion(
    user: User, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> tuple[list[SourceRow], SourceRow]:
    """Per lead source: customers (and how many are active), opportunities created, open,
    won, lost, abandoned, won value, conversion and win rate. Opportunities count when
    created between the dates (inclusive). Two grouped queries."""
    opportunities = opportunity_queryset(user)
    if date_from:
        opportunities = opportunities.filter(created_at__date__gte=date_from)
    if date_to:
        opportunities = opportunities.filter(created_at__date__lte=date_to)
    rows = {s.value: SourceRow(s.value, s.label) for s in LeadSource}
    unknown = SourceRow(None, str(_("Not recorded")))
    grouped = (
        opportunities.order_by()
        .values("source")
        .annotate(
            created=Count("pk"),
            open=Count("pk", filter=~Q(stage__in=CLOSED_STAGES)),
            won=Count("pk", filter=Q(stage=Stage.WON)),
            lost=Count("pk", filter=Q(stage=Stage.LOST)),
            abandoned=Count("pk", filter=Q(stage=Stage.ABANDONED)),
            won_value=Sum("value", filter=Q(stage=Stage.WON)),
        )
    )
    for entry in grouped:
        row = rows.get(entry["source"], unknown)
        row.created += entry["created"]
        row.open += entry["open"]
        row.won += entry["won"]
        row.lost += entry["lost"]
        row.abandoned += entry["abandoned"]
        row.won_value += entry["won_value"] or Decimal(0)
    customers = (
        Customer.objects.visible_to(user)
        .order_by()
        .values("source")
        .annotate(n=Count("pk"), active=Count("pk", filter=Q(status="active")))
    )
    for entry in customers:
        row = rows.get(entry["source"], unknown)
        row.customers += entry["n"]
        row.active_customers += entry["active"]
    result = list(rows.values())
    if unknown.created or unknown.customers:
        result.append(unknown)
    total = SourceRow(None, str(_("All sources")))
    for row in result:
        for name in ("customers", "active_customers", "created", "open", "won", "lost",
                     "abandoned", "won_value"):  # fmt: skip
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return result, total
