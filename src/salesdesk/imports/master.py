"""Applying master-data rows: plants, users, customers, contacts, projects.

Each row goes through the same service the UI uses, so validation, permissions and
audit entries are the UI's. A stored record is compared first and the service is called
only for what differs: an unchanged row costs no write and leaves no audit entry.

A blank cell means "not stated": on a new record the default applies, on a stored one
the stored value stays. An import never erases data.
"""

from django.core.exceptions import PermissionDenied, ValidationError

from salesdesk.core.errors import Conflict, ServiceError
from salesdesk.core.models import User
from salesdesk.core.services import plant_upsert, user_upsert
from salesdesk.customers.models import Contact
from salesdesk.customers.services import (
    contact_upsert,
    customer_create,
    customer_set_tier,
    customer_update,
    default_payment_terms,
    project_create,
    project_update,
)
from salesdesk.imports.references import CUSTOMERS, PLANTS, PROJECTS, USERS, fetch, resolve
from salesdesk.imports.spec import Row, SheetRun
from salesdesk.ledger.models import Product
from salesdesk.ledger.services import differing_fields, product_create, product_update

TIER_LOCK_REASON = "Locked by workbook import"


def call_service(sheet: SheetRun, row: Row, default_column: str, service, /, **kwargs):
    """Call a service; a refusal becomes error lines on the row (check `row.failed`)."""
    try:
        return service(**kwargs)
    except ValidationError as exc:
        sheet.errors_from(row, exc, default_column)
    except (PermissionDenied, ServiceError, Conflict) as exc:
        sheet.error(row, default_column, str(exc))
    return None


def stated(row: Row, *columns: str) -> dict:
    return {column: row[column] for column in columns if column in row.values}


def changes(record, values: dict) -> dict:
    """The stated values that differ from the stored record (all of them when new)."""
    if record is None:
        return dict(values)
    return {field: values[field] for field in differing_fields(record, values)}


def settled(sheet: SheetRun, row: Row, key, label: str, record, diff: dict) -> bool:
    """True when the row needs no write: its key was on an earlier row of this file, or
    the stored record already holds every stated value. Counts or reports the row."""
    first = sheet.seen.get(key)
    if first is None:
        sheet.seen[key] = row.number
        if record is not None and not diff:
            sheet.unchanged()
            return True
        return False
    # The earlier row is stored by now, so "the same content" means "nothing differs".
    if record is None:
        return True  # the earlier row failed and has its own error lines
    for column in diff:
        sheet.error(
            row, column, f"{label} is already on row {first} with a different {_words(column)}"
        )
    if not diff:
        sheet.unchanged()
    return True


def _words(column: str) -> str:
    return column.replace("_", " ")


def count_saved(sheet: SheetRun, row: Row, record) -> bool:
    """After a write: count it as created (no stored `record`) or updated. False when the
    service refused the row."""
    if row.failed:
        return False
    if record is None:
        sheet.created()
    else:
        sheet.updated()
    return True


# Plants -------------------------------------------------------------------------------


def apply_plants(sheet: SheetRun, rows: list[Row]) -> None:
    plants = fetch(sheet, PLANTS, rows, "code")
    for row in rows:
        code = row["code"]
        plant = plants.get(code)
        diff = changes(plant, {"name": row["name"]})
        if settled(sheet, row, code, f"plant {code}", plant, diff):
            continue
        result = call_service(
            sheet, row, "name", plant_upsert, code=code, name=row["name"], actor=sheet.actor
        )
        if count_saved(sheet, row, plant):
            plants[code] = result[0]


# Products -----------------------------------------------------------------------------


def apply_products(sheet: SheetRun, rows: list[Row]) -> None:
    """The product catalogue: a known code is updated with the stated name, unit, grade."""
    products = Product.objects.in_bulk({row["code"] for row in rows}, field_name="code")
    for row in rows:
        code = row["code"]
        product = products.get(code)
        diff = changes(product, stated(row, "name", "unit", "grade"))
        if settled(sheet, row, code, f"product {code}", product, diff):
            continue
        if product is None:
            result = call_service(
                sheet, row, "name", product_create, actor=sheet.actor, code=code,
                **stated(row, "name", "unit", "grade"),
            )  # fmt: skip
            result = result[0] if result else None
        else:
            values = {f: getattr(product, f) for f in ("name", "unit", "grade")} | diff
            result = call_service(
                sheet, row, "name", product_update, actor=sheet.actor, product=product, **values
            )
        if count_saved(sheet, row, product):
            products[code] = result
            # The deliveries below look products up afresh.
            sheet.run.cache.pop("products", None)


# Users --------------------------------------------------------------------------------


def apply_users(sheet: SheetRun, rows: list[Row]) -> None:
    # Managers are users too: one query finds the rows' users and their managers, and
    # users created by this batch join the dict, so a manager may be on an earlier row.
    usernames = {row[c] for row in rows for c in ("username", "manager") if c in row.values}
    users = (
        User.objects.select_related("manager", "plant")
        .prefetch_related("role_set")
        .in_bulk(usernames, field_name="username")
    )
    plants = fetch(sheet, PLANTS, rows, "plant")
    for row in rows:
        username = row["username"]
        if row.get("manager") == username:
            sheet.error(row, "manager", "a user cannot be their own manager")
        manager = resolve(sheet, row, "manager", USERS, users)
        plant = resolve(sheet, row, "plant", PLANTS, plants)
        if row.failed:
            continue
        user = users.get(username)
        values = stated(row, "name", "email")
        if manager is not None:
            values["manager"] = manager
        if plant is not None:
            values["plant"] = plant
        diff = changes(user, values)
        if user is None or sorted(r.role for r in user.role_set.all()) != list(row["roles"]):
            diff["roles"] = row["roles"]
        if settled(sheet, row, username, f"user {username}", user, diff):
            continue
        # user_upsert sets every field, so the unstated ones keep their stored values.
        merged = {"manager": None, "plant": None, "email": ""}
        if user is not None:
            merged = {"manager": user.manager, "plant": user.plant, "email": user.email}
        merged |= values
        result = call_service(
            sheet, row, "roles", user_upsert,
            username=username, roles=row["roles"], actor=sheet.actor, **merged,
        )  # fmt: skip
        if count_saved(sheet, row, user):
            users[username] = result[0]


# Customers ----------------------------------------------------------------------------

CUSTOMER_COLUMNS = (
    "name", "credit_code", "industry", "region", "address", "source", "credit_rating",
    "business_score", "status", "tier", "tier_locked",
)  # fmt: skip


def apply_customers(sheet: SheetRun, rows: list[Row]) -> None:
    customers = fetch(sheet, CUSTOMERS, rows, "code")
    users = fetch(sheet, USERS, rows, "owner")
    for row in rows:
        code = row["code"]
        owner = resolve(sheet, row, "owner", USERS, users)
        customer = customers.get(code)
        tier = row.get("tier", customer.tier if customer else "")
        locked = row.get("tier_locked", customer.tier_locked if customer else False)
        if locked and not tier:
            sheet.error(row, "tier_locked", "a locked tier needs a tier")
        if row.failed:
            continue
        diff = changes(customer, stated(row, *CUSTOMER_COLUMNS) | {"owner": owner})
        if settled(sheet, row, code, f"customer {code}", customer, diff):
            continue
        if customer is None:
            customer = call_service(
                sheet, row, "code", customer_create, actor=sheet.actor, code=code, **diff
            )
            if count_saved(sheet, row, None):
                customers[code] = customer
            continue
        # Details (and the owner) change through customer_update, the tier by hand
        # through customer_set_tier: the same two steps as in the UI.
        details = {k: v for k, v in diff.items() if k not in ("tier", "tier_locked")}
        if details:
            call_service(
                sheet, row, "name", customer_update, actor=sheet.actor, customer=customer, **details
            )
        if not row.failed and ("tier" in diff or "tier_locked" in diff):
            call_service(
                sheet, row, "tier", customer_set_tier,
                actor=sheet.actor, customer=customer, tier=tier, locked=locked,
                reason=TIER_LOCK_REASON if locked else "",
            )  # fmt: skip
        count_saved(sheet, row, customer)


# Contacts -----------------------------------------------------------------------------

CONTACT_COLUMNS = ("title", "phone", "email", "role", "decision_authority")


def apply_contacts(sheet: SheetRun, rows: list[Row]) -> None:
    customers = fetch(sheet, CUSTOMERS, rows, "customer")
    contacts = {
        (contact.customer_id, contact.name): contact
        for contact in Contact.objects.filter(customer__in=list(customers.values()))
    }
    for row in rows:
        customer = resolve(sheet, row, "customer", CUSTOMERS, customers)
        if row.failed:
            continue
        name = row["name"]
        contact = contacts.get((customer.pk, name))
        diff = changes(contact, stated(row, *CONTACT_COLUMNS))
        label = f"contact {name} of customer {customer.code}"
        if settled(sheet, row, (customer.code, name), label, contact, diff):
            continue
        result = call_service(
            sheet, row, "name", contact_upsert,
            actor=sheet.actor, customer=customer, name=name, **diff,
        )  # fmt: skip
        if count_saved(sheet, row, contact):
            contacts[(customer.pk, name)] = result[0]


# Projects -----------------------------------------------------------------------------

PROJECT_COLUMNS = (
    "name", "contract_no", "payment_terms_days", "credit_limit", "status", "started_on",
    "completed_on",
)  # fmt: skip


def tier_payment_terms(sheet: SheetRun, customer) -> int:
    # default_payment_terms reads and parses the whole policy: do it once per tier and
    # import, not once per project.
    cache_key = ("payment_terms_days", customer.tier)
    if cache_key not in sheet.run.cache:
        sheet.run.cache[cache_key] = default_payment_terms(customer)
    return sheet.run.cache[cache_key]


def apply_projects(sheet: SheetRun, rows: list[Row]) -> None:
    projects = fetch(sheet, PROJECTS, rows, "code", select_related=("customer",))
    customers = fetch(sheet, CUSTOMERS, rows, "customer")
    users = fetch(sheet, USERS, rows, "owner")
    plants = fetch(sheet, PLANTS, rows, "plant")
    for row in rows:
        code = row["code"]
        project = projects.get(code)
        customer = resolve(sheet, row, "customer", CUSTOMERS, customers)
        owner = resolve(sheet, row, "owner", USERS, users)
        plant = resolve(sheet, row, "plant", PLANTS, plants)
        if project is not None and customer is not None and project.customer_id != customer.pk:
            sheet.error(
                row,
                "customer",
                f"project {code} belongs to customer {project.customer.code}; "
                "a project cannot move to another customer",
            )
        # The service compares the two dates only when both are given; a stored one counts.
        started = row.get("started_on", project.started_on if project else None)
        completed = row.get("completed_on", project.completed_on if project else None)
        if started and completed and completed < started:
            sheet.error(row, "completed_on", "a project cannot complete before it starts")
        if row.failed:
            continue
        values = stated(row, *PROJECT_COLUMNS)
        if owner is not None:
            values["owner"] = owner
        if plant is not None:
            values["plant"] = plant
        diff = changes(project, values)
        if settled(sheet, row, code, f"project {code}", project, diff):
            continue
        if project is None:
            # A blank owner is the customer's owner (the service's default); blank payment
            # terms are those of the customer's tier policy.
            diff.setdefault("payment_terms_days", tier_payment_terms(sheet, customer))
            project = call_service(
                sheet, row, "code", project_create,
                actor=sheet.actor, customer=customer, code=code, **diff,
            )  # fmt: skip
            if count_saved(sheet, row, None):
                projects[code] = project
            continue
        call_service(sheet, row, "name", project_update, actor=sheet.actor, project=project, **diff)
        count_saved(sheet, row, project)
