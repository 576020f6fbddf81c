"""Applying the sales activity sheets: opportunities (DOMAIN §3) and visits (§4).

Like master data, each row goes through the service the UI uses
(`pipeline.services.opportunity_upsert`, `visits.services.visit_upsert`), so validation,
permissions and audit entries are the UI's. A batch resolves its references with one
query per table; a stored record is compared first and the service is called only when
something differs, so an unchanged row costs no write and leaves no audit entry.

A blank cell means "not stated": a new record takes the default, a stored one keeps its
value. An import never erases data.
"""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Q

from salesdesk.core.errors import Conflict, ServiceError
from salesdesk.customers.choices import BuyingRole
from salesdesk.customers.models import Contact
from salesdesk.imports.master import changes, settled, stated
from salesdesk.imports.references import CUSTOMERS, OPPORTUNITIES, USERS, fetch, resolve
from salesdesk.imports.spec import Row, SheetRun
from salesdesk.pipeline import access as pipeline_access
from salesdesk.pipeline.choices import FACTOR_NUMBERS
from salesdesk.pipeline.models import Opportunity
from salesdesk.pipeline.services import opportunity_upsert
from salesdesk.visits.choices import Outcome
from salesdesk.visits.models import Visit
from salesdesk.visits.services import (
    COMMITMENT_LIMITS,
    KEEP,
    CommitmentIn,
    visit_differences,
    visit_upsert,
)

# Opportunities ------------------------------------------------------------------------

FACTOR_COLUMNS = tuple(f"f{number}" for number in FACTOR_NUMBERS)
OPPORTUNITY_COLUMNS = (
    "name", "value", "expected_close", "stage", "source", "need", "budget",
    "decision_maker_known", *FACTOR_COLUMNS,
)  # fmt: skip


def apply_opportunities(sheet: SheetRun, rows: list[Row]) -> None:
    opportunities = fetch(sheet, OPPORTUNITIES, rows, "code", select_related=("customer",))
    hidden = _hidden_codes(sheet, rows, opportunities)
    customers = fetch(sheet, CUSTOMERS, rows, "customer", select_related=("owner",))
    users = fetch(sheet, USERS, rows, "owner")
    for row in rows:
        code = row["code"]
        opportunity = opportunities.get(code)
        customer = resolve(sheet, row, "customer", CUSTOMERS, customers)
        owner = resolve(sheet, row, "owner", USERS, users)
        if code in hidden:
            # Someone else's opportunity: it does not exist for this user, and its code
            # cannot be taken either (what the opportunity form says too).
            sheet.error(row, "code", f"opportunity code {code} is taken")
        if (
            opportunity is not None
            and customer is not None
            and opportunity.customer_id != customer.pk
        ):
            sheet.error(
                row,
                "customer",
                f"opportunity {code} belongs to customer {opportunity.customer.code}; "
                "an opportunity cannot move to another customer",
            )
        if row.failed:
            continue
        values = stated(row, *OPPORTUNITY_COLUMNS)
        if owner is not None:
            values["owner"] = owner
        diff = changes(opportunity, values)
        if settled(sheet, row, code, f"opportunity {code}", opportunity, diff):
            continue
        if (
            opportunity is not None
            and "owner" in diff
            and sheet.actor is not None
            and not pipeline_access.can_change_owner(sheet.actor)
        ):
            sheet.error(row, "owner", "only a manager or an administrator may change an owner")
            continue
        result = _call(
            sheet, row, "code", opportunity_upsert,
            actor=sheet.actor, code=code, customer=customer, name=row["name"], owner=owner,
            value=row.get("value"), expected_close=row.get("expected_close"),
            stage=row.get("stage"), source=row.get("source", ""), need=row.get("need"),
            budget=row.get("budget"), decision_maker_known=row.get("decision_maker_known"),
            factors={column: row[column] for column in FACTOR_COLUMNS if column in row.values},
        )  # fmt: skip
        if result is None:
            continue
        opportunities[code], outcome = result
        sheet.counts[outcome] += 1


def _hidden_codes(sheet: SheetRun, rows: list[Row], visible: dict) -> set[str]:
    """Codes of the rows that name a stored opportunity the acting user may not see."""
    if sheet.actor is None:
        return set()
    unseen = {row["code"] for row in rows} - visible.keys()
    if not unseen:
        return set()
    return set(Opportunity.objects.filter(code__in=unseen).values_list("code", flat=True))


# Visits -------------------------------------------------------------------------------

# A visit service names the commitment's parts; the sheet reads them from these columns.
COMMITMENT_ALIASES = {
    "commitment": "next_step",
    "commitment_what": "next_step",
    "commitment_due": "next_step_due",
    "commitment_who": "customer",
    "commitment_contact": "customer",
}
ADVANCE_NEEDS = "an advance records its commitment: next_step and next_step_due"


class _Stored:
    """A stored visit and what its commitment holds, as the batch knows them."""

    def __init__(self, visit: Visit, commitment: CommitmentIn | None):
        self.visit = visit
        self.commitment = commitment


def apply_visits(sheet: SheetRun, rows: list[Row]) -> None:
    customers = fetch(sheet, CUSTOMERS, rows, "customer")
    users = fetch(sheet, USERS, rows, "salesperson")
    stored = _stored_visits(rows, customers, users)
    deciders = _decision_makers(rows, customers)
    for row in rows:
        customer = resolve(sheet, row, "customer", CUSTOMERS, customers)
        salesperson = resolve(sheet, row, "salesperson", USERS, users)
        advance = row["outcome"] == Outcome.ADVANCE
        if advance:
            for column in ("next_step", "next_step_due"):
                if column not in row.values:
                    sheet.error(row, column, ADVANCE_NEEDS)
        if row.failed:
            continue
        key = (customer.pk, salesperson.pk, row["date"])
        found = stored.get(key)
        values = {"outcome": row["outcome"], **stated(row, "next_step", "next_step_due", "notes")}
        if advance:
            values["commitment"] = _commitment(row, customer, found, deciders)
        try:
            diff = _visit_changes(found, values)
        except ValidationError as exc:
            sheet.errors_from(row, exc, "outcome", COMMITMENT_ALIASES)
            continue
        label = f"visit at customer {customer.code} by {salesperson.username} on {row['date']}"
        if settled(sheet, row, key, label, found, diff):
            continue
        result = _call(
            sheet, row, "salesperson", visit_upsert, aliases=COMMITMENT_ALIASES,
            actor=sheet.actor, customer=customer, date=row["date"], salesperson=salesperson,
            outcome=row["outcome"], next_step=values.get("next_step", KEEP),
            next_step_due=values.get("next_step_due", KEEP), notes=values.get("notes", KEEP),
            commitment=values.get("commitment", KEEP),
        )  # fmt: skip
        if result is None:
            continue
        visit, created = result
        if not created:
            visit.refresh_from_db()  # the service updated its own copy
        # What is stored now; a visit that stopped being an advance lost its commitment.
        stored[key] = _Stored(visit, values.get("commitment"))
        sheet.counts["created" if created else "updated"] += 1


def _stored_visits(rows: list[Row], customers: dict, users: dict) -> dict:
    """{(customer id, salesperson id, date): _Stored} of the batch's stored visits, with
    their commitments, in one query."""
    if not customers or not users:
        return {}
    visits = Visit.objects.select_related("customer", "commitment__contact").filter(
        customer__in=list(customers.values()),
        salesperson__in=list(users.values()),
        date__in={row["date"] for row in rows},
    )
    found = {}
    for visit in visits:
        try:
            commitment = visit.commitment
        except ObjectDoesNotExist:
            wanted = None
        else:
            wanted = CommitmentIn(
                what=commitment.what, due=commitment.due, who=commitment.who,
                contact=commitment.contact,
            )  # fmt: skip
        found[(visit.customer_id, visit.salesperson_id, visit.date)] = _Stored(visit, wanted)
    return found


def _decision_makers(rows: list[Row], customers: dict) -> dict:
    """{customer id: Contact} for the customers of the batch's advance rows: the contact
    with the role decision maker, else one with decision authority (the first by name).
    One query."""
    wanted = {
        customers[row["customer"]].pk
        for row in rows
        if row["outcome"] == Outcome.ADVANCE and row["customer"] in customers
    }
    if not wanted:
        return {}
    candidates = Contact.objects.filter(customer_id__in=wanted).filter(
        Q(role=BuyingRole.DECISION_MAKER) | Q(decision_authority=True)
    )
    found: dict = {}
    for contact in sorted(
        candidates,
        key=lambda c: (c.role != BuyingRole.DECISION_MAKER, not c.decision_authority, c.name),
    ):
        found.setdefault(contact.customer_id, contact)
    return found


def _commitment(row: Row, customer, found: _Stored | None, deciders: dict) -> CommitmentIn:
    """An advance's commitment from its row: next_step is what, next_step_due by when.
    Who: a stored commitment keeps its who (a correction made in the UI survives a
    re-import); a new one names the customer's decision maker, or the customer itself
    when no decision maker is recorded."""
    if found is not None and found.commitment is not None:
        who, contact = found.commitment.who, found.commitment.contact
    else:
        contact = deciders.get(customer.pk)
        who = contact.name if contact is not None else customer.name[: COMMITMENT_LIMITS["who"]]
    return CommitmentIn(what=row["next_step"], due=row["next_step_due"], who=who, contact=contact)


def _visit_changes(found: _Stored | None, values: dict) -> dict:
    """The stated values that differ from the stored visit (all of them when new), by
    the columns they come from; raises ValidationError as the service would."""
    if found is None:
        return dict(values)
    plain = {field: value for field, value in values.items() if field != "commitment"}
    diff = {field: values[field] for field in visit_differences(found.visit, plain)}
    wanted = values.get("commitment")
    if wanted is not None:
        have = found.commitment
        if have is None or have.what != wanted.what:
            diff["next_step"] = values["next_step"]
        if have is None or have.due != wanted.due:
            diff["next_step_due"] = values["next_step_due"]
    return diff


# Calling a service ----------------------------------------------------------------------


def _call(sheet: SheetRun, row: Row, default_column: str, service, /, aliases=None, **kwargs):
    """Call a service; a refusal becomes error lines on the row and the result None."""
    try:
        return service(**kwargs)
    except ValidationError as exc:
        sheet.errors_from(row, exc, default_column, aliases)
    except (PermissionDenied, ServiceError, Conflict) as exc:
        sheet.error(row, default_column, str(exc))
    return None
