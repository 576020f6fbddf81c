"""Reads of claim protection: the duplicate check, claims and disputes as the user may
see them."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from salesdesk.core.models import User
from salesdesk.customers.models import (
    ClaimDispute,
    ClaimStatus,
    Customer,
    DisputeStatus,
    ProspectClaim,
)
from salesdesk.lib import names, uscc

# A claim this close to its end shows as "expiring soon" on the claims page.
EXPIRING_SOON_DAYS = 14


# At most this many customers that only look similar are shown by the duplicate check.
SIMILAR_SHOWN = 5


# Customers sharing a name head compared in Python at most (a head as common as
# "zhongguo" could otherwise bring thousands).
HEAD_CANDIDATES_MAX = 2000


REASON_LABELS = {
    names.Reason.SAME_CREDIT_CODE: gettext_lazy("same credit code"),
    names.Reason.SAME_NAME: gettext_lazy("same name"),
    names.Reason.REGION_OMITTED: gettext_lazy("same name, region written differently"),
    names.Reason.SAME_SOUND: gettext_lazy("same pronunciation"),
    names.Reason.NEAR_NAME: gettext_lazy("nearly the same name"),
    names.Reason.OTHER_CREDIT_CODE: gettext_lazy("similar name, other credit code"),
    names.Reason.OTHER_REGION: gettext_lazy("similar name, other region"),
    names.Reason.OTHER_NUMBER: gettext_lazy("similar name, other number"),
    names.Reason.BRANCH: gettext_lazy("a branch of the same name"),
    names.Reason.SIMILAR: gettext_lazy("similar name"),
    names.Reason.DIFFERENT: gettext_lazy("different name"),
}


def reason_label(reason: str) -> str:
    return str(REASON_LABELS.get(reason, reason))


@dataclass
class Duplicate:
    """An existing customer a name was checked against, with the verdict."""

    customer: Customer
    result: names.MatchResult
    claim: ProspectClaim | None = None  # its active claim, expired or not

    @property
    def reason_label(self) -> str:
        return reason_label(self.result.reason)

    def protected_on(self, day: dt.date) -> bool:
        return self.claim is not None and self.claim.protects_on(day)


@dataclass
class DuplicateCheck:
    matches: list[Duplicate] = field(default_factory=list)  # the same company
    similar: list[Duplicate] = field(default_factory=list)  # only looks alike


def _credit_code_or_blank(text: str) -> str:
    try:
        return uscc.validate(text) if text and text.strip() else ""
    except uscc.InvalidCreditCode:
        return ""


def duplicates_find(name: str, credit_code: str = "") -> DuplicateCheck:
    """The customers that are the same company as `name` / `credit_code`, and a few that
    only look similar. Not scoped: claim protection must see every owner's customers.

    Three indexed look-ups in one query (credit code, name key, name head), then
    `lib.names.match` on the few dozen rows they bring (docs/claims.md).
    """
    name = " ".join(str(name).split())
    code = _credit_code_or_blank(credit_code)
    if len(name) < 2 and not code:
        return DuplicateCheck()
    parts = names.analyse(name) if name else None
    condition = Q(pk__in=[])
    if parts is not None:
        condition |= Q(name_key=names.name_key(name)) | Q(name_head=names.name_head(name))
    if code:
        condition |= Q(credit_code=code)
    # Plain rows first: only the few that match or look alike become Customer objects.
    rows = (
        Customer.objects.filter(condition)
        .order_by()  # any order: the verdicts are sorted below
        .values_list("pk", "name", "credit_code")[:HEAD_CANDIDATES_MAX]
    )
    verdicts: dict[int, names.MatchResult] = {}
    for pk, row_name, row_code in rows:
        if parts is None:  # a credit code alone: only the code can match
            same = row_code == code
            result = names.MatchResult(
                same, 100.0 if same else 0.0,
                names.Reason.SAME_CREDIT_CODE if same else names.Reason.DIFFERENT,
            )  # fmt: skip
        else:
            result = names.match_parts(parts, names.analyse(row_name), code_a=code, code_b=row_code)
        if result.is_match or result.score >= names.SIMILAR_SCORE:
            verdicts[pk] = result
    check = DuplicateCheck()
    if not verdicts:
        return check
    customers = Customer.objects.select_related("owner").in_bulk(list(verdicts))
    for pk, result in verdicts.items():
        group = check.matches if result.is_match else check.similar
        group.append(Duplicate(customers[pk], result))
    check.matches.sort(key=lambda d: (-d.result.score, d.customer.name))
    check.similar.sort(key=lambda d: (-d.result.score, d.customer.name))
    del check.similar[SIMILAR_SHOWN:]
    _attach_claims(check.matches + check.similar)
    return check


def _attach_claims(duplicates: list[Duplicate]) -> None:
    if not duplicates:
        return
    claims = {
        claim.customer_id: claim
        for claim in ProspectClaim.objects.filter(
            customer_id__in=[d.customer.pk for d in duplicates], status=ClaimStatus.ACTIVE
        ).select_related("claimant")
    }
    for duplicate in duplicates:
        duplicate.claim = claims.get(duplicate.customer.pk)


class ClaimState:
    PROTECTED = "protected"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    ENDED = "ended"
    ALL = "all"
    CHOICES = (
        (PROTECTED, gettext_lazy("Protected")),
        (EXPIRING, gettext_lazy("Expiring soon")),
        (EXPIRED, gettext_lazy("Expired")),
        (ENDED, gettext_lazy("Released or ended")),
        (ALL, gettext_lazy("All")),
    )


def claim_queryset(user: User) -> QuerySet[ProspectClaim]:
    """Registrations `user` may see: their own; a manager's team's; company roles all."""
    return ProspectClaim.objects.visible_to(user)


def claim_list(user: User, *, state: str = ClaimState.PROTECTED,
               today: dt.date | None = None) -> QuerySet[ProspectClaim]:  # fmt: skip
    today = today or dt.date.today()
    queryset = claim_queryset(user).select_related("customer", "claimant")
    active = Q(status=ClaimStatus.ACTIVE)
    if state == ClaimState.PROTECTED:
        return queryset.filter(active, protected_until__gte=today).order_by("protected_until", "id")
    if state == ClaimState.EXPIRING:
        soon = today + dt.timedelta(days=EXPIRING_SOON_DAYS)
        return queryset.filter(
            active, protected_until__gte=today, protected_until__lte=soon
        ).order_by("protected_until", "id")
    if state == ClaimState.EXPIRED:
        return queryset.filter(active, protected_until__lt=today).order_by("-protected_until", "id")
    if state == ClaimState.ENDED:
        return queryset.exclude(active).order_by("-ended_on", "-id")
    return queryset.order_by("-registered_on", "-id")


def claim_state(claim: ProspectClaim, today: dt.date) -> str:
    if claim.status != ClaimStatus.ACTIVE:
        return ClaimState.ENDED
    if claim.protected_until < today:
        return ClaimState.EXPIRED
    if claim.protected_until <= today + dt.timedelta(days=EXPIRING_SOON_DAYS):
        return ClaimState.EXPIRING
    return ClaimState.PROTECTED


def claim_get(user: User, pk: int) -> ProspectClaim:
    return claim_queryset(user).select_related("customer", "claimant").get(pk=pk)


def dispute_queryset(user: User) -> QuerySet[ClaimDispute]:
    """Disputes `user` may see: those where they (or, for a manager, their team) are the
    challenger or the owner; company roles see all."""
    return ClaimDispute.objects.visible_to(user)


def dispute_list(user: User, *, status: str = DisputeStatus.OPEN) -> QuerySet[ClaimDispute]:
    queryset = dispute_queryset(user).select_related(
        "challenger", "owner", "customer", "claim", "decided_by"
    )
    if status in DisputeStatus.values:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def dispute_get(user: User, pk: int) -> ClaimDispute:
    return (
        dispute_queryset(user)
        .select_related("challenger", "owner", "customer", "customer__owner", "claim", "decided_by")
        .get(pk=pk)
    )


def open_dispute_count(user: User) -> int:
    return dispute_queryset(user).filter(status=DisputeStatus.OPEN).count()
