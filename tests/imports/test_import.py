"""`salesdesk import`: what a workbook creates, re-imports, errors, dry runs, defaults."""

import datetime as dt
import io
from decimal import Decimal

from django.core.management import call_command

from salesdesk.core.models import AuditEntry, Plant, User
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.imports.models import ImportRun
from salesdesk.ledger.models import Delivery, Expense, Invoice, Payment, Product
from tests.factories import CustomerFactory
from tests.imports.builders import base_sheets, run_import

MODELS = (Plant, User, Customer, Contact, Project, Delivery, Invoice, Payment, Expense)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (*MODELS, AuditEntry, ImportRun)}


def test_it_imports_a_full_workbook(db, workbook):
    outcome = run_import(workbook())

    assert outcome.code == 0, outcome.err
    assert outcome.err == ""
    assert outcome.out_lines == [
        "plants: 2 created, 0 updated, 0 unchanged",
        "users: 3 created, 0 updated, 0 unchanged",
        "customers: 3 created, 0 updated, 0 unchanged",
        "contacts: 2 created, 0 updated, 0 unchanged",
        "projects: 3 created, 0 updated, 0 unchanged",
        "deliveries: 2 created, 0 updated, 0 unchanged",
        "invoices: 3 created, 0 updated, 0 unchanged",
        "payments: 2 created, 0 updated, 0 unchanged",
        "expenses: 2 created, 0 updated, 0 unchanged",
        "imported 22 rows: 22 created, 0 updated, 0 unchanged",
    ]
    mgr = User.objects.get(username="mgr")
    assert mgr.roles == {"manager", "sales"}  # the Chinese comma separates roles too
    assert mgr.plant.code == "PL01"
    assert User.objects.get(username="s1").manager == mgr
    c1 = Customer.objects.get(code="C1")
    assert (c1.name, c1.owner.username, c1.tier, c1.credit_rating) == (
        "华东建工有限公司", "s1", "strategic", "A",
    )  # fmt: skip
    assert c1.business_score == 80
    assert Customer.objects.get(code="C2").credit_rating == "B"
    assert Contact.objects.get(name="张伟").decision_authority is True
    assert Contact.objects.get(name="刘洋").decision_authority is False
    delivery = Delivery.objects.get(ticket="T1")
    assert (delivery.quantity, delivery.unit, delivery.amount) == (
        Decimal("10.5"), "m3", Decimal("4410.00"),
    )  # fmt: skip
    assert Invoice.objects.get(number="INV-2").due_date == dt.date(2025, 2, 28)
    assert Payment.objects.get(reference="PAY-2").method == "bill"
    expense = Expense.objects.get(reference="EXP-2")
    assert (expense.salesperson.username, expense.project, expense.amount) == (
        "s2", None, Decimal("80"),
    )  # fmt: skip


def test_it_records_one_audit_entry_and_a_history_row_per_import(db, workbook, people):
    run_import(workbook(), "--as-user", "admin")

    entry = AuditEntry.objects.get(action="import")
    assert entry.actor == people.admin
    assert entry.changes["invoices"] == [None, "3 created, 0 updated, 0 unchanged"]
    run = ImportRun.objects.get()
    assert (run.source, run.actor, run.rows, run.created) == ("book.xlsx", people.admin, 22, 22)
    assert run.counts["customers"] == {"created": 3, "updated": 0, "unchanged": 0}


def test_it_changes_nothing_when_the_same_workbook_is_imported_again(db, workbook):
    path = workbook()
    run_import(path)
    before = counts()
    stamps = list(Customer.objects.order_by("pk").values_list("updated_at", flat=True))

    outcome = run_import(path)

    assert outcome.code == 0
    assert outcome.out_lines[-1] == "nothing changed: 22 rows already up to date"
    assert "customers: 0 created, 0 updated, 3 unchanged" in outcome.out_lines
    assert counts() == before  # no audit entry, no history row either
    assert list(Customer.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps


def test_it_reports_every_error_with_sheet_row_and_column_and_writes_nothing(db, workbook):
    sheets = base_sheets()
    sheets["users"].append(["s9", "新人", "sales,boss", None, None, None])  # row 5: a role
    sheets["customers"][2][2] = "91310115MA1K4ABCDE"  # row 3 (C2): bad credit code
    sheets["customers"][3][3] = "nobody"  # row 4 (C3): unknown owner
    sheets["projects"][3][1] = "C9"  # row 4 (P3): unknown customer
    sheets["deliveries"][1][4] = None  # row 2: quantity missing
    sheets["invoices"][2][4] = "12.345"  # row 3: three decimals
    sheets["payments"][1][2] = "2025/02/15"  # row 2: not YYYY-MM-DD
    before = counts()

    outcome = run_import(workbook(sheets))

    assert outcome.code == 2
    assert outcome.err_lines == [
        "sheet users row 5 column roles: 'boss' is not one of: sales, manager, marketing, "
        "finance, supply, legal, admin",
        "sheet customers row 3 column credit_code: '91310115MA1K4ABCDE' is not a valid "
        "unified social credit code: check character does not match",
        "sheet customers row 4 column owner: unknown user nobody",
        # A reference to a row with errors names the cause instead of "unknown".
        "sheet projects row 3 column customer: customer C2 was not imported: "
        "see the errors on sheet customers",
        "sheet projects row 4 column customer: unknown customer C9",
        "sheet deliveries row 2 column quantity: a value is required",
        "sheet deliveries row 3 column project: project P2 was not imported: "
        "see the errors on sheet projects",
        "sheet invoices row 3 column amount: '12.345' has more than 2 decimal places",
        "sheet invoices row 4 column project: project P3 was not imported: "
        "see the errors on sheet projects",
        "sheet payments row 2 column date: '2025/02/15' is not a date (YYYY-MM-DD)",
        "sheet payments row 3 column project: project P2 was not imported: "
        "see the errors on sheet projects",
        "import failed: 11 errors; nothing was written",
    ]
    assert outcome.out == ""
    assert counts() == before


def test_it_validates_without_writing_on_a_dry_run(db, workbook):
    before = counts()

    outcome = run_import(workbook(), "--dry-run")

    assert outcome.code == 0
    assert outcome.out_lines[-1] == (
        "dry run: no errors in 22 rows (22 to create, 0 to update, 0 unchanged); "
        "nothing was written"
    )
    assert counts() == before


def test_it_reports_errors_on_a_dry_run_with_exit_code_2(db, workbook):
    sheets = base_sheets("plants")
    sheets["plants"].append(["PL03", None])

    outcome = run_import(workbook(sheets), "--dry-run")

    assert outcome.code == 2
    assert outcome.err_lines[0] == "sheet plants row 4 column name: a value is required"


def test_it_rejects_an_unknown_column(db, workbook):
    sheets = base_sheets("plants")
    sheets["plants"][0].append("colour")
    sheets["plants"][1].append("red")

    outcome = run_import(workbook(sheets))

    assert outcome.code == 2
    assert outcome.err_lines[0] == (
        "sheet plants row 1 column colour: unknown column (the columns are: code, name)"
    )
    assert Plant.objects.count() == 0


def test_it_rejects_a_missing_required_column(db, workbook):
    sheets = base_sheets("plants", "users")
    for row in sheets["users"]:
        del row[2]  # roles

    outcome = run_import(workbook(sheets))

    assert outcome.code == 2
    assert outcome.err_lines == [
        "sheet users row 1 column roles: required column is missing",
        "import failed: 1 error; nothing was written",
    ]
    assert Plant.objects.count() == 0


def test_it_accepts_columns_in_any_order_and_headers_in_any_case(db, workbook):
    sheets = {"plants": [[" Name ", "CODE*"], ["一号站", "PL01"]]}

    outcome = run_import(workbook(sheets))

    assert outcome.code == 0, outcome.err
    assert Plant.objects.get(code="PL01").name == "一号站"


def test_it_rejects_a_reference_to_nothing(db, workbook):
    sheets = base_sheets("plants", "users", "customers", "projects")
    sheets["projects"][1][3] = "PL09"

    outcome = run_import(workbook(sheets))

    assert outcome.code == 2
    assert outcome.err_lines[0] == "sheet projects row 2 column plant: unknown plant PL09"
    assert Project.objects.count() == 0


def test_it_refers_to_records_stored_by_an_earlier_import(db, workbook):
    run_import(workbook(base_sheets("plants", "users", "customers", "projects"), "master.xlsx"))

    outcome = run_import(workbook(base_sheets("invoices"), "invoices.xlsx"))

    assert outcome.code == 0, outcome.err
    assert Invoice.objects.count() == 3


def test_it_rejects_a_posted_record_with_different_content(db, workbook):
    run_import(workbook())
    sheets = base_sheets()
    sheets["invoices"][1][4] = "4500.00"  # INV-1, row 2
    sheets["payments"][2][1] = "P1"  # PAY-2, row 3
    sheets["payments"][2][4] = "bank"
    before = counts()

    outcome = run_import(workbook(sheets, "changed.xlsx"))

    assert outcome.code == 2
    assert outcome.err_lines == [
        "sheet invoices row 2 column amount: invoice INV-1 is already posted with a "
        "different amount",
        "sheet payments row 3 column project: payment PAY-2 is already posted with a "
        "different project",
        "sheet payments row 3 column method: payment PAY-2 is already posted with a "
        "different method",
        "import failed: 3 errors; nothing was written",
    ]
    assert counts() == before
    assert Invoice.objects.get(number="INV-1").amount == Decimal("4410.00")


def test_it_reports_a_changed_delivery_on_its_source_columns(db, workbook):
    run_import(workbook())
    sheets = base_sheets()
    sheets["deliveries"][1][4] = "11"  # quantity: the amount changes with it

    outcome = run_import(workbook(sheets, "changed.xlsx"))

    assert outcome.err_lines[:-1] == [
        "sheet deliveries row 2 column quantity: delivery T1 is already posted with a "
        "different quantity"
    ]


def test_it_skips_a_key_repeated_in_the_file_with_the_same_content(db, workbook):
    sheets = base_sheets()
    sheets["invoices"].append(list(sheets["invoices"][1]))
    sheets["customers"].append(list(sheets["customers"][1]))

    outcome = run_import(workbook(sheets))

    assert outcome.code == 0, outcome.err
    assert "invoices: 3 created, 0 updated, 1 unchanged" in outcome.out_lines
    assert "customers: 3 created, 0 updated, 1 unchanged" in outcome.out_lines
    assert Invoice.objects.count() == 3


def test_it_rejects_a_key_repeated_in_the_file_with_different_content(db, workbook):
    sheets = base_sheets()
    sheets["invoices"].append(["INV-1", "P1", "2025-01-31", None, "1.00"])  # row 5
    sheets["customers"].append(["C1", "另一个名字有限公司", None, "s1", None, None, None])  # row 5

    outcome = run_import(workbook(sheets))

    assert outcome.code == 2
    assert outcome.err_lines[:-1] == [
        "sheet customers row 5 column name: customer C1 is already on row 2 with a different name",
        "sheet invoices row 5 column amount: invoice INV-1 is already on row 2 with a "
        "different amount",
    ]


def test_it_rejects_a_repeated_key_in_a_later_batch_as_an_earlier_row(db, workbook, monkeypatch):
    monkeypatch.setattr("salesdesk.imports.runner.BATCH_SIZE", 2)
    sheets = base_sheets()
    sheets["payments"].append(["PAY-1", "P1", "2025-02-15", "99", None])  # row 4, batch 2

    outcome = run_import(workbook(sheets))

    assert outcome.err_lines[:-1] == [
        "sheet payments row 4 column amount: payment PAY-1 is already on an earlier row "
        "with a different amount"
    ]


def test_it_updates_master_data_on_reimport(db, workbook):
    run_import(workbook())
    sheets = base_sheets()
    sheets["customers"][1][1] = "华东建工集团有限公司"
    sheets["users"][2][1] = "李明"

    outcome = run_import(workbook(sheets, "renamed.xlsx"))

    assert outcome.code == 0, outcome.err
    assert "customers: 0 created, 1 updated, 2 unchanged" in outcome.out_lines
    assert "users: 0 created, 1 updated, 2 unchanged" in outcome.out_lines
    assert outcome.out_lines[-1] == "imported 22 rows: 0 created, 2 updated, 20 unchanged"
    customer = Customer.objects.get(code="C1")
    assert customer.name == "华东建工集团有限公司"
    entry = AuditEntry.objects.get(action="update", object_type="customers.customer")
    assert entry.changes == {"name": ["华东建工有限公司", "华东建工集团有限公司"]}


def test_it_leaves_stored_values_alone_where_a_cell_is_blank(db, workbook):
    run_import(workbook())
    sheets = base_sheets("plants", "users", "customers")
    for row in sheets["customers"]:
        del row[2:]  # keep code and name only ...
    sheets["customers"][0].append("owner")
    for row in sheets["customers"][1:]:
        row.append("s1" if row[0] != "C2" else "s2")

    outcome = run_import(workbook(sheets, "partial.xlsx"))

    assert outcome.code == 0, outcome.err
    c1 = Customer.objects.get(code="C1")
    assert (c1.tier, c1.credit_rating, c1.business_score) == ("strategic", "A", 80)


def test_it_applies_the_documented_defaults(db, workbook):
    run_import(workbook())

    p1, p2, p3 = (Project.objects.get(code=code) for code in ("P1", "P2", "P3"))
    # Payment terms from the tier policy: strategic 90, key 60; stated 45 wins.
    assert (p1.payment_terms_days, p2.payment_terms_days, p3.payment_terms_days) == (90, 60, 45)
    # Owner: the customer's owner unless stated.
    assert (p1.owner.username, p2.owner.username) == ("s1", "mgr")
    # Customer status active.
    assert Customer.objects.get(code="C3").status == "active"
    # Due date: invoice date + the project's payment terms.
    assert Invoice.objects.get(number="INV-1").due_date == dt.date(2025, 1, 31) + dt.timedelta(90)
    assert Invoice.objects.get(number="INV-3").due_date == dt.date(2025, 3, 18)
    # Delivery plant: the project's; unit m3.
    assert Delivery.objects.get(ticket="T1").plant.code == "PL01"
    # Payment method: bank.
    assert Payment.objects.get(reference="PAY-1").method == "bank"


def test_it_asks_for_a_plant_when_the_project_has_none(db, workbook):
    sheets = base_sheets()
    sheets["deliveries"][2][6] = None  # T2 on P2, which has no plant

    outcome = run_import(workbook(sheets))

    assert outcome.err_lines[0] == (
        "sheet deliveries row 3 column plant: The project has no plant; name the plant."
    )


def test_it_checks_what_the_services_check(db, workbook):
    sheets = base_sheets("plants", "users", "customers", "projects")
    sheets["customers"][3][2] = sheets["customers"][1][2]  # C3: C1's credit code
    sheets["customers"][0].append("tier_locked")
    sheets["customers"][1].append("yes")
    sheets["customers"][2].append(None)
    sheets["customers"][3].append(None)
    sheets["customers"][2][4] = None  # C2: not tiered ...
    sheets["customers"][2][7] = "是"  # ... but locked (column tier_locked)

    outcome = run_import(workbook(sheets))

    assert outcome.err_lines[:2] == [
        "sheet customers row 3 column tier_locked: a locked tier needs a tier",
        "sheet customers row 4 column credit_code: Customer C1 华东建工有限公司 already "
        "has this credit code.",
    ]


def test_it_warns_about_sheets_of_a_later_version_and_rejects_unknown_ones(
    db, workbook, monkeypatch
):
    # Every sheet of FORMATS.md is loaded now; the mechanism stays for the next one.
    monkeypatch.setattr("salesdesk.imports.runner.LATER_SHEETS", ("quotes",))
    sheets = base_sheets("plants")
    sheets["Quotes"] = [["code", "customer"], ["Q1", "C1"]]
    ok = run_import(workbook(sheets))
    assert ok.code == 0
    assert ok.err_lines == ["sheet quotes: skipped (not supported by this version)"]

    sheets["Sheet1"] = []  # the empty sheet Excel adds is harmless
    sheets["notes"] = [["anything"]]
    bad = run_import(workbook(sheets, "unknown.xlsx"))
    assert bad.code == 2
    assert bad.err_lines[1] == (
        "sheet notes: unknown sheet (the sheets are: plants, products, users, customers, contacts, "
        "projects, deliveries, invoices, payments, expenses, opportunities, visits)"
    )


def test_it_applies_the_importing_users_permissions(db, workbook, people):
    outcome = run_import(workbook(), "--as-user", "finance")

    assert outcome.code == 2
    assert outcome.err_lines[:3] == [
        "sheet plants: user finance may not import this sheet (needs admin)",
        "sheet users: user finance may not import this sheet (needs admin)",
        "sheet customers: user finance may not import this sheet "
        "(needs sales or manager or marketing or admin)",
    ]


def test_it_lets_finance_import_ledger_sheets(db, workbook, people):
    run_import(workbook(base_sheets("plants", "users", "customers", "projects"), "master.xlsx"))

    outcome = run_import(
        workbook(base_sheets("invoices", "payments"), "ledger.xlsx"), "--as-user", "finance"
    )

    assert outcome.code == 0, outcome.err
    assert Payment.objects.get(reference="PAY-1").posted_by == people.finance


def test_it_refuses_an_unknown_acting_user(db, workbook):
    outcome = run_import(workbook(), "--as-user", "ghost")

    assert outcome.code == 1
    assert "no active user 'ghost'" in outcome.err


def test_it_reports_an_unreadable_file(db, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip file")

    outcome = run_import(path)

    assert outcome.code == 2
    assert outcome.err_lines[0].startswith("not a readable .xlsx file")


def test_it_writes_a_sample_workbook_that_imports_into_an_empty_database(db, tmp_path):
    path = tmp_path / "sample.xlsx"
    call_command("sample-workbook", str(path), stdout=io.StringIO())
    Product.objects.all().delete()  # an empty database: the sample brings its catalogue

    outcome = run_import(path)

    assert outcome.code == 0, outcome.err
    assert outcome.out_lines[-1] == "imported 36 rows: 36 created, 0 updated, 0 unchanged"
    assert Project.objects.get(code="P2001").payment_terms_days == 90  # strategic tier
    assert run_import(path).out_lines[-1] == "nothing changed: 36 rows already up to date"


def test_it_hides_records_the_acting_user_may_not_see(db, workbook, people):
    CustomerFactory(code="X2", owner=people.sales2)
    sheets = {
        "customers": [["code", "name", "owner"], ["X1", "自己的客户有限公司", "sales1"]],
        "projects": [
            ["code", "customer", "name"],
            ["XP1", "X1", "自己的工程"],
            ["XP2", "X2", "别人的工程"],
        ],
    }

    outcome = run_import(workbook(sheets), "--as-user", "sales1")

    assert outcome.err_lines[:-1] == ["sheet projects row 3 column customer: unknown customer X2"]
