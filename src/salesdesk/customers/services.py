"""Writes to the customer archive. UI, API, CLI and importer all come through here."""

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from salesdesk.core.access import (
    Action,
    assignable_owners,
    can_reassign_owner,
    require,
)
from salesdesk.core.errors import PermissionDenied
from salesdesk.core.models import Plant, User
from salesdesk.core.policy import policy_as_of
from salesdesk.core.services import audit_record, diff, insert_once
from salesdesk.customers.choices import CustomerStatus, Tier
from salesdesk.customers.models import (
    Contact,
    Customer,
    CustomerOwnerChange,
    CustomerTierChange,
    Project,
)
from salesdesk.lib import names, uscc

CUSTOMER_FIELDS = (
    "name", "credit_code", "industry", "region", "address", "owner", "source", "status",
    "credit_rating", "business_score",
)  # fmt: skip
PROJECT_FIELDS = (
    "name", "plant", "owner", "contract_no", "payment_terms_days", "credit_limit", "status",
    "started_on", "completed_on",
)  # fmt: skip
CONTACT_FIELDS = ("title", "phone", "email", "role", "decision_authority")


def _require_editor(actor: User | None) -> None:
    require(actor, Action.ARCHIVE_EDIT, _("You may not change the customer archive."))


def _require_assignable(actor: User | None, owner: User, field: str = "owner") -> None:
    if actor is not None and not assignable_owners(actor).filter(pk=owner.pk).exists():
        raise ValidationError(
            {field: _("You cannot assign records to %(user)s.") % {"user": owner}}
        )


def customer_clean_values(values: dict, *, instance: Customer | None) -> dict:
    """Normalise and validate customer values; raises ValidationError naming each field."""
    errors: dict[str, str] = {}
    values = dict(values)
    if "name" in values:
        values["name"] = " ".join(str(values["name"]).split())
        if not values["name"]:
            errors["name"] = _("A customer needs a name.")
    if values.get("credit_code"):
        try:
            values["credit_code"] = uscc.validate(values["credit_code"])
        except uscc.InvalidCreditCode as exc:
            errors["credit_code"] = _("Not a valid unified social credit code: %(why)s.") % {
                "why": exc
            }
        else:
            clash = Customer.objects.filter(credit_code=values["credit_code"])
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            existing = clash.values_list("code", "name").first()
            if existing:
                errors["credit_code"] = ValidationError(
                    _("Customer %(code)s %(name)s already has this credit code."),
                    code="duplicate",
                    params={"code": existing[0], "name": existing[1]},
                )
    score = values.get("business_score")
    if score is not None and not 0 <= int(score) <= 100:
        errors["business_score"] = _("The business-condition score is between 0 and 100.")
    if errors:
        raise ValidationError(errors)
    return values


def _next_code(model, prefix: str) -> str:
    """The next free code of the form prefix + digits (C000001, C000002, ...)."""
    last = (
        model.objects.filter(code__regex=rf"^{re.escape(prefix)}[0-9]+$")
        .order_by(Length("code").desc(), "-code")
        .values_list("code", flat=True)
        .first()
    )
    number = int(last[len(prefix) :]) if last else 0
    return f"{prefix}{number + 1:06d}"


@transaction.atomic
def customer_create(*, actor: User | None, code: str = "", **values) -> Customer:
    """Register a customer. A blank code gets the next free `C` number."""
    _require_editor(actor)
    values = customer_clean_values(values, instance=None)
    _require_assignable(actor, values["owner"])
    tier = values.pop("tier", "") or ""
    tier_locked = values.pop("tier_locked", False)
    code = code.strip() or _next_code(Customer, "C")
    customer = Customer(code=code, tier=tier, tier_locked=tier_locked, **values)
    customer.search_key = names.search_key(customer.name)
    customer.name_key = names.name_key(customer.name)
    customer.name_head = names.name_head(customer.name)
    insert_once(customer, "code", _("Customer code %(code)s is taken.") % {"code": code})
    audit_record(
        actor=actor,
        action="create",
        obj=customer,
        changes={
            field: [None, str(getattr(customer, field))] for field in ("code", *CUSTOMER_FIELDS)
        },
    )
    if tier:
        CustomerTierChange.objects.create(
            customer=customer, to_tier=tier, locked=tier_locked, changed_by=actor,
            effective_on=dt.date.today(), reason=_("Recorded at creation"),
        )  # fmt: skip
    return customer


@transaction.atomic
def customer_update(*, actor: User | None, customer: Customer, **values) -> dict:
    """Change a customer's details. The owner changes through `customer_reassign`."""
    _require_editor(actor)
    new_owner = values.pop("owner", customer.owner)
    values = customer_clean_values(values, instance=customer)
    changes = diff(customer, values)
    if changes:
        for field, value in values.items():
            setattr(customer, field, value)
        customer.search_key = names.search_key(customer.name)
        customer.name_key = names.name_key(customer.name)
        customer.name_head = names.name_head(customer.name)
        customer.save()
        audit_record(actor=actor, action="update", obj=customer, changes=changes)
    if new_owner.pk != customer.owner_id:
        customer_reassign(actor=actor, customer=customer, owner=new_owner, reason="")
        changes["owner"] = [None, str(new_owner)]
    return changes


@transaction.atomic
def customer_reassign(
    *, actor: User | None, customer: Customer, owner: User, reason: str, with_projects: bool = True
) -> None:
    """Hand a customer to another salesperson. Its history stays with the customer;
    its projects owned by the previous owner move with it unless `with_projects` is off."""
    if actor is not None and not can_reassign_owner(actor):
        raise PermissionDenied(_("Only a manager, marketing or an administrator may reassign."))
    _require_assignable(actor, owner)
    previous = customer.owner
    if previous.pk == owner.pk:
        return
    customer.owner = owner
    customer.save(update_fields=["owner", "updated_at"])
    CustomerOwnerChange.objects.create(
        customer=customer, from_owner=previous, to_owner=owner, changed_by=actor, reason=reason
    )
    moved = 0
    if with_projects:
        moved = Project.objects.filter(customer=customer, owner=previous).update(owner=owner)
    audit_record(
        actor=actor,
        action="reassign",
        obj=customer,
        changes={"owner": [str(previous), str(owner)], "projects_moved": [None, moved]},
        reason=reason,
    )


@transaction.atomic
def customer_set_tier(
    *,
    actor: User | None,
    customer: Customer,
    tier: str,
    locked: bool,
    reason: str,
    effective_on: dt.date | None = None,
) -> bool:
    """Set a tier by hand, locked or not. Locking needs a reason (DOMAIN §2)."""
    if actor is not None and not (actor.is_admin or actor.has_role("manager")):
        raise PermissionDenied(_("Only a sales manager may set a tier by hand."))
    if tier and tier not in Tier.values:
        raise ValidationError({"tier": _("Unknown tier %(tier)s.") % {"tier": tier}})
    if locked and not tier:
        raise ValidationError({"tier": _("Choose the tier to lock.")})
    if locked and not reason.strip():
        raise ValidationError({"reason": _("Locking a tier needs a reason.")})
    if customer.tier == tier and customer.tier_locked == locked:
        return False
    CustomerTierChange.objects.create(
        customer=customer, from_tier=customer.tier, to_tier=tier, locked=locked,
        reason=reason, changed_by=actor, effective_on=effective_on or dt.date.today(),
    )  # fmt: skip
    changes = diff(customer, {"tier": tier, "tier_locked": locked})
    customer.tier, customer.tier_locked = tier, locked
    customer.tier_lock_reason = reason if locked else ""
    customer.save(update_fields=["tier", "tier_locked", "tier_lock_reason", "updated_at"])
    audit_record(actor=actor, action="set_tier", obj=customer, changes=changes, reason=reason)
    return True


# Contacts ----------------------------------------------------------------------------


@transaction.atomic
def contact_upsert(
    *, actor: User | None, customer: Customer, name: str, **values
) -> tuple[Contact, bool]:
    """Create the contact, or update the one of the same name at this customer."""
    _require_editor(actor)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("A contact needs a name.")})
    contact = Contact.objects.filter(customer=customer, name=name).first()
    if contact is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(customer=customer, name=name, **values)
        except IntegrityError:
            # A concurrent request added the contact a moment ago: update it instead.
            contact = Contact.objects.filter(customer=customer, name=name).first()
            if contact is None:
                raise
        else:
            audit_record(
                actor=actor, action="add_contact", obj=customer, changes={"contact": [None, name]}
            )
            return contact, True
    changes = diff(contact, values)
    if changes:
        for field, value in values.items():
            setattr(contact, field, value)
        contact.save()
        audit_record(
            actor=actor, action="update_contact", obj=customer,
            changes={f"{name}.{field}": change for field, change in changes.items()},
        )  # fmt: skip
    return contact, bool(changes)


@transaction.atomic
def contact_update(*, actor: User | None, contact: Contact, name: str, **values) -> bool:
    _require_editor(actor)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("A contact needs a name.")})
    if (
        Contact.objects.filter(customer_id=contact.customer_id, name=name)
        .exclude(pk=contact.pk)
        .exists()
    ):
        raise ValidationError({"name": _("This customer already has a contact of that name.")})
    changes = diff(contact, {"name": name, **values})
    if changes:
        contact.name = name
        for field, value in values.items():
            setattr(contact, field, value)
        contact.save()
        audit_record(actor=actor, action="update_contact", obj=contact.customer, changes=changes)
    return bool(changes)


# Projects ----------------------------------------------------------------------------


def default_payment_terms(customer: Customer, as_of: dt.date | None = None) -> int:
    """The payment terms of the customer's tier policy (general when not yet tiered)."""
    tier = customer.tier or Tier.GENERAL
    return policy_as_of(as_of)[f"tier.{tier}.payment_terms_days"]


def _clean_project_values(values: dict, instance: Project | None = None) -> dict:
    """Normalise and check project values; on a change, the dates are checked against
    the stored ones too (a PATCH of started_on alone may pass completed_on)."""
    errors = {}
    if "name" in values:
        values["name"] = " ".join(str(values["name"]).split())
        if not values["name"]:
            errors["name"] = _("A project needs a name.")
    limit = values.get("credit_limit")
    if limit is not None and Decimal(limit) < 0:
        errors["credit_limit"] = _("The credit limit cannot be negative.")
    started = values.get("started_on", instance.started_on if instance else None)
    completed = values.get("completed_on", instance.completed_on if instance else None)
    if started and completed and completed < started:
        field = "completed_on" if "completed_on" in values else "started_on"
        errors[field] = _("A project cannot complete before it starts.")
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def project_create(
    *,
    actor: User | None,
    customer: Customer,
    code: str = "",
    name: str,
    owner: User | None = None,
    plant: Plant | None = None,
    payment_terms_days: int | None = None,
    **values,
) -> Project:
    """Open a project for a customer. Owner defaults to the customer's owner, terms to
    the tier policy, a blank code to the next free `P` number."""
    _require_editor(actor)
    if customer.status == CustomerStatus.BLACKLISTED:
        raise ValidationError({"customer": _("The customer is blacklisted.")})
    owner = owner or customer.owner
    _require_assignable(actor, owner)
    if payment_terms_days is None:
        payment_terms_days = default_payment_terms(customer)
    values = _clean_project_values({"name": name, **values})
    code = code.strip() or _next_code(Project, "P")
    project = Project(
        code=code, customer=customer, owner=owner, plant=plant,
        payment_terms_days=payment_terms_days, **values,
    )  # fmt: skip
    insert_once(project, "code", _("Project code %(code)s is taken.") % {"code": code})
    audit_record(
        actor=actor,
        action="create",
        obj=project,
        changes={
            field: [None, str(getattr(project, field))]
            for field in ("code", "customer", *PROJECT_FIELDS)
        },
    )
    return project


@transaction.atomic
def project_update(*, actor: User | None, project: Project, **values) -> dict:
    _require_editor(actor)
    if "owner" in values and values["owner"].pk != project.owner_id:
        if actor is not None and not can_reassign_owner(actor):
            raise PermissionDenied(_("Only a manager, marketing or an administrator may reassign."))
        _require_assignable(actor, values["owner"])
    values = _clean_project_values(values, instance=project)
    changes = diff(project, values)
    if changes:
        for field, value in values.items():
            setattr(project, field, value)
        project.save()
        audit_record(actor=actor, action="update", obj=project, changes=changes)
    return changes
