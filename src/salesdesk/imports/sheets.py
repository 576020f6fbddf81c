"""The workbook's sheets, in load order (FORMATS.md "Workbook"; docs/import.md).

Adding a sheet is one `SheetSpec` here plus its apply function. A row may refer to rows
of the sheets above it, so the order matters.
"""

from salesdesk.core.access import PERMISSIONS, Action
from salesdesk.core.choices import Role
from salesdesk.core.models import Plant, User
from salesdesk.customers.choices import (
    BuyingRole,
    CreditRating,
    CustomerStatus,
    LeadSource,
    ProjectStatus,
    Tier,
)
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.imports import activity_rows, ledger_rows, master
from salesdesk.imports import parsers as p
from salesdesk.imports.spec import Column, SheetSpec
from salesdesk.ledger.choices import PaymentMethod
from salesdesk.ledger.models import Delivery, Expense, Invoice, Payment, Product
from salesdesk.ledger.services import CATALOGUE_EDITORS, POSTERS
from salesdesk.pipeline.choices import FACTOR_NUMBERS, Stage
from salesdesk.pipeline.models import Opportunity
from salesdesk.visits.choices import Outcome
from salesdesk.visits.services import TEXT_LIMITS


def length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


# A visit's notes are unlimited text; a cell holds at most this much (Excel's limit).
NOTES_LENGTH = 32767

# Plants and users have no permission check in their services: only an administrator
# may create accounts and grant roles. The archive and the ledger take their services'
# own rules.
ADMIN = (Role.ADMIN,)

SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(
        name="plants",
        noun="plant",
        columns=(
            Column("code", p.code(length(Plant, "code")), required=True),
            Column("name", p.name(length(Plant, "name")), required=True),
        ),
        key=("code",),
        apply=master.apply_plants,
        roles=ADMIN,
    ),
    SheetSpec(
        name="products",
        noun="product",
        columns=(
            Column("code", p.code(length(Product, "code")), required=True),
            Column("name", p.name(length(Product, "name")), required=True),
            Column("unit", p.text(length(Product, "unit"))),
            Column("grade", p.text(length(Product, "grade"))),
        ),
        key=("code",),
        apply=master.apply_products,
        roles=CATALOGUE_EDITORS,
    ),
    SheetSpec(
        name="users",
        noun="user",
        columns=(
            Column("username", p.username, required=True),
            Column("name", p.name(length(User, "name")), required=True),
            Column("roles", p.choice_list(Role.values), required=True),
            Column("manager", p.text(150)),
            Column("plant", p.text(length(Plant, "code"))),
            Column("email", p.email),
        ),
        key=("username",),
        apply=master.apply_users,
        roles=ADMIN,
    ),
    SheetSpec(
        name="customers",
        noun="customer",
        columns=(
            Column("code", p.code(length(Customer, "code")), required=True),
            Column("name", p.name(length(Customer, "name")), required=True),
            Column("credit_code", p.credit_code),
            Column("industry", p.text(length(Customer, "industry"))),
            Column("region", p.text(length(Customer, "region"))),
            Column("address", p.text(length(Customer, "address"))),
            Column("owner", p.text(150), required=True),
            Column("source", p.choice(LeadSource.values)),
            Column("credit_rating", p.choice(CreditRating.values)),
            Column("business_score", p.integer(0, 100)),
            Column("status", p.choice(CustomerStatus.values)),
            Column("tier", p.choice(Tier.values)),
            Column("tier_locked", p.yes_no),
        ),
        key=("code",),
        apply=master.apply_customers,
        roles=PERMISSIONS[Action.ARCHIVE_EDIT],
    ),
    SheetSpec(
        name="contacts",
        noun="contact",
        columns=(
            Column("customer", p.text(length(Customer, "code")), required=True),
            Column("name", p.name(length(Contact, "name")), required=True),
            Column("title", p.text(length(Contact, "title"))),
            Column("phone", p.text(length(Contact, "phone"))),
            Column("email", p.email),
            Column("role", p.choice(BuyingRole.values)),
            Column("decision_authority", p.yes_no),
        ),
        key=("customer", "name"),
        apply=master.apply_contacts,
        roles=PERMISSIONS[Action.ARCHIVE_EDIT],
    ),
    SheetSpec(
        name="projects",
        noun="project",
        columns=(
            Column("code", p.code(length(Project, "code")), required=True),
            Column("customer", p.text(length(Customer, "code")), required=True),
            Column("name", p.name(length(Project, "name")), required=True),
            Column("plant", p.text(length(Plant, "code"))),
            Column("owner", p.text(150)),
            Column("contract_no", p.text(length(Project, "contract_no"))),
            Column("payment_terms_days", p.integer(0, 3650)),
            Column("credit_limit", p.decimal(2, minimum=0)),
            Column("status", p.choice(ProjectStatus.values)),
            Column("started_on", p.date),
            Column("completed_on", p.date),
        ),
        key=("code",),
        apply=master.apply_projects,
        roles=PERMISSIONS[Action.ARCHIVE_EDIT],
    ),
    SheetSpec(
        name="deliveries",
        noun="delivery",
        columns=(
            Column("ticket", p.text(length(Delivery, "ticket")), required=True),
            Column("project", p.text(length(Project, "code")), required=True),
            Column("date", p.date, required=True),
            Column("product", p.name(length(Product, "name")), required=True),
            Column("quantity", p.quantity, required=True),
            Column("unit", p.text(length(Delivery, "unit"))),
            Column("unit_price", p.amount, required=True),
            Column("plant", p.text(length(Plant, "code"))),
        ),
        key=("ticket",),
        apply=ledger_rows.apply_deliveries,
        roles=POSTERS[Delivery],
    ),
    SheetSpec(
        name="invoices",
        noun="invoice",
        columns=(
            Column("number", p.text(length(Invoice, "number")), required=True),
            Column("project", p.text(length(Project, "code")), required=True),
            Column("date", p.date, required=True),
            Column("due_date", p.date),
            Column("amount", p.amount, required=True),
        ),
        key=("number",),
        apply=ledger_rows.apply_invoices,
        roles=POSTERS[Invoice],
    ),
    SheetSpec(
        name="payments",
        noun="payment",
        columns=(
            Column("reference", p.text(length(Payment, "reference")), required=True),
            Column("project", p.text(length(Project, "code")), required=True),
            Column("date", p.date, required=True),
            Column("amount", p.amount, required=True),
            Column("method", p.choice(PaymentMethod.values)),
        ),
        key=("reference",),
        apply=ledger_rows.apply_payments,
        roles=POSTERS[Payment],
    ),
    SheetSpec(
        name="expenses",
        noun="expense",
        columns=(
            Column("reference", p.text(length(Expense, "reference")), required=True),
            Column("salesperson", p.text(150), required=True),
            Column("project", p.text(length(Project, "code"))),
            Column("date", p.date, required=True),
            Column("amount", p.amount, required=True),
            Column("category", p.text(length(Expense, "category"))),
        ),
        key=("reference",),
        apply=ledger_rows.apply_expenses,
        roles=POSTERS[Expense],
    ),
    SheetSpec(
        name="opportunities",
        noun="opportunity",
        columns=(
            Column("code", p.code(length(Opportunity, "code")), required=True),
            Column("customer", p.text(length(Customer, "code")), required=True),
            Column("name", p.name(length(Opportunity, "name")), required=True),
            Column("owner", p.text(150)),
            # What the pipeline takes: below 10^13 (pipeline.values.MAX_VALUE), 2 places.
            Column("value", p.decimal(2, digits=15, minimum=0)),
            Column("expected_close", p.date),
            Column("stage", p.choice(Stage.values)),
            Column("source", p.choice(LeadSource.values)),
            Column("need", p.yes_no),
            Column("budget", p.yes_no),
            Column("decision_maker_known", p.yes_no),
            *(Column(f"f{number}", p.integer(1, 5)) for number in FACTOR_NUMBERS),
        ),
        key=("code",),
        apply=activity_rows.apply_opportunities,
        roles=PERMISSIONS[Action.OPPORTUNITY_CREATE],
    ),
    SheetSpec(
        name="visits",
        noun="visit",
        columns=(
            Column("customer", p.text(length(Customer, "code")), required=True),
            Column("date", p.date, required=True),
            Column("salesperson", p.text(150), required=True),
            Column("outcome", p.choice(Outcome.values), required=True),
            Column("next_step", p.name(TEXT_LIMITS["next_step"])),
            Column("next_step_due", p.date),
            Column("notes", p.text(NOTES_LENGTH)),
        ),
        key=("customer", "salesperson", "date"),
        apply=activity_rows.apply_visits,
        roles=PERMISSIONS[Action.VISIT_LOG],
    ),
)

SHEETS_BY_NAME = {spec.name: spec for spec in SHEETS}

# Sheets of the workbook format that a later version loads: skipped with a warning, so
# a complete workbook imports today and again, unchanged, once they are supported.
# Every sheet of FORMATS.md is loaded today.
LATER_SHEETS: tuple[str, ...] = ()
