"""The order gate: may this customer (and project) take this delivery? DOMAIN §6.

One function answers it (`gate_verdicts`, and `order_gate` for one question) for the
delivery page, the API, the import's report and `salesdesk gate` / `GET /api/v1/gate`.
The reasons are checks in a registry, each with its place in the verdict line:
blacklisted customer, supply hold, project in legal recovery or written off, project
credit limit exceeded by the delivery. The ledger's own checks are below; a higher layer
registers its checks at start-up (collections registers the supply hold in its
AppConfig.ready()), so the ledger never imports it.

A refused delivery may still go through on a supervisor's override for one delivery,
with a written reason: the ledger's own (`DeliveryOverride`, any refusal) or one a higher
layer registers (collections' hold override, the hold only).

Asked about a customer alone, only the customer-wide reasons apply: a credit limit
belongs to a project.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk.customers.choices import CustomerStatus, ProjectStatus
from salesdesk.customers.models import Customer, Project
from salesdesk.ledger.allocation import project_balances
from salesdesk.ledger.models import Delivery

ZERO = Decimal("0.00")


@dataclass
class Reason:
    """Why the gate refuses. `message` is the verdict's wording; `refusal`, when given, the
    sentence a refused delivery shows (else the message as a sentence). `subject` is the
    record behind the reason (a hold), for pages that show it."""

    code: str
    template: Promise
    params: dict
    refusal_template: Promise | None = None
    subject: object = None

    @property
    def message(self) -> str:
        return str(self.template) % self.params

    @property
    def refusal(self) -> str:
        if self.refusal_template is not None:
            return str(self.refusal_template) % self.params
        message = self.message
        return message[:1].upper() + message[1:] + "."


@dataclass
class Asking:
    """One question to the gate: this customer, maybe this project, a delivery of `amount`.
    `counted` is the part of the amount already in the ledger (the import asks about the
    deliveries it has just stored): the exposure counts it once, not twice."""

    customer: Customer
    project: Project | None = None
    amount: Decimal = ZERO
    counted: Decimal = ZERO
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class Verdict:
    customer: str
    project: str | None
    as_of: dt.date
    reasons: list[Reason] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.reasons

    def line(self) -> str:
        """`allowed` or `blocked: <reasons>`, always in English (FORMATS.md)."""
        if self.allowed:
            return "allowed"
        with translation.override("en"):
            return "blocked: " + "; ".join(reason.message for reason in self.reasons)

    def refusals(self) -> list[str]:
        return [reason.refusal for reason in self.reasons]

    def subject(self, code: str):
        return next((r.subject for r in self.reasons if r.code == code), None)


# The registry ------------------------------------------------------------------------

Check = Callable[[list[Asking], dt.date], None]  # appends Reasons to the askings it refuses


@dataclass(frozen=True)
class _Entry:
    order: int
    run: Check


_CHECKS: dict[str, _Entry] = {}


def register_check(code: str, run: Check, *, order: int) -> None:
    """Add a check (again under the same code: replaced). `order` places its reasons in the
    verdict: blacklisted 10, hold 20, legal 30, credit limit 40."""
    _CHECKS[code] = _Entry(order, run)


@dataclass
class Waiver:
    """An unused override for one delivery: the reason codes it covers (None: every one),
    and what records the delivery it was spent on."""

    covers: frozenset[str] | None
    use: Callable[[object], None]


WaiverFinder = Callable[[Project], Waiver | None]
_WAIVERS: dict[str, tuple[int, WaiverFinder]] = {}


def register_waiver(name: str, find: WaiverFinder, *, order: int) -> None:
    """Add a kind of override. `find(project)` returns the project's oldest unused one,
    locked. Lower `order` is spent first (the narrowest kind)."""
    _WAIVERS[name] = (order, find)


# The question -------------------------------------------------------------------------


def gate_verdicts(askings: list[Asking], *, as_of: dt.date) -> list[Verdict]:
    """The verdict on each asking, as of `as_of`. Statuses are read afresh (the callers'
    objects may predate a blacklisting or a hand-over to the legal office); each check
    runs once for all the askings."""
    customers = Customer.objects.in_bulk({a.customer.pk for a in askings})
    projects = Project.objects.in_bulk({a.project.pk for a in askings if a.project})
    for asking in askings:
        if asking.project is not None and asking.project.customer_id != asking.customer.pk:
            raise ValidationError(
                {"project": _("Project %(project)s is not a project of customer %(customer)s.")
                 % {"project": asking.project.code, "customer": asking.customer.code}}
            )  # fmt: skip
        asking.customer = customers.get(asking.customer.pk, asking.customer)
        if asking.project is not None:
            asking.project = projects.get(asking.project.pk, asking.project)
        asking.reasons = []
    for entry in sorted(_CHECKS.values(), key=lambda entry: entry.order):
        entry.run(askings, as_of)
    return [
        Verdict(
            customer=a.customer.code,
            project=a.project.code if a.project else None,
            as_of=as_of,
            reasons=a.reasons,
        )
        for a in askings
    ]


def order_gate(
    *,
    customer: Customer,
    project: Project | None = None,
    as_of: dt.date,
    amount: Decimal = ZERO,
) -> Verdict:
    """May `customer` (and `project`) take a delivery of `amount` on `as_of`?"""
    return gate_verdicts([Asking(customer, project, amount)], as_of=as_of)[0]


def delivery_gate_pass(*, project: Project, day: dt.date, amount: Decimal) -> list[Waiver]:
    """Refuse a delivery the gate refuses (ValidationError on `project`, every reason with
    its figures), unless overrides cover every reason: those are returned, to be used up
    by the delivery."""
    project = Project.objects.select_related("customer").get(pk=project.pk)
    verdict = order_gate(customer=project.customer, project=project, as_of=day, amount=amount)
    if verdict.allowed:
        return []
    waivers = _waivers_for(project, {reason.code for reason in verdict.reasons})
    if waivers is None:
        raise ValidationError({"project": verdict.refusals()})
    return waivers


def _waivers_for(project: Project, codes: set[str]) -> list[Waiver] | None:
    """One override covering every reason if there is one (the narrowest first), else
    several together; None when the reasons cannot all be covered."""
    found = []
    for _order, find in sorted(_WAIVERS.values(), key=lambda item: item[0]):
        waiver = find(project)
        if waiver is not None:
            found.append(waiver)
    for waiver in found:
        if waiver.covers is None or codes <= waiver.covers:
            return [waiver]
    left, used = set(codes), []
    for waiver in found:
        if waiver.covers & left:
            used.append(waiver)
            left -= waiver.covers
    return used if not left else None


# The ledger's own checks ---------------------------------------------------------------

# A refusal's wording names its subject `code` (the sentences the delivery form showed
# before the gate was one function).
BLACKLISTED = gettext_lazy("customer %(customer)s is blacklisted")
BLACKLISTED_REFUSAL = gettext_lazy("Customer %(code)s is blacklisted.")
LEGAL = gettext_lazy("project %(project)s is in legal recovery")
LEGAL_REFUSAL = gettext_lazy("Project %(code)s is with the legal office; no deliveries.")
WRITTEN_OFF = gettext_lazy("project %(project)s is written off")
CREDIT_LIMIT = gettext_lazy(
    "project %(project)s outstanding %(outstanding)s + delivery %(amount)s "
    "exceeds its credit limit %(limit)s"
)
CREDIT_LIMIT_REFUSAL = gettext_lazy(
    "The delivery would take project %(project)s over its credit limit: outstanding "
    "%(outstanding)s (unsettled invoices and deliveries not yet invoiced) + this delivery "
    "%(amount)s > limit %(limit)s."
)


def _blacklisted(askings: list[Asking], as_of: dt.date) -> None:
    for asking in askings:
        if asking.customer.status == CustomerStatus.BLACKLISTED:
            code = asking.customer.code
            asking.reasons.append(
                Reason("blacklisted", BLACKLISTED, {"customer": code, "code": code},
                       BLACKLISTED_REFUSAL)
            )  # fmt: skip


def _legal(askings: list[Asking], as_of: dt.date) -> None:
    for asking in askings:
        project = asking.project
        if project is None:
            continue
        if project.status == ProjectStatus.LEGAL:
            params = {"project": project.code, "code": project.code}
            asking.reasons.append(Reason("legal", LEGAL, params, LEGAL_REFUSAL))
        elif project.status == ProjectStatus.WRITTEN_OFF:
            asking.reasons.append(Reason("written_off", WRITTEN_OFF, {"project": project.code}))


def _credit_limit(askings: list[Asking], as_of: dt.date) -> None:
    limited = [a for a in askings if a.project is not None and a.project.credit_limit is not None]
    if not limited:
        return
    exposures = project_exposures(as_of, {a.project.pk for a in limited})
    for asking in limited:
        unsettled, uninvoiced = exposures.get(asking.project.pk, (ZERO, ZERO))
        # A delivery already stored is taken out before it is asked about.
        outstanding = unsettled + max(ZERO, uninvoiced - asking.counted)
        if outstanding + asking.amount > asking.project.credit_limit:
            asking.reasons.append(
                Reason(
                    "credit_limit",
                    CREDIT_LIMIT,
                    {
                        "project": asking.project.code,
                        "outstanding": f"{outstanding:.2f}",
                        "amount": f"{asking.amount:.2f}",
                        "limit": f"{asking.project.credit_limit:.2f}",
                    },
                    CREDIT_LIMIT_REFUSAL,
                )
            )


def project_exposures(
    as_of: dt.date, project_ids: Iterable[int]
) -> dict[int, tuple[Decimal, Decimal]]:
    """Each project's exposure as of `as_of` in its two parts (DOMAIN §5): unsettled
    invoices, and delivered not yet invoiced (Σ deliveries − Σ invoices, when positive)
    without the `counted` part the caller takes out. Three queries."""
    ids = list(project_ids)
    balances = project_balances(as_of, Project.objects.filter(pk__in=ids))
    delivered = dict(
        Delivery.objects.filter(project_id__in=ids, date__lte=as_of)
        .exclude(Q(reversal__isnull=False) & Q(reversal__date__lte=as_of))
        .order_by()
        .values_list("project_id")
        .annotate(total=Sum("amount"))
    )
    result = {}
    for project_id in ids:
        balance = balances.get(project_id)
        unsettled = balance.outstanding if balance else ZERO
        billed = balance.billed if balance else ZERO
        uninvoiced = max(ZERO, Decimal(delivered.get(project_id) or 0) - billed)
        result[project_id] = (unsettled, uninvoiced.quantize(Decimal("0.01")))
    return result


register_check("blacklisted", _blacklisted, order=10)
register_check("legal", _legal, order=30)
register_check("credit_limit", _credit_limit, order=40)
