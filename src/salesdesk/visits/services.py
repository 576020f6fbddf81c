"""Writes to the visit log. The UI, the API and the importer all come through here.

A visit's natural key is (customer, salesperson, date): see `Visit`. `visit_record` logs
a new visit and refuses a second one with the same key; `visit_upsert` is the importer's
entry: it logs the visit, or brings the stored one in line with what the row states.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.core.access import Action, assignable_owners, can, require
from salesdesk.core.errors import Conflict, PermissionDenied
from salesdesk.core.models import User
from salesdesk.core.services import audit_record
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.visits.choices import Outcome
from salesdesk.visits.models import SATISFACTION_MAX, SATISFACTION_MIN, Commitment, Visit

# Who logs visits and keeps track of commitments. Marketing, finance, supply and legal
# read the log; they do not make sales calls.

TEXT_LIMITS = {"purpose": 200, "next_step": 300}
COMMITMENT_LIMITS = {"what": 300, "who": 100}


class _Keep:
    """`visit_upsert`'s marker for a value the caller did not state."""

    def __repr__(self):
        return "KEEP"


KEEP = _Keep()


@dataclass(frozen=True)
class CommitmentIn:
    """What the customer agreed to at an advance: what, who (a contact of the customer, or
    a name) and by when."""

    what: str
    due: dt.date | None
    who: str = ""
    contact: Contact | None = None


def can_log_visits(user: User) -> bool:
    return can(user, Action.VISIT_LOG)


def _today() -> dt.date:
    return timezone.localdate()


def _as_commitment(value) -> CommitmentIn | None:
    if value is None or isinstance(value, CommitmentIn):
        return value
    if isinstance(value, Mapping):
        return CommitmentIn(
            what=value.get("what") or "",
            due=value.get("due"),
            who=value.get("who") or "",
            contact=value.get("contact"),
        )
    raise TypeError(f"commitment must be a CommitmentIn or a mapping, not {type(value)}")


def require_logger(actor: User | None) -> None:
    require(actor, Action.VISIT_LOG, _("You may not log visits."))


def _require_customer_and_salesperson(
    actor: User | None, customer: Customer, salesperson: User
) -> None:
    if actor is None:
        return
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise ValidationError({"customer": _("No customer %(code)s.") % {"code": customer.code}})
    if not assignable_owners(actor).filter(pk=salesperson.pk).exists():
        raise ValidationError(
            {"salesperson": _("You cannot log visits for %(user)s.") % {"user": salesperson}}
        )


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _clean(values: dict, *, customer: Customer, today: dt.date) -> dict:
    """Normalise and check the values of a visit; ValidationError names every field."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    values = dict(values)
    for field in ("purpose", "next_step"):
        if field in values:
            values[field] = _one_line(values[field])
            if len(values[field]) > TEXT_LIMITS[field]:
                error(field, _("At most %(n)d characters.") % {"n": TEXT_LIMITS[field]})
    if "notes" in values:
        values["notes"] = (values["notes"] or "").strip()
    if "outcome" in values and values["outcome"] not in Outcome.values:
        error("outcome", _("Unknown outcome %(value)s.") % {"value": values["outcome"]})
    visit_date = values.get("date")
    if visit_date is not None and visit_date > today:
        error("date", _("A visit is logged once it has happened; plan it as a next step."))
    project = values.get("project")
    if project is not None and project.customer_id != customer.pk:
        error("project", _("The project is not one of this customer's."))
    if "contacts" in values:
        contacts = list(values["contacts"] or ())
        if any(contact.customer_id != customer.pk for contact in contacts):
            error("contacts", _("Only the customer's own contacts can be recorded as met."))
        values["contacts"] = contacts
    satisfaction = values.get("satisfaction")
    if satisfaction is not None:
        if not SATISFACTION_MIN <= int(satisfaction) <= SATISFACTION_MAX:
            error("satisfaction", _("Satisfaction is between 1 and 5."))
        else:
            values["satisfaction"] = int(satisfaction)
    due = values.get("next_step_due")
    if due is not None and visit_date is not None and due < visit_date:
        error("next_step_due", _("The next step cannot be due before the visit."))
    if "manager_involved" in values:
        values["manager_involved"] = bool(values["manager_involved"])
    if "commitment" in values:
        values["commitment"] = _clean_commitment(
            _as_commitment(values["commitment"]),
            outcome=values.get("outcome"),
            customer=customer,
            visit_date=visit_date,
            error=error,
        )
    if errors:
        raise ValidationError(errors)
    return values


def _clean_commitment(commitment, *, outcome, customer, visit_date, error) -> CommitmentIn | None:
    """An advance must record the commitment: what, who, by when (DOMAIN §4)."""
    if outcome != Outcome.ADVANCE:
        if commitment is not None:
            error("commitment", _("Only an advance records a commitment."))
        return None
    if commitment is None:
        error("commitment", _("An advance must record the commitment: what, who and by when."))
        return None
    what = _one_line(commitment.what)
    contact = commitment.contact
    who = _one_line(commitment.who) or (contact.name if contact is not None else "")
    if not what:
        error("commitment_what", _("Say what the customer committed to."))
    elif len(what) > COMMITMENT_LIMITS["what"]:
        error("commitment_what", _("At most %(n)d characters.") % {"n": COMMITMENT_LIMITS["what"]})
    if contact is not None and contact.customer_id != customer.pk:
        error("commitment_contact", _("The contact is not one of this customer's."))
    if not who:
        error("commitment_who", _("Say who on the customer's side committed."))
    elif len(who) > COMMITMENT_LIMITS["who"]:
        error("commitment_who", _("At most %(n)d characters.") % {"n": COMMITMENT_LIMITS["who"]})
    if commitment.due is None:
        error("commitment_due", _("Say by when."))
    elif visit_date is not None and commitment.due < visit_date:
        error("commitment_due", _("A commitment cannot be due before the visit."))
    return CommitmentIn(what=what, due=commitment.due, who=who, contact=contact)


def _duplicate_error(existing: Visit) -> ValidationError:
    return ValidationError(
        {
            "date": ValidationError(
                _("%(user)s already logged a visit at %(customer)s on %(date)s."),
                code="duplicate",
                params={
                    "user": existing.salesperson,
                    "customer": existing.customer,
                    "date": existing.date.isoformat(),
                    "pk": existing.pk,
                },
            )
        }
    )


def _existing(customer: Customer, salesperson: User, date: dt.date, exclude=None) -> Visit | None:
    found = Visit.objects.select_related("customer", "salesperson").filter(
        customer=customer, salesperson=salesperson, date=date
    )
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return found.first()


def _commitment_text(commitment) -> str | None:
    if commitment is None:
        return None
    return f"{commitment.what} / {commitment.who} / {commitment.due}"


def _shown(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(sorted(str(item) for item in value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@transaction.atomic
def visit_record(
    *,
    actor: User | None,
    customer: Customer,
    date: dt.date,
    salesperson: User | None = None,
    outcome: str,
    next_step: str = "",
    next_step_due: dt.date | None = None,
    notes: str = "",
    contacts: Iterable[Contact] = (),
    purpose: str = "",
    satisfaction: int | None = None,
    commitment: CommitmentIn | Mapping | None = None,
    project: Project | None = None,
    manager_involved: bool = False,
) -> Visit:
    """Log a visit. The salesperson defaults to the actor. An advance needs its
    commitment; a second visit with the same (customer, salesperson, date) is refused."""
    require_logger(actor)
    salesperson = salesperson or actor
    if salesperson is None:
        raise ValidationError({"salesperson": _("Say who made the visit.")})
    _require_customer_and_salesperson(actor, customer, salesperson)
    values = _clean(
        {
            "date": date, "outcome": outcome, "next_step": next_step,
            "next_step_due": next_step_due, "notes": notes, "contacts": contacts,
            "purpose": purpose, "satisfaction": satisfaction, "commitment": commitment,
            "project": project, "manager_involved": manager_involved,
        },
        customer=customer,
        today=_today(),
    )  # fmt: skip
    existing = _existing(customer, salesperson, date)
    if existing is not None:
        raise _duplicate_error(existing)
    contacts = values.pop("contacts")
    commitment = values.pop("commitment")
    visit = Visit(customer=customer, salesperson=salesperson, **values)
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:
        # Someone logged the same visit a moment ago.
        raise _duplicate_error(_existing(customer, salesperson, date)) from None
    if contacts:
        visit.contacts.set(contacts)
    if commitment is not None:
        _commitment_save(visit, commitment)
    changes = {
        field: [None, _shown(value)]
        for field, value in {
            "customer": customer.code, "salesperson": salesperson.username, **values,
            "contacts": [contact.name for contact in contacts],
            "commitment": _commitment_text(commitment),
        }.items()
        if value not in (None, "", [], False)
    }  # fmt: skip
    audit_record(actor=actor, action="create", obj=visit, changes=changes)
    return visit


def _commitment_save(visit: Visit, wanted: CommitmentIn) -> Commitment:
    commitment = Commitment.objects.filter(visit=visit).first() or Commitment(visit=visit)
    commitment.what, commitment.who = wanted.what, wanted.who
    commitment.contact, commitment.due = wanted.contact, wanted.due
    commitment.save()
    return commitment


def _stored_commitment(visit: Visit) -> CommitmentIn | None:
    commitment = Commitment.objects.filter(visit=visit).first()
    if commitment is None:
        return None
    return CommitmentIn(
        what=commitment.what, due=commitment.due, who=commitment.who, contact=commitment.contact
    )


def _same_commitment(a: CommitmentIn | None, b: CommitmentIn | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.what, a.who, a.due, a.contact.pk if a.contact else None) == (
        b.what, b.who, b.due, b.contact.pk if b.contact else None,
    )  # fmt: skip


def visit_differences(visit: Visit, values: Mapping) -> list[str]:
    """The fields among `values` whose stored value differs, after the same cleaning the
    services apply. The API's "same content" check and the importer use it."""
    values = _clean(
        {"date": visit.date, "outcome": visit.outcome, **values},
        customer=visit.customer,
        today=max(_today(), visit.date),
    )
    differing = []
    for field, value in values.items():
        if field == "contacts":
            stored = {contact.pk for contact in visit.contacts.all()}
            if stored != {contact.pk for contact in value}:
                differing.append(field)
        elif field == "commitment":
            if not _same_commitment(_stored_commitment(visit), value):
                differing.append(field)
        elif hasattr(value, "pk") or field in ("project", "salesperson", "customer"):
            if getattr(visit, f"{field}_id") != (value.pk if value is not None else None):
                differing.append(field)
        elif getattr(visit, field) != value:
            differing.append(field)
    return differing


def _require_editor(actor: User | None, visit: Visit) -> None:
    if actor is None:
        return
    require_logger(actor)
    if not (
        Visit.objects.visible_to(actor).filter(pk=visit.pk).exists()
        and assignable_owners(actor).filter(pk=visit.salesperson_id).exists()
    ):
        raise PermissionDenied(_("You may not change this visit."))


@transaction.atomic
def visit_update(*, actor: User | None, visit: Visit, **values) -> dict:
    """Change a logged visit. The customer is fixed; the date and salesperson may change
    when no other visit has that key. An advance keeps a commitment; a visit that stops
    being an advance loses its commitment. Returns {field: [old, new]} of what changed."""
    unknown = set(values) - {
        "date", "salesperson", "outcome", "next_step", "next_step_due", "notes", "contacts",
        "purpose", "satisfaction", "commitment", "project", "manager_involved",
    }  # fmt: skip
    if unknown:
        raise TypeError(f"visit_update: unknown fields {sorted(unknown)}")
    visit = (
        Visit.objects.select_for_update().select_related("customer", "salesperson").get(pk=visit.pk)
    )
    _require_editor(actor, visit)
    salesperson = values.get("salesperson") or visit.salesperson
    values.pop("salesperson", None)
    if salesperson.pk != visit.salesperson_id:
        _require_customer_and_salesperson(actor, visit.customer, salesperson)
        values["salesperson"] = salesperson
    outcome = values.get("outcome", visit.outcome)
    stored_commitment = _stored_commitment(visit)
    if outcome == Outcome.ADVANCE and "commitment" not in values:
        values["commitment"] = stored_commitment
    elif outcome != Outcome.ADVANCE and stored_commitment is not None:
        values["commitment"] = None  # no longer an advance: nothing was committed
    cleaned = _clean(
        {"date": visit.date, **values, "outcome": outcome},
        customer=visit.customer,
        today=max(_today(), visit.date),
    )
    date = cleaned["date"]
    if (date, salesperson.pk) != (visit.date, visit.salesperson_id):
        existing = _existing(visit.customer, salesperson, date, exclude=visit)
        if existing is not None:
            raise _duplicate_error(existing)
    differing = visit_differences(visit, cleaned)
    changes: dict = {}
    for field in differing:
        new = cleaned[field]
        if field == "contacts":
            old = [contact.name for contact in visit.contacts.all()]
            visit.contacts.set(new)
            changes[field] = [_shown(old), _shown([contact.name for contact in new])]
        elif field == "commitment":
            changes[field] = [_commitment_text(stored_commitment), _commitment_text(new)]
            if new is None:
                Commitment.objects.filter(visit=visit).delete()
            else:
                _commitment_save(visit, new)
        else:
            changes[field] = [_shown(getattr(visit, field)), _shown(new)]
            setattr(visit, field, new)
    if changes:
        visit.save()
        audit_record(actor=actor, action="update", obj=visit, changes=changes)
    return changes


@transaction.atomic
def visit_upsert(
    *,
    actor: User | None,
    customer: Customer,
    date: dt.date,
    salesperson: User,
    outcome: str,
    next_step=KEEP,
    next_step_due=KEEP,
    notes=KEEP,
    contacts=KEEP,
    purpose=KEEP,
    satisfaction=KEEP,
    commitment=KEEP,
    project=KEEP,
    manager_involved=KEEP,
) -> tuple[Visit, bool]:
    """The importer's write: log the visit of (customer, salesperson, date), or update
    the stored one. A value left as KEEP is not stated: a new visit takes the default, a
    stored one keeps its value. Nothing differing means no write and no audit entry.
    Returns (visit, created)."""
    stated = {
        field: value
        for field, value in {
            "outcome": outcome, "next_step": next_step, "next_step_due": next_step_due,
            "notes": notes, "contacts": contacts, "purpose": purpose,
            "satisfaction": satisfaction, "commitment": commitment, "project": project,
            "manager_involved": manager_involved,
        }.items()
        if value is not KEEP
    }  # fmt: skip
    existing = _existing(customer, salesperson, date)
    if existing is None:
        visit = visit_record(
            actor=actor, customer=customer, date=date, salesperson=salesperson, **stated
        )
        return visit, True
    visit_update(actor=actor, visit=existing, **stated)
    return existing, False


# Commitments --------------------------------------------------------------------------


def can_track_commitment(user: User, commitment: Commitment) -> bool:
    return can_log_visits(user) and (
        Commitment.objects.visible_to(user).filter(pk=commitment.pk).exists()
    )


@transaction.atomic
def commitment_complete(
    *,
    actor: User | None,
    commitment: Commitment,
    done_on: dt.date | None = None,
    note: str = "",
) -> Commitment:
    """Mark a commitment kept. Done once: a second call is a Conflict, not a new date."""
    commitment = (
        Commitment.objects.select_for_update().select_related("visit").get(pk=commitment.pk)
    )
    if actor is not None and not can_track_commitment(actor, commitment):
        raise PermissionDenied(_("You may not change this commitment."))
    if commitment.done_on is not None:
        raise Conflict(_("Already done on %(date)s.") % {"date": commitment.done_on.isoformat()})
    done_on = done_on or _today()
    errors = {}
    if done_on > _today():
        errors["done_on"] = _("A commitment is marked done once it is kept.")
    elif done_on < commitment.visit.date:
        errors["done_on"] = _("A commitment cannot be kept before the visit it was made at.")
    note = _one_line(note)
    if len(note) > 300:
        errors["note"] = _("At most %(n)d characters.") % {"n": 300}
    if errors:
        raise ValidationError(errors)
    commitment.done_on, commitment.done_by, commitment.done_note = done_on, actor, note
    commitment.save(update_fields=["done_on", "done_by", "done_note", "updated_at"])
    audit_record(
        actor=actor,
        action="commitment_done",
        obj=commitment.visit,
        changes={
            "done_on": [None, done_on.isoformat()],
            "done_by": [None, actor.username if actor is not None else None],
        },
        reason=note,
    )
    return commitment
