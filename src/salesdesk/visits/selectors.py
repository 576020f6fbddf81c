"""Reads of the visit log, always scoped to what the user may see, and set-based: a list
or a report costs a fixed number of queries whatever the number of rows."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet

from salesdesk.core.access import owner_scope
from salesdesk.core.models import AuditEntry, User
from salesdesk.core.policy import Policy, policy_as_of
from salesdesk.customers.choices import CustomerStatus, Tier
from salesdesk.customers.models import Contact, Customer
from salesdesk.lib.dates import month_end, month_start
from salesdesk.visits.choices import Outcome
from salesdesk.visits.filters import CommitmentFilter, VisitFilter
from salesdesk.visits.models import Commitment, Visit
from salesdesk.visits.periods import period_bounds

RATIO = Decimal("0.0001")
PERCENT = Decimal("0.1")


def ratio(part: int, whole: int) -> Decimal | None:
    """part / whole to 4 decimals, half up; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO, rounding=ROUND_HALF_UP)


def percent(value: Decimal | None) -> Decimal | None:
    """A ratio as a percentage with one decimal, for the pages."""
    return None if value is None else (value * 100).quantize(PERCENT, rounding=ROUND_HALF_UP)


# Visits -------------------------------------------------------------------------------


def visit_queryset(user: User) -> QuerySet[Visit]:
    return Visit.objects.visible_to(user)


def _with_details(queryset: QuerySet[Visit]) -> QuerySet[Visit]:
    return queryset.select_related(
        "customer", "salesperson", "project", "commitment", "commitment__contact"
    ).prefetch_related(Prefetch("contacts", queryset=Contact.objects.order_by("name")))


def visit_list(user: User, params) -> tuple[VisitFilter, QuerySet[Visit]]:
    """The visits `user` may see, filtered by `params` (a QueryDict or dict), newest first."""
    base = visit_queryset(user)
    filterset = VisitFilter(params, queryset=base)
    queryset = filterset.qs if filterset.is_valid() else base.none()
    return filterset, _with_details(queryset).order_by("-date", "-id")


def visit_details() -> QuerySet[Visit]:
    """Visits with what a visit's page shows of them; scope them with `visible_to`."""
    return _with_details(Visit.objects.all())


def visit_get(user: User, pk: int) -> Visit:
    """The visit if `user` may see it; Visit.DoesNotExist otherwise."""
    return visit_details().visible_to(user).get(pk=pk)


def customer_visits(user: User, customer: Customer, limit: int = 10) -> list[Visit]:
    return list(_with_details(visit_queryset(user).filter(customer=customer))[:limit])


def visit_audit(visit: Visit, limit: int = 50) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type="visits.visit", object_id=str(visit.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


# Commitments --------------------------------------------------------------------------


def commitment_queryset(user: User) -> QuerySet[Commitment]:
    return Commitment.objects.visible_to(user)


def commitment_list(user: User, params) -> tuple[CommitmentFilter, QuerySet[Commitment]]:
    """Open and overdue commitments first, by due date; then the kept ones, latest first."""
    base = commitment_queryset(user).select_related(
        "visit__customer", "visit__salesperson", "contact", "done_by"
    )
    filterset = CommitmentFilter(params, queryset=base)
    queryset = filterset.qs if filterset.is_valid() else base.none()
    return filterset, queryset.order_by(
        F("done_on").desc(nulls_first=True), "due", "visit__customer__name", "id"
    )


def commitment_get(user: User, pk: int) -> Commitment:
    return (
        commitment_queryset(user).select_related("visit__customer", "visit__salesperson").get(pk=pk)
    )


# Visit frequency per tier (DOMAIN §2) -------------------------------------------------


@dataclass(frozen=True)
class TierRule:
    tier: str
    required: int
    period: str
    needs_manager: bool  # strategic: the sales manager involved in follow-up

    @property
    def label(self) -> str:
        return Tier(self.tier).label

    @property
    def tier_values(self) -> list[str]:
        """Stored tier values under this rule: untiered customers count as general."""
        return [self.tier, ""] if self.tier == Tier.GENERAL else [self.tier]


def tier_rules(policy: Policy) -> dict[str, TierRule]:
    return {
        tier: TierRule(
            tier=tier,
            required=policy[f"tier.{tier}.visits_required"],
            period=policy[f"tier.{tier}.visit_period"],
            needs_manager=tier == Tier.STRATEGIC,
        )
        for tier in Tier.values
    }


def _counted_visits(rules: list[tuple[TierRule, dt.date, dt.date]]) -> Q:
    """Visits by the customer's owner, dated in the period of the customer's tier."""
    in_period = Q(pk__in=[])
    for rule, start, end in rules:
        in_period |= Q(tier__in=rule.tier_values, visits__date__gte=start, visits__date__lte=end)
    return Q(visits__salesperson=F("owner")) & in_period


def frequency_rows(
    customers: QuerySet[Customer],
    rules: list[tuple[TierRule, dt.date, dt.date]],
    until: dt.date,
):
    """Active customers of the given tiers with the owner's visits (and those with the
    manager involved) in each one's period, and the owner's last visit up to `until`.
    One query."""
    counted = _counted_visits(rules)
    tiers = [value for rule, _start, _end in rules for value in rule.tier_values]
    return (
        customers.filter(status=CustomerStatus.ACTIVE, tier__in=tiers)
        .annotate(
            visits_made=Count("visits", filter=counted),
            manager_visits=Count("visits", filter=counted & Q(visits__manager_involved=True)),
            last_visit=Max(
                "visits__date",
                filter=Q(visits__salesperson=F("owner"), visits__date__lte=until),
            ),
        )
        .select_related("owner")
    )


@dataclass
class VisitTally:
    """A customer's visits by its owner in one period of its tier's rule, and whether
    they meet it: the one tally behind the compliance report, the customer page and the
    Today page's reminders."""

    customer: Customer
    rule: TierRule
    period_start: dt.date
    period_end: dt.date
    visits: int
    manager_visits: int
    last_visit: dt.date | None

    @classmethod
    def of(cls, row: Customer, rule: TierRule, start: dt.date, end: dt.date, **extra):
        """The tally of a customer row of `frequency_rows`."""
        return cls(
            customer=row, rule=rule, period_start=start, period_end=end,
            visits=row.visits_made, manager_visits=row.manager_visits,
            last_visit=row.last_visit, **extra,
        )  # fmt: skip

    @property
    def tier(self) -> str:
        return self.rule.tier

    @property
    def required(self) -> int:
        return self.rule.required

    @property
    def short(self) -> int:
        return max(0, self.rule.required - self.visits)

    @property
    def manager_missing(self) -> bool:
        return self.rule.needs_manager and self.manager_visits == 0

    @property
    def met(self) -> bool:
        return self.short == 0 and not self.manager_missing


@dataclass
class SalespersonCompliance:
    salesperson: User
    customers: list[VisitTally] = field(default_factory=list)

    @property
    def due(self) -> int:
        return len(self.customers)

    @property
    def met(self) -> int:
        return sum(1 for row in self.customers if row.met)

    @property
    def short_of_visits(self) -> int:
        return sum(1 for row in self.customers if row.short)

    @property
    def without_manager(self) -> int:
        return sum(1 for row in self.customers if row.manager_missing)

    @property
    def ratio(self) -> Decimal | None:
        return ratio(self.met, self.due)

    @property
    def percent(self) -> Decimal | None:
        return percent(self.ratio)

    @property
    def missed(self) -> list[VisitTally]:
        return [row for row in self.customers if not row.met]


@dataclass
class ComplianceReport:
    month: dt.date
    rules: list[tuple[TierRule, dt.date, dt.date]]  # the tiers assessed in this month
    deferred: list[tuple[TierRule, dt.date, dt.date]]  # assessed when their period ends
    rows: list[SalespersonCompliance]
    complete: bool  # False while the month is not over: figures so far

    @property
    def due(self) -> int:
        return sum(row.due for row in self.rows)

    @property
    def met(self) -> int:
        return sum(row.met for row in self.rows)

    @property
    def ratio(self) -> Decimal | None:
        return ratio(self.met, self.due)

    @property
    def percent(self) -> Decimal | None:
        return percent(self.ratio)


def compliance(
    user: User, month: dt.date, *, today: dt.date, salesperson: User | None = None
) -> ComplianceReport:
    """Visit compliance per salesperson for `month` (DOMAIN §4, §8).

    Each customer is assessed once per period of its tier, in the month the period ends:
    a strategic or key customer (monthly) every month, a general one (quarterly) in March,
    June, September and December, on the visits of the whole quarter. Due: the active
    customers the salesperson owns (untiered count as general) whose tier requires
    visits; met: the owner made at least the required visits in the period and, for a
    strategic customer, the sales manager was involved in at least one of them. The
    policy in force on the month's first day applies. One query.
    """
    month = month_start(month)
    last_day = month_end(month)
    rules = tier_rules(policy_as_of(month))
    assessed, deferred = [], []
    for rule in rules.values():
        if rule.required <= 0:
            continue
        start, end = period_bounds(month, rule.period)
        (assessed if end == last_day else deferred).append((rule, start, end))
    customers = Customer.objects.visible_to(user)
    if salesperson is not None:
        customers = customers.filter(owner=salesperson)
    groups: dict[int, SalespersonCompliance] = {}
    if assessed:
        by_tier = {
            value: (rule, start, end) for rule, start, end in assessed for value in rule.tier_values
        }
        rows = frequency_rows(customers, assessed, last_day).order_by(
            "owner__username", "name", "code"
        )
        for customer in rows:
            rule, start, end = by_tier[customer.tier]
            group = groups.setdefault(customer.owner_id, SalespersonCompliance(customer.owner))
            group.customers.append(VisitTally.of(customer, rule, start, end))
    return ComplianceReport(
        month=month,
        rules=assessed,
        deferred=deferred,
        rows=list(groups.values()),
        complete=last_day < today,
    )


# Outcomes and advance rate (DOMAIN §4, §8) --------------------------------------------


@dataclass
class OutcomeMix:
    salesperson_id: int | None
    username: str
    name: str
    counts: dict[str, int]

    @property
    def label(self) -> str:
        return self.name or self.username

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def advances(self) -> int:
        return self.counts[Outcome.ADVANCE]

    @property
    def advance_rate(self) -> Decimal | None:
        """Advances / visits: the useful measure of big-account calls."""
        return ratio(self.advances, self.total)

    @property
    def decided_share(self) -> Decimal | None:
        """Visits ending in an order or no sale; for big accounts typically under 10%."""
        return ratio(self.counts[Outcome.ORDER] + self.counts[Outcome.NO_SALE], self.total)

    @property
    def advance_percent(self) -> Decimal | None:
        return percent(self.advance_rate)

    @property
    def decided_percent(self) -> Decimal | None:
        return percent(self.decided_share)

    def items(self) -> list[tuple[str, str, int]]:
        return [(value, label, self.counts[value]) for value, label in Outcome.choices]


def outcome_mix(
    user: User, date_from: dt.date, date_to: dt.date, *, salesperson: User | None = None
) -> tuple[list[OutcomeMix], OutcomeMix]:
    """Per salesperson, the outcomes of the visits they made between the dates (both
    included), and the total. Scoped by salesperson: a salesperson sees their own, a
    manager their team's. One grouped query."""
    visits = Visit.objects.filter(date__gte=date_from, date__lte=date_to)
    condition = owner_scope(user, "salesperson")
    if condition is not None:
        visits = visits.filter(condition)
    if salesperson is not None:
        visits = visits.filter(salesperson=salesperson)
    counts = {value: Count("pk", filter=Q(outcome=value)) for value in Outcome.values}
    grouped = (
        visits.values("salesperson_id", "salesperson__username", "salesperson__name")
        .annotate(**counts)
        .order_by("salesperson__username")
    )
    rows = [
        OutcomeMix(
            salesperson_id=row["salesperson_id"],
            username=row["salesperson__username"],
            name=row["salesperson__name"],
            counts={value: row[value] for value in Outcome.values},
        )
        for row in grouped
    ]
    total = OutcomeMix(
        salesperson_id=None,
        username="",
        name="",
        counts={value: sum(row.counts[value] for row in rows) for value in Outcome.values},
    )
    return rows, total


# The customer page's section ----------------------------------------------------------


def customer_frequency(customer: Customer, today: dt.date) -> VisitTally | None:
    """The customer's visits by its owner in the current period of its tier; None for a
    customer the policy does not ask to visit (not active, or no visits required)."""
    rule = tier_rules(policy_as_of(today))[customer.tier or Tier.GENERAL]
    if customer.status != CustomerStatus.ACTIVE or rule.required <= 0:
        return None
    start, end = period_bounds(today, rule.period)
    row = frequency_rows(
        Customer.objects.filter(pk=customer.pk), [(rule, start, end)], today
    ).first()
    if row is None:
        return None
    return VisitTally.of(row, rule, start, end)
