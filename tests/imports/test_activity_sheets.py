"""`salesdesk import`: the opportunities and visits sheets (DOMAIN §3 and §4)."""

import datetime as dt
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.core.models import AuditEntry
from salesdesk.customers.models import Customer
from salesdesk.ledger.models import Product
from salesdesk.pipeline.models import Opportunity
from salesdesk.pipeline.reports import pipeline_report
from salesdesk.visits.models import Commitment, Visit
from salesdesk.visits.services import visit_update
from tests.factories import CustomerFactory
from tests.imports.builders import base_sheets, run_import, write_csvs

FACTORS = ["f1", "f2", "f3", "f4", "f5", "f6", "f7"]
OPPORTUNITIES = [
    ["code", "customer", "name", "owner", "value", "expected_close", "stage", "source",
     "need", "budget", "decision_maker_known", *FACTORS],
    ["O1", "C1", "浦东二期供应", None, "3,500,000", "2025-09-30", "proposal", "tender",
     "是", "yes", "1", 4, 4, 5, 3, 4, 4, 5],
    ["O2", "C2", "沿江四标段", "mgr", "1200000.50", None, "Qualified", None,
     "no", None, None, 3, 2, None, None, None, None, None],
    ["O3", "C3", "市政管网改造", None, None, None, None, None,
     None, None, None, 3, 3, 3, 3, 3, 3, 3],
]  # fmt: skip
VISITS = [
    ["customer", "date", "salesperson", "outcome", "next_step", "next_step_due", "notes"],
    ["C1", "2025-03-20", "s1", "advance", "安排 C30 样品试验", "2025-03-31", "张总同意试配"],
    ["C2", "2025-05-08", "s2", "order", None, None, "签订供货合同"],
    ["C3", "2025-06-12", "s1", "Continuation", "寄送资质文件", "2025-06-20", None],
    ["C3", "2025-06-13", "mgr", "no_sale", None, None, "价格谈不拢"],
]
# BASE (22 rows) with the two sheets: 3 opportunities and 4 visits.
ROWS = 29


def evaluation_sheets(*names: str) -> dict[str, list[list]]:
    """BASE (or the named sheets of it) with the opportunities and visits sheets."""
    sheets = base_sheets(*names)
    sheets["opportunities"] = [list(row) for row in OPPORTUNITIES]
    sheets["visits"] = [list(row) for row in VISITS]
    return sheets


def counts() -> dict[str, int]:
    models = (Customer, Opportunity, Visit, Commitment, AuditEntry)
    return {model.__name__: model.objects.count() for model in models}


def test_it_imports_opportunities_and_visits_from_xlsx(db, workbook):
    outcome = run_import(workbook(evaluation_sheets()))

    assert outcome.code == 0, outcome.err
    assert outcome.out_lines[-3:] == [
        "opportunities: 3 created, 0 updated, 0 unchanged",
        "visits: 4 created, 0 updated, 0 unchanged",
        f"imported {ROWS} rows: {ROWS} created, 0 updated, 0 unchanged",
    ]
    o1 = Opportunity.objects.get(code="O1")
    assert (o1.customer.code, o1.owner.username, o1.name) == ("C1", "s1", "浦东二期供应")
    assert (o1.value, o1.expected_close, o1.stage, o1.source) == (
        Decimal("3500000.00"), dt.date(2025, 9, 30), "proposal", "tender",
    )  # fmt: skip
    assert (o1.need, o1.budget, o1.decision_maker_known) == (True, True, True)
    assert o1.factors == [4, 4, 5, 3, 4, 4, 5]
    o2 = Opportunity.objects.get(code="O2")
    assert (o2.owner.username, o2.stage, o2.need, o2.budget) == ("mgr", "qualified", False, None)
    assert o2.factors == [3, 2, None, None, None, None, None]
    o3 = Opportunity.objects.get(code="O3")
    assert (o3.owner.username, o3.stage, o3.value) == ("s1", "lead", None)  # the defaults
    advance = Visit.objects.get(customer__code="C1")
    assert (advance.outcome, advance.salesperson.username, advance.date) == (
        "advance", "s1", dt.date(2025, 3, 20),
    )  # fmt: skip
    assert (advance.next_step, advance.next_step_due) == ("安排 C30 样品试验", dt.date(2025, 3, 31))
    commitment = advance.commitment
    # What and by when from the next step; who: C1's decision maker among its contacts.
    assert (commitment.what, commitment.due) == ("安排 C30 样品试验", dt.date(2025, 3, 31))
    assert (commitment.who, commitment.contact.name) == ("张伟", "张伟")
    assert Visit.objects.get(customer__code="C2").notes == "签订供货合同"
    assert Visit.objects.get(date=dt.date(2025, 6, 12)).outcome == "continuation"
    assert Commitment.objects.count() == 1  # only an advance records one


def test_it_imports_opportunities_and_visits_from_csv(db, tmp_path):
    folder = write_csvs(tmp_path / "csv", evaluation_sheets())

    outcome = run_import(folder)

    assert outcome.code == 0, outcome.err
    assert outcome.out_lines[-1] == f"imported {ROWS} rows: {ROWS} created, 0 updated, 0 unchanged"
    assert Opportunity.objects.get(code="O1").factors == [4, 4, 5, 3, 4, 4, 5]
    assert Visit.objects.get(customer__code="C1").commitment.due == dt.date(2025, 3, 31)


def test_it_imports_the_csv_of_chinese_excel(db, tmp_path):
    sheets = evaluation_sheets()
    sheets["opportunities"][1][11] = "４"  # a full-width digit in f1
    folder = write_csvs(tmp_path / "gbk", sheets, encoding="gbk")

    outcome = run_import(folder)

    assert outcome.code == 0, outcome.err
    assert Visit.objects.get(customer__code="C1").commitment.what == "安排 C30 样品试验"


def test_it_changes_nothing_when_the_sheets_are_imported_again(db, workbook):
    path = workbook(evaluation_sheets())
    run_import(path)
    before = counts()
    stamps = [
        list(model.objects.order_by("pk").values_list("updated_at", flat=True))
        for model in (Opportunity, Visit, Commitment)
    ]

    outcome = run_import(path)

    assert outcome.code == 0, outcome.err
    assert outcome.out_lines[-3:] == [
        "opportunities: 0 created, 0 updated, 3 unchanged",
        "visits: 0 created, 0 updated, 4 unchanged",
        f"nothing changed: {ROWS} rows already up to date",
    ]
    assert counts() == before  # no audit entry either
    assert stamps == [
        list(model.objects.order_by("pk").values_list("updated_at", flat=True))
        for model in (Opportunity, Visit, Commitment)
    ]


def test_it_costs_the_same_queries_for_an_unchanged_sheet_of_any_length(db, workbook):
    def reimport_queries(rows: int, name: str) -> int:
        sheets = evaluation_sheets("plants", "users", "customers", "contacts")
        sheets["opportunities"] = [OPPORTUNITIES[0]] + [
            [f"{name}-{n}", "C1", f"机会{n}", None, None, None, None, None, None, None, None,
             *[3] * 7]
            for n in range(rows)
        ]  # fmt: skip
        sheets["visits"] = [VISITS[0]] + [
            ["C1", (dt.date(2025, 1, 1) + dt.timedelta(n)).isoformat(), "s1", "advance",
             f"第{n}步", "2025-12-31", None]
            for n in range(rows)
        ]  # fmt: skip
        path = workbook(sheets, f"{name}.xlsx")
        assert run_import(path).code == 0
        with CaptureQueriesContext(connection) as queries:
            assert run_import(path).out_lines[-1].startswith("nothing changed")
        return len(queries)

    assert reimport_queries(3, "small") == reimport_queries(30, "large")


def test_it_updates_what_a_row_changes_and_keeps_what_it_leaves_blank(db, workbook):
    run_import(workbook(evaluation_sheets()))
    sheets = evaluation_sheets()
    o1 = sheets["opportunities"][1]
    o1[4] = None  # value blank: keeps 3,500,000
    o1[6] = "won"
    o1[11] = 5  # f1
    sheets["visits"][1][5] = "2025-04-15"  # the advance's commitment is due later
    sheets["visits"][2][3] = "advance"  # C2's order was an advance after all ...
    sheets["visits"][2][4] = "再次报价"  # ... with its next step (C2 has no decision maker)
    sheets["visits"][2][5] = "2025-05-20"

    outcome = run_import(workbook(sheets, "changed.xlsx"))

    assert outcome.code == 0, outcome.err
    assert outcome.out_lines[-3:] == [
        "opportunities: 0 created, 1 updated, 2 unchanged",
        "visits: 0 created, 2 updated, 2 unchanged",
        f"imported {ROWS} rows: 0 created, 3 updated, {ROWS - 3} unchanged",
    ]
    o1 = Opportunity.objects.get(code="O1")
    assert (o1.value, o1.stage, o1.f1) == (Decimal("3500000.00"), "won", 5)
    assert o1.closed_reason == "Recorded by import"
    assert Visit.objects.get(customer__code="C1").commitment.due == dt.date(2025, 4, 15)
    c2 = Visit.objects.get(customer__code="C2")
    # No decision maker recorded at C2: the customer itself committed.
    assert (c2.outcome, c2.commitment.what, c2.commitment.who, c2.commitment.contact) == (
        "advance", "再次报价", "江南路桥有限公司", None,
    )  # fmt: skip
    assert c2.notes == "签订供货合同"  # blank in neither file: unchanged


def test_it_keeps_the_who_of_a_stored_commitment(db, workbook):
    path = workbook(evaluation_sheets())
    run_import(path)
    visit = Visit.objects.get(customer__code="C1")
    visit_update(
        actor=None, visit=visit,
        commitment={"what": "安排 C30 样品试验", "who": "刘工", "due": dt.date(2025, 3, 31)},
    )  # fmt: skip

    outcome = run_import(path)

    assert outcome.out_lines[-1] == f"nothing changed: {ROWS} rows already up to date"
    assert Visit.objects.get(customer__code="C1").commitment.who == "刘工"


def test_it_drops_the_commitment_of_a_visit_that_is_no_longer_an_advance(db, workbook):
    run_import(workbook(evaluation_sheets()))
    sheets = evaluation_sheets()
    sheets["visits"][1][3] = "continuation"

    outcome = run_import(workbook(sheets, "changed.xlsx"))

    assert outcome.code == 0, outcome.err
    assert "visits: 0 created, 1 updated, 3 unchanged" in outcome.out_lines
    assert Commitment.objects.count() == 0


def test_it_reports_errors_with_sheet_row_and_column(db, workbook):
    sheets = evaluation_sheets()
    sheets["opportunities"][1][13] = 6  # row 2: f3
    sheets["opportunities"][2][1] = "C9"  # row 3: unknown customer
    sheets["visits"][1][5] = None  # row 2: an advance without next_step_due
    sheets["visits"][2][2] = "ghost"  # row 3: unknown salesperson
    sheets["visits"][3][3] = "lost"  # row 4: not an outcome
    before = counts()

    outcome = run_import(workbook(sheets))

    assert outcome.code == 2
    assert outcome.err_lines == [
        "sheet opportunities row 2 column f3: 6 is not between 1 and 5",
        "sheet opportunities row 3 column customer: unknown customer C9",
        "sheet visits row 4 column outcome: 'lost' is not one of: order, advance, "
        "continuation, no_sale",
        "sheet visits row 2 column next_step_due: an advance records its commitment: "
        "next_step and next_step_due",
        "sheet visits row 3 column salesperson: unknown user ghost",
        "import failed: 5 errors; nothing was written",
    ]
    assert outcome.out == ""
    assert counts() == before


def test_it_reports_each_missing_part_of_an_advance(db, workbook):
    sheets = evaluation_sheets()
    sheets["visits"][2][3] = "advance"  # row 3: neither next_step nor next_step_due

    outcome = run_import(workbook(sheets))

    assert outcome.err_lines[:-1] == [
        "sheet visits row 3 column next_step: an advance records its commitment: "
        "next_step and next_step_due",
        "sheet visits row 3 column next_step_due: an advance records its commitment: "
        "next_step and next_step_due",
    ]


def test_it_reports_what_the_services_refuse_on_their_columns(db, workbook):
    sheets = evaluation_sheets()
    sheets["visits"][1][1] = "2099-01-01"  # row 2: a visit that has not happened
    sheets["visits"][3][5] = "2025-06-01"  # row 4: the next step due before the visit
    sheets["visits"][1][5] = "2099-01-31"
    sheets["visits"][2][3:6] = ["advance", "再次报价", "2025-05-01"]  # row 3: due before it
    sheets["opportunities"][1][4] = "10000000000000"  # row 2: 10^13, too large

    outcome = run_import(workbook(sheets))

    assert outcome.err_lines == [
        "sheet opportunities row 2 column value: 10000000000000 is too large",
        "sheet visits row 2 column date: A visit is logged once it has happened; plan it as "
        "a next step.",
        # Once, though both the next step and the commitment are due before the visit.
        "sheet visits row 3 column next_step_due: The next step cannot be due before the visit.",
        "sheet visits row 4 column next_step_due: The next step cannot be due before the visit.",
        "import failed: 4 errors; nothing was written",
    ]


def test_it_rejects_a_visit_repeated_in_the_file_with_a_different_outcome(db, workbook):
    sheets = evaluation_sheets()
    sheets["visits"].append(["C2", "2025-05-08", "s2", "no_sale", None, None, "签订供货合同"])
    sheets["visits"].append(["C2", "2025-05-08", "s2", "order", None, None, "签订供货合同"])
    sheets["opportunities"].append(["O1", "C1", "浦东二期供应"] + [None] * 15)

    outcome = run_import(workbook(sheets))

    assert outcome.err_lines == [
        "sheet visits row 6 column outcome: visit at customer C2 by s2 on 2025-05-08 is "
        "already on row 3 with a different outcome",
        "import failed: 1 error; nothing was written",
    ]


def test_it_skips_a_visit_repeated_in_the_file_with_the_same_content(db, workbook):
    sheets = evaluation_sheets()
    sheets["visits"].append(list(VISITS[1]))
    sheets["opportunities"].append(list(OPPORTUNITIES[1]))

    outcome = run_import(workbook(sheets))

    assert outcome.code == 0, outcome.err
    assert "opportunities: 3 created, 0 updated, 1 unchanged" in outcome.out_lines
    assert "visits: 4 created, 0 updated, 1 unchanged" in outcome.out_lines


def test_it_rejects_an_opportunity_moving_to_another_customer(db, workbook):
    run_import(workbook(evaluation_sheets()))
    sheets = evaluation_sheets()
    sheets["opportunities"][1][1] = "C2"

    outcome = run_import(workbook(sheets, "moved.xlsx"))

    assert outcome.err_lines[:-1] == [
        "sheet opportunities row 2 column customer: opportunity O1 belongs to customer C1; "
        "an opportunity cannot move to another customer"
    ]


def test_it_stores_nothing_when_a_later_sheet_has_an_error(db, workbook):
    sheets = evaluation_sheets()
    sheets["visits"][4][0] = "C9"  # only the last row of the last sheet is wrong
    before = counts()

    outcome = run_import(workbook(sheets))

    assert outcome.code == 2
    assert outcome.err_lines == [
        "sheet visits row 5 column customer: unknown customer C9",
        "import failed: 1 error; nothing was written",
    ]
    assert counts() == before
    assert (Customer.objects.count(), Opportunity.objects.count(), Visit.objects.count()) == (
        0, 0, 0,
    )  # fmt: skip


def test_it_writes_nothing_on_a_dry_run(db, workbook):
    before = counts()

    outcome = run_import(workbook(evaluation_sheets()), "--dry-run")

    assert outcome.code == 0, outcome.err
    assert outcome.out_lines[-3:] == [
        "opportunities: 3 created, 0 updated, 0 unchanged",
        "visits: 4 created, 0 updated, 0 unchanged",
        f"dry run: no errors in {ROWS} rows ({ROWS} to create, 0 to update, 0 unchanged); "
        "nothing was written",
    ]
    assert counts() == before


def test_it_scores_imported_opportunities_as_domain_3(db, workbook):
    sheets = base_sheets("plants", "users", "customers")
    sheets["opportunities"] = [
        ["code", "customer", "name", "expected_close", *FACTORS],
        ["ALL1", "C1", "全部1分", "2025-07-31", *[1] * 7],
        ["ALL3", "C1", "全部3分", "2025-07-31", *[3] * 7],
        ["ALL4", "C1", "全部4分", "2025-12-31", *[4] * 7],
        ["ALL5", "C1", "全部5分", "2025-07-31", *[5] * 7],
        ["MIX", "C1", "混合", "2025-07-31", 4, 4, 3, 3, 4, 4, 4],
        ["PART", "C1", "未填完", "2025-07-31", 5, 5, 5, 5, 5, 5, None],
    ]
    assert run_import(workbook(sheets)).code == 0

    report = pipeline_report(as_of=dt.date(2025, 7, 1))

    rows = {row["code"]: (row["score"], row["passed"], row["class"]) for row in report.rows}
    assert rows == {
        "ALL1": ("0.0", False, None),
        "ALL3": ("50.0", False, None),  # 50 < 60: fails screening
        "ALL4": ("75.0", True, "B"),  # closes later than 90 days from 1 July
        "ALL5": ("100.0", True, "A"),
        "MIX": ("67.9", True, "C"),  # (26/7 − 1) / 4 × 100
        "PART": (None, False, None),  # a partly filled form has no score
    }


def test_it_applies_the_importing_users_permissions(db, workbook, people):
    CustomerFactory(code="X1", owner=people.sales1)
    CustomerFactory(code="X2", owner=people.sales2)
    sheets = {
        "opportunities": [
            ["code", "customer", "name", "owner"],
            ["XO1", "X1", "自己的机会", None],
            ["XO2", "X2", "别人的机会", None],
            ["XO3", "X1", "交给别人", "sales2"],
        ],
        "visits": [
            ["customer", "date", "salesperson", "outcome"],
            ["X1", "2025-03-01", "sales1", "order"],
            ["X1", "2025-03-02", "sales2", "order"],
        ],
    }

    outcome = run_import(workbook(sheets), "--as-user", "sales1")

    assert outcome.err_lines == [
        "sheet opportunities row 3 column customer: unknown customer X2",
        "sheet opportunities row 4 column owner: You cannot assign opportunities to Sales Two.",
        "sheet visits row 3 column salesperson: You cannot log visits for Sales Two.",
        "import failed: 3 errors; nothing was written",
    ]

    denied = run_import(workbook(sheets, "finance.xlsx"), "--as-user", "finance")
    assert denied.err_lines[:2] == [
        "sheet opportunities: user finance may not import this sheet "
        "(needs sales or manager or admin)",
        "sheet visits: user finance may not import this sheet (needs sales or manager or admin)",
    ]


def test_it_lets_a_salesperson_import_their_own_opportunities_and_visits(db, workbook, people):
    CustomerFactory(code="X1", owner=people.sales1)
    sheets = {
        "opportunities": [["code", "customer", "name", "f1"], ["XO1", "X1", "自己的机会", 4]],
        "visits": [
            ["customer", "date", "salesperson", "outcome"],
            ["X1", "2025-03-01", "sales1", "order"],
        ],
    }

    outcome = run_import(workbook(sheets), "--as-user", "sales1")

    assert outcome.code == 0, outcome.err
    assert Opportunity.objects.get(code="XO1").owner == people.sales1
    entry = AuditEntry.objects.filter(object_type="visits.visit").get()
    assert entry.actor == people.sales1


def test_it_says_an_opportunity_code_of_someone_else_is_taken(db, workbook, people):
    run_import(
        workbook(
            {
                "customers": [["code", "name", "owner"], ["X2", "别人的客户有限公司", "sales2"]],
                "opportunities": [["code", "customer", "name"], ["XO9", "X2", "别人的机会"]],
            },
            "theirs.xlsx",
        )
    )
    CustomerFactory(code="X1", owner=people.sales1)
    sheets = {"opportunities": [["code", "customer", "name"], ["XO9", "X1", "我的机会"]]}

    outcome = run_import(workbook(sheets), "--as-user", "sales1")

    assert outcome.err_lines[:-1] == [
        "sheet opportunities row 2 column code: opportunity code XO9 is taken"
    ]


def test_it_imports_the_sample_workbook_into_a_fresh_database(db, tmp_path):
    path = tmp_path / "sample.xlsx"
    call_command("sample-workbook", str(path), stdout=io.StringIO())
    Product.objects.all().delete()  # an empty database: the sample brings its catalogue

    outcome = run_import(path)

    assert outcome.code == 0, outcome.err
    assert outcome.out_lines[-3:] == [
        "opportunities: 3 created, 0 updated, 0 unchanged",
        "visits: 3 created, 0 updated, 0 unchanged",
        "imported 36 rows: 36 created, 0 updated, 0 unchanged",
    ]
    advance = Visit.objects.get(outcome="advance")
    assert (advance.commitment.what, advance.commitment.who) == ("安排C30样品试验", "刘洋")
    scores = {row["code"]: row["score"] for row in pipeline_report(as_of=dt.date(2025, 8, 1)).rows}
    assert scores == {"O2025-001": "78.6", "O2025-002": None, "O2025-003": None}
    assert run_import(path).out_lines[-1] == "nothing changed: 36 rows already up to date"


def test_it_lets_only_managers_change_the_owner_of_a_stored_opportunity(db, workbook, people):
    CustomerFactory(code="X1", owner=people.sales1)
    sheets = {"opportunities": [["code", "customer", "name", "owner"], ["XO1", "X1", "机会", None]]}
    run_import(workbook(sheets), "--as-user", "sales1")
    sheets["opportunities"][1][3] = "sales2"

    outcome = run_import(workbook(sheets, "reassign.xlsx"), "--as-user", "sales1")

    assert outcome.err_lines[:-1] == [
        "sheet opportunities row 2 column owner: only a manager or an administrator may "
        "change an owner"
    ]
    by_manager = run_import(workbook(sheets, "manager.xlsx"), "--as-user", "manager1")
    assert by_manager.code == 0, by_manager.err
    assert Opportunity.objects.get(code="XO1").owner == people.sales2


def test_it_imports_the_sheets_on_the_upload_page(db, people, client_for, workbook):
    client = client_for(people.admin)
    client.cookies["django_language"] = "en"
    path = workbook(evaluation_sheets())

    response = client.post("/import/", {"file": SimpleUploadedFile("book.xlsx", path.read_bytes())})

    assert response.status_code == 200
    assert b"The workbook was imported." in response.content
    assert b"<code>visits</code>" in response.content
    assert Visit.objects.get(customer__code="C1").commitment.who == "张伟"
    assert AuditEntry.objects.filter(object_type="visits.visit", actor=people.admin).count() == 4
