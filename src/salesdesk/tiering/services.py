"""Re-tiering (DOMAIN §2): applying the proposal, with the customers' tier history."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.core.models import AuditEntry, User
from salesdesk.core.policy import policy_as_of
from salesdesk.core.services import PermissionDenied
from salesdesk.customers.choices import CustomerStatus
from salesdesk.customers.models import Customer, CustomerTierChange
from salesdesk.tiering.ranking import changes_digest, propose
from salesdesk.tiering.selectors import tiering_rows


@transaction.atomic
def tiering_apply(*, actor: User | None, as_of: dt.date, expected: str | None = None) -> list:
    """Re-tier every active customer as `ranking.propose` says, keeping the history.
    Returns the proposals that changed a tier. Set-based: a few queries in all.

    `expected` is the `changes_digest` of the preview the user confirmed: when the
    proposal has changed since (a lock, an invoice, a policy value), nothing is applied."""
    if actor is not None and not (actor.is_admin or actor.has_role("manager")):
        raise PermissionDenied(_("Only a sales manager may apply re-tiering."))
    if as_of > timezone.localdate():
        # The new tiers take effect now; a date still to come would record them as not.
        raise ValidationError({"as_of": _("Re-tiering cannot be applied as of a future date.")})
    policy = policy_as_of(as_of)
    proposals = propose(tiering_rows(as_of), policy)
    if expected is not None and changes_digest(proposals) != expected:
        raise ValidationError(
            {"as_of": _("The proposed tiers have changed since the preview; review them again.")}
        )
    changed = [p for p in proposals if p.changes]
    reason = _("Re-tiering as of %(date)s") % {"date": as_of.isoformat()}
    # One UPDATE per (from, to) pair and chunk. Each names the tier it read and an unlocked,
    # active customer: a lock or change made since the read makes the count fall short,
    # and then nothing is applied rather than overwriting it.
    groups: dict[tuple[str, str], list[int]] = {}
    for proposal in changed:
        groups.setdefault((proposal.row.tier, proposal.proposed), []).append(proposal.row.id)
    now = timezone.now()
    for (from_tier, to_tier), ids in groups.items():
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            updated = Customer.objects.filter(
                pk__in=chunk, tier=from_tier, tier_locked=False, status=CustomerStatus.ACTIVE
            ).update(tier=to_tier, updated_at=now)
            if updated != len(chunk):
                raise ValidationError(
                    {"as_of": _("Customers changed while re-tiering; review the proposal again.")}
                )
    history = [
        CustomerTierChange(
            customer_id=p.row.id, from_tier=p.row.tier, to_tier=p.proposed, locked=False,
            reason=reason, effective_on=as_of, changed_by=actor,
        )
        for p in changed
    ]  # fmt: skip
    audit = [
        AuditEntry(
            actor=actor, action="set_tier", object_type="customers.customer",
            object_id=str(p.row.id), object_repr=p.row.name[:200], reason=reason,
            changes={"tier": [p.row.tier, p.proposed], "score": [None, str(p.score_1dp)]},
        )
        for p in changed
    ]  # fmt: skip
    CustomerTierChange.objects.bulk_create(history, batch_size=2000)
    AuditEntry.objects.bulk_create(audit, batch_size=2000)
    return changed
