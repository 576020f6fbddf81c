"""Writes of claim protection: registration, release and arbitration (the rules are
described in the package's docstring)."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk.core.errors import PermissionDenied
from salesdesk.core.models import User
from salesdesk.core.policy import policy_as_of
from salesdesk.core.services import audit_record
from salesdesk.customers import selectors, services
from salesdesk.customers.choices import CustomerStatus
from salesdesk.customers.claims.access import can_decide, can_register, can_release
from salesdesk.customers.claims.selectors import (
    Duplicate,
    duplicates_find,
)
from salesdesk.customers.models import (
    ClaimDispute,
    ClaimStatus,
    Customer,
    DisputeStatus,
    ProspectClaim,
)
from salesdesk.lib import names, uscc

# Registration ------------------------------------------------------------------------


@dataclass
class Registration:
    """What a registration did: created a prospect, renewed or took over a lapsed one."""

    CREATED = "created"
    RENEWED = "renewed"
    TAKEN_OVER = "taken_over"

    claim: ProspectClaim
    outcome: str

    @property
    def customer(self) -> Customer:
        return self.claim.customer


class ClaimRefused(ValidationError):
    """A registration refused because the company is already in the archive. Carries the
    existing customer, its owner, and the dispute opened for arbitration (if any).

    `disclosed` says whether the registrant may see the existing customer: when not, the
    message names neither the customer's code nor its owner, only whom to ask (`ask`)."""

    def __init__(
        self,
        message: str,
        *,
        duplicate: Duplicate,
        dispute: ClaimDispute | None,
        disclosed: bool = True,
        ask: User | None = None,
    ):
        field_name = (
            "credit_code" if duplicate.result.reason == names.Reason.SAME_CREDIT_CODE else "name"
        )
        super().__init__({field_name: [message]})
        self.duplicate = duplicate
        self.dispute = dispute
        self.disclosed = disclosed
        self.ask = ask

    @property
    def customer(self) -> Customer:
        return self.duplicate.customer


def _serialise(key: str) -> None:
    """Make registrations of the same name head wait for each other, so two people
    registering one new company at the same moment cannot both succeed. SQLite's
    IMMEDIATE transactions already queue every writer."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"claims:{key}"])


def _protection_end(day: dt.date) -> dt.date:
    """The last day a registration made on `day` protects (policy claims.protection_days)."""
    return day + dt.timedelta(days=policy_as_of(day)["claims.protection_days"] - 1)


def _claim_end(claim: ProspectClaim, *, status: str, day: dt.date, reason: str) -> None:
    claim.status, claim.ended_on, claim.end_reason = status, day, reason[:200]
    claim.save(update_fields=["status", "ended_on", "end_reason", "updated_at"])


def _claim_open(*, actor: User | None, claimant: User, customer: Customer, day: dt.date,
                action: str, reason: str = "") -> ProspectClaim:  # fmt: skip
    claim = ProspectClaim.objects.create(
        customer=customer, claimant=claimant, registered_on=day,
        protected_until=_protection_end(day),
    )  # fmt: skip
    audit_record(
        actor=actor,
        action=action,
        obj=customer,
        changes={
            "claimant": [None, str(claimant)],
            "protected_until": [None, claim.protected_until.isoformat()],
        },
        reason=reason,
    )
    return claim


def _clean_registration(name: str, credit_code: str) -> tuple[str, str]:
    errors = {}
    name = " ".join(str(name).split())
    if len(name) < 2:
        errors["name"] = _("Give the company's full name.")
    code = ""
    if credit_code and credit_code.strip():
        try:
            code = uscc.validate(credit_code)
        except uscc.InvalidCreditCode as exc:
            errors["credit_code"] = _("Not a valid unified social credit code: %(why)s.") % {
                "why": exc
            }
    if errors:
        raise ValidationError(errors)
    return name, code


def prospect_register(
    *,
    actor: User,
    name: str,
    credit_code: str = "",
    region: str = "",
    industry: str = "",
    address: str = "",
    source: str = "",
    today: dt.date | None = None,
) -> Registration:
    """Register a prospect for `actor` (see the module doc for what a match does).

    Raises ClaimRefused (a ValidationError) naming the existing customer and its owner;
    the dispute it opens is committed even though the registration is refused.
    """
    if not can_register(actor):
        raise PermissionDenied(_("Only salespeople and sales managers register prospects."))
    name, code = _clean_registration(name, credit_code)
    today = today or dt.date.today()
    with transaction.atomic():
        _serialise(names.name_head(name))
        check = duplicates_find(name, code)
        if not check.matches:
            customer = services.customer_create(
                actor=actor, name=name, credit_code=code, region=region, industry=industry,
                address=address, source=source or "", owner=actor,
                status=CustomerStatus.PROSPECT,
            )  # fmt: skip
            claim = _claim_open(
                actor=actor, claimant=actor, customer=customer, day=today, action="claim_register"
            )
            return Registration(claim, Registration.CREATED)
        found = check.matches[0]
        several = len({duplicate.customer.pk for duplicate in check.matches}) > 1
        refusal = _registration_refusal(actor, found, today, several=several)
        if refusal is None:
            return _registration_of_lapsed(actor, found, today)
        if isinstance(refusal, ClaimRefused) and refusal.dispute is None:
            refusal.dispute = _dispute_open(actor, found, name=name, code=code, region=region)
    raise refusal


class Verdict:
    """What registering an existing customer would do for a given registrant."""

    BLACKLISTED = "blacklisted"  # refused
    OWN_CUSTOMER = "own_customer"  # refused: nothing to protect
    OWN_PROTECTED = "own_protected"  # refused: already protected
    RENEW = "renew"  # the registrant's own prospect, protection lapsed: a new claim
    TAKE_OVER = "take_over"  # another's prospect, protection lapsed: reassigned
    DISPUTE = "dispute"  # refused and sent to arbitration


def registration_verdict(
    actor: User, found: Duplicate, today: dt.date, *, several: bool = False
) -> str:
    """What registering `found.customer` would do for `actor` (see the module doc). A
    name matching several customers is never taken over automatically."""
    customer = found.customer
    if customer.status == CustomerStatus.BLACKLISTED:
        return Verdict.BLACKLISTED
    if customer.owner_id == actor.pk:
        if customer.status != CustomerStatus.PROSPECT:
            return Verdict.OWN_CUSTOMER
        return Verdict.OWN_PROTECTED if found.protected_on(today) else Verdict.RENEW
    if customer.status == CustomerStatus.PROSPECT and not found.protected_on(today) and not several:
        return Verdict.TAKE_OVER
    return Verdict.DISPUTE


def _registration_refusal(
    actor: User, found: Duplicate, today: dt.date, *, several: bool
) -> ValidationError | None:
    """Why registering `found.customer` is refused, or None when it may go ahead."""
    verdict = registration_verdict(actor, found, today, several=several)
    customer = found.customer
    params = {"name": customer.name, "code": customer.code, "owner": customer.owner}
    if verdict in (Verdict.RENEW, Verdict.TAKE_OVER):
        return None
    if verdict == Verdict.BLACKLISTED:
        return ValidationError({"name": _("%(name)s (%(code)s) is blacklisted.") % params})
    if verdict == Verdict.OWN_CUSTOMER:
        return ValidationError(
            {"name": _("%(name)s (%(code)s) is already your customer.") % params}
        )
    if verdict == Verdict.OWN_PROTECTED:
        return ValidationError(
            {
                "name": _("You registered %(name)s (%(code)s) already: protected until %(date)s.")
                % {**params, "date": found.claim.protected_until.isoformat()}
            }
        )
    if not selectors.customer_queryset(actor).filter(pk=customer.pk).exists():
        return _undisclosed_refusal(actor, found, today)
    if found.protected_on(today):
        message = _(
            "%(name)s (%(code)s) is registered by %(owner)s, protected until %(date)s "
            "(%(reason)s). Your registration goes to the managers to arbitrate."
        ) % {
            **params,
            "date": found.claim.protected_until.isoformat(),
            "reason": found.reason_label,
        }
    else:
        message = _(
            "%(name)s (%(code)s) is already a customer of %(owner)s (%(reason)s). "
            "Your registration goes to the managers to arbitrate."
        ) % {**params, "reason": found.reason_label}
    return ClaimRefused(message, duplicate=found, dispute=None)


def _undisclosed_refusal(actor: User, found: Duplicate, today: dt.date) -> ClaimRefused:
    """The refusal for a registrant who may not see the existing customer: it says that
    the company is protected or taken and whom to ask, and names neither the customer's
    code nor its owner."""
    ask = actor.manager
    if found.protected_on(today):
        taken = _("This company is protected by a colleague's registration.")
    else:
        taken = _("This company is already a colleague's customer.")
    if ask is not None:
        who = _("Your registration goes to the managers to arbitrate; ask %(manager)s.") % {
            "manager": ask
        }
    else:
        who = _("Your registration goes to the managers to arbitrate; ask an administrator.")
    return ClaimRefused(f"{taken} {who}", duplicate=found, dispute=None, disclosed=False, ask=ask)


def _registration_of_lapsed(actor: User, found: Duplicate, today: dt.date) -> Registration:
    """Renew the registrant's own lapsed prospect, or take over another's."""
    customer = (
        Customer.objects.select_for_update().select_related("owner").get(pk=found.customer.pk)
    )
    lapsed = found.claim
    if customer.owner_id == actor.pk:
        if lapsed is not None:
            _claim_end(lapsed, status=ClaimStatus.ENDED, day=today, reason=_("Registered again"))
        claim = _claim_open(
            actor=actor, claimant=actor, customer=customer, day=today, action="claim_renew"
        )
        return Registration(claim, Registration.RENEWED)
    previous = customer.owner
    if lapsed is not None:
        why = _("Protection lapsed on %(date)s; registered by %(user)s") % {
            "date": lapsed.protected_until.isoformat()
            if lapsed.status == ClaimStatus.ACTIVE
            else lapsed.ended_on.isoformat(),
            "user": actor,
        }
        _claim_end(lapsed, status=ClaimStatus.ENDED, day=today, reason=why)
    else:
        why = _("Not protected by a registration; registered by %(user)s") % {"user": actor}
    # The registrant is not allowed to reassign; the rule is (actor None: the system).
    services.customer_reassign(actor=None, customer=customer, owner=actor, reason=why)
    claim = _claim_open(
        actor=actor, claimant=actor, customer=customer, day=today, action="claim_takeover",
        reason=_("Taken over from %(user)s: %(why)s") % {"user": previous, "why": why},
    )  # fmt: skip
    return Registration(claim, Registration.TAKEN_OVER)


def _dispute_open(
    actor: User, found: Duplicate, *, name: str, code: str, region: str
) -> ClaimDispute:
    """The open dispute of `actor` over this customer: a new one, or the one a previous
    refused attempt opened."""
    customer = found.customer
    dispute = ClaimDispute.objects.filter(
        challenger=actor, customer=customer, status=DisputeStatus.OPEN
    ).first()
    if dispute is not None:
        return dispute
    dispute = ClaimDispute.objects.create(
        challenger=actor, name=name[:200], credit_code=code, region=region[:100],
        customer=customer, owner=customer.owner, claim=found.claim,
        match_reason=found.result.reason.value, match_score=round(found.result.score),
    )  # fmt: skip
    audit_record(
        actor=actor,
        action="claim_dispute",
        obj=customer,
        changes={
            "challenger": [None, str(actor)],
            "name": [None, name],
            "match": [None, found.result.reason.value],
            "dispute": [None, dispute.pk],
        },
    )
    return dispute


@transaction.atomic
def claim_release(*, actor: User, claim: ProspectClaim, reason: str = "",
                  today: dt.date | None = None) -> None:  # fmt: skip
    """Give up a registration: the prospect stays with its owner, unprotected."""
    claim = ProspectClaim.objects.select_for_update().select_related("customer").get(pk=claim.pk)
    if not can_release(actor, claim):
        raise PermissionDenied(_("You may not release this registration."))
    if claim.status != ClaimStatus.ACTIVE:
        raise ValidationError(_("This registration has already ended."))
    today = today or dt.date.today()
    _claim_end(claim, status=ClaimStatus.RELEASED, day=today, reason=reason or _("Released"))
    audit_record(
        actor=actor,
        action="claim_release",
        obj=claim.customer,
        changes={"claim": [claim.protected_until.isoformat(), None]},
        reason=reason,
    )


# Arbitration -------------------------------------------------------------------------


class Decision:
    KEEP = "keep"
    REASSIGN = "reassign"
    CHOICES = (
        (KEEP, gettext_lazy("Keep with the current owner")),
        (REASSIGN, gettext_lazy("Reassign to the challenger")),
    )


def dispute_decide(
    *,
    actor: User,
    dispute: ClaimDispute,
    decision: str,
    reason: str,
    today: dt.date | None = None,
) -> ClaimDispute:
    """Decide a dispute: keep the customer with its owner, or reassign it (with its
    projects) to the challenger, who gets a fresh registration. Audited."""
    with transaction.atomic():
        dispute = (
            ClaimDispute.objects.select_for_update()
            .select_related("challenger", "owner")
            .get(pk=dispute.pk)
        )
        if not can_decide(actor, dispute):
            raise PermissionDenied(
                _("Only an administrator or the manager of both salespeople may decide.")
            )
        if dispute.status != DisputeStatus.OPEN:
            raise ValidationError(_("This dispute has already been decided."))
        if decision not in (Decision.KEEP, Decision.REASSIGN):
            raise ValidationError({"decision": _("Choose keep or reassign.")})
        reason = " ".join(str(reason).split())
        if not reason:
            raise ValidationError({"reason": _("A decision needs a reason.")})
        today = today or dt.date.today()
        customer = (
            Customer.objects.select_for_update().select_related("owner").get(pk=dispute.customer_id)
        )
        if decision == Decision.REASSIGN:
            _reassign_to_challenger(actor, dispute, customer, reason, today)
            dispute.status = DisputeStatus.REASSIGNED
        else:
            dispute.status = DisputeStatus.KEPT
        dispute.decided_by, dispute.decided_at = actor, timezone.now()
        dispute.decision_reason = reason[:200]
        dispute.save(
            update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
        )
        audit_record(
            actor=actor,
            action="claim_decide",
            obj=customer,
            changes={
                "dispute": [None, dispute.pk],
                "decision": [None, dispute.status],
                "challenger": [None, str(dispute.challenger)],
            },
            reason=reason,
        )
    return dispute


def _reassign_to_challenger(
    actor: User, dispute: ClaimDispute, customer: Customer, reason: str, today: dt.date
) -> None:
    challenger = dispute.challenger
    why = _("Registration dispute #%(id)s decided for %(user)s: %(reason)s") % {
        "id": dispute.pk, "user": challenger, "reason": reason,
    }  # fmt: skip
    active = ProspectClaim.objects.filter(customer=customer, status=ClaimStatus.ACTIVE).first()
    if active is not None:
        _claim_end(active, status=ClaimStatus.ENDED, day=today, reason=why)
    if customer.owner_id != challenger.pk:
        services.customer_reassign(
            actor=actor, customer=customer, owner=challenger, reason=why[:200]
        )
    _claim_open(
        actor=actor, claimant=challenger, customer=customer, day=today,
        action="claim_register", reason=why,
    )  # fmt: skip


def name_keys_refresh(batch: int = 2000) -> int:
    """Recompute every customer's search and duplicate-check keys (after a change to
    lib/names.py). Returns how many changed."""
    changed = []
    total = 0
    rows = Customer.objects.only("pk", "name", "search_key", "name_key", "name_head")
    for customer in rows.order_by("pk").iterator(chunk_size=batch):
        keys = (
            names.search_key(customer.name),
            names.name_key(customer.name),
            names.name_head(customer.name),
        )
        if keys != (customer.search_key, customer.name_key, customer.name_head):
            customer.search_key, customer.name_key, customer.name_head = keys
            changed.append(customer)
        if len(changed) >= batch:
            Customer.objects.bulk_update(changed, ["search_key", "name_key", "name_head"])
            total += len(changed)
            changed = []
    Customer.objects.bulk_update(changed, ["search_key", "name_key", "name_head"])
    return total + len(changed)
