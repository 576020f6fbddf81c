"""A small, valid example workbook: a template for users and a fixture for tests.

It imports into an empty database as it is, and shows each sheet with real Excel
dates and numbers, blank cells that take defaults, and Chinese names.
"""

import datetime as dt
import random
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from salesdesk.imports.sheets import SHEETS
from salesdesk.lib import uscc
from salesdesk.lib.spreadsheet import xlsx_append

D = dt.date
_rng = random.Random(2026)  # a fixed seed: the same credit codes every time
CREDIT_CODES = [uscc.generate(_rng, region) for region in ("310115", "320102", "110105")]

SAMPLE: dict[str, list[dict]] = {
    "plants": [
        {"code": "PL01", "name": "一号搅拌站"},
        {"code": "PL02", "name": "二号搅拌站"},
    ],
    "products": [
        # Unit blank: m3. Deliveries name these by code or by name (width, case and spaces
        # do not matter: "c30混凝土" is C30).
        {"code": "C30", "name": "C30 混凝土", "grade": "C30"},
        {"code": "C35", "name": "C35 混凝土", "unit": "m3", "grade": "C35"},
        {"code": "C40", "name": "C40 混凝土", "grade": "C40"},
        {"code": "PO425", "name": "P.O 42.5 水泥", "unit": "t"},
    ],
    "users": [
        {"username": "wangqiang", "name": "王强", "roles": "manager,sales", "plant": "PL01",
         "email": "wangqiang@example.com"},
        {"username": "limin", "name": "李敏", "roles": "sales", "manager": "wangqiang",
         "plant": "PL01", "email": "limin@example.com"},
        {"username": "zhaofang", "name": "赵芳", "roles": "sales", "manager": "wangqiang",
         "plant": "PL02"},
        {"username": "qianhui", "name": "钱慧", "roles": "finance"},
    ],
    "customers": [
        {"code": "C1001", "name": "华东建工集团有限公司", "credit_code": CREDIT_CODES[0],
         "industry": "建筑施工", "region": "上海", "address": "上海市浦东新区世纪大道100号",
         "owner": "limin", "source": "tender", "credit_rating": "A", "business_score": 85,
         "tier": "strategic", "tier_locked": "no"},
        {"code": "C1002", "name": "江南路桥建设有限公司", "credit_code": CREDIT_CODES[1],
         "industry": "路桥", "region": "江苏", "owner": "zhaofang",
         "source": "customer_referral", "credit_rating": "B", "business_score": 70,
         "status": "active", "tier": "key"},
        {"code": "C1003", "name": "北方市政工程有限公司", "credit_code": CREDIT_CODES[2],
         "industry": "市政", "region": "北京", "owner": "limin", "source": "trade_show",
         "credit_rating": "C", "status": "prospect"},
    ],
    "contacts": [
        {"customer": "C1001", "name": "张伟", "title": "项目经理", "phone": "13800000001",
         "role": "manager", "decision_authority": "否"},
        {"customer": "C1001", "name": "刘洋", "title": "总经理", "phone": "13800000002",
         "email": "liuyang@example.com", "role": "decision_maker", "decision_authority": "是"},
        {"customer": "C1002", "name": "陈静", "title": "采购主管", "role": "procurement"},
    ],
    "projects": [
        # Owner and payment terms blank: the customer's owner, the strategic tier's terms.
        {"code": "P2001", "customer": "C1001", "name": "浦东新区商业综合体", "plant": "PL01",
         "contract_no": "HT-2025-001", "credit_limit": Decimal("2000000"),
         "started_on": D(2025, 3, 1)},
        {"code": "P2002", "customer": "C1002", "name": "沿江高速公路三标段", "plant": "PL02",
         "owner": "zhaofang", "contract_no": "HT-2025-002", "payment_terms_days": 60,
         "credit_limit": Decimal("1000000"), "status": "active", "started_on": D(2025, 5, 10)},
        {"code": "P2003", "customer": "C1001", "name": "滨江住宅小区二期", "plant": "PL01",
         "contract_no": "HT-2024-017", "payment_terms_days": 30, "status": "completed",
         "started_on": D(2024, 1, 15), "completed_on": D(2024, 6, 30)},
    ],
    "deliveries": [
        {"ticket": "D250305001", "project": "P2001", "date": D(2025, 3, 5),
         "product": "C30 混凝土", "quantity": Decimal("120.5"), "unit_price": Decimal("420")},
        {"ticket": "D250306001", "project": "P2001", "date": D(2025, 3, 6),
         "product": "C35", "quantity": Decimal("80"), "unit": "m3",
         "unit_price": Decimal("450")},
        {"ticket": "D250512001", "project": "P2002", "date": D(2025, 5, 12),
         "product": "Ｃ40混凝土", "quantity": Decimal("200"), "unit_price": Decimal("480"),
         "plant": "PL02"},
    ],
    "invoices": [
        # Due date blank: the invoice date plus the project's payment terms.
        {"number": "INV-2025-0001", "project": "P2001", "date": D(2025, 3, 31),
         "amount": Decimal("86610")},
        {"number": "INV-2025-0002", "project": "P2002", "date": D(2025, 5, 31),
         "due_date": D(2025, 7, 30), "amount": Decimal("96000")},
        {"number": "INV-2024-0100", "project": "P2003", "date": D(2024, 6, 30),
         "amount": Decimal("150000.00")},
    ],
    "payments": [
        {"reference": "BANK-20250415-01", "project": "P2001", "date": D(2025, 4, 15),
         "amount": Decimal("50000"), "method": "bank"},
        {"reference": "BILL-20250620-01", "project": "P2002", "date": D(2025, 6, 20),
         "amount": Decimal("96000"), "method": "bill"},
        {"reference": "BANK-20240901-07", "project": "P2003", "date": D(2024, 9, 1),
         "amount": Decimal("150000")},
    ],
    "expenses": [
        {"reference": "EXP-2025-001", "salesperson": "limin", "project": "P2001",
         "date": D(2025, 3, 10), "amount": Decimal("1280.50"), "category": "差旅"},
        {"reference": "EXP-2025-002", "salesperson": "zhaofang", "date": D(2025, 5, 20),
         "amount": Decimal("560"), "category": "招待"},
    ],
    "opportunities": [
        # Owner blank: the customer's owner. A full risk form (score 78.6: passes).
        {"code": "O2025-001", "customer": "C1001", "name": "浦东综合体二期供应",
         "value": Decimal("3500000"), "expected_close": D(2025, 9, 30), "stage": "proposal",
         "source": "tender", "need": "是", "budget": "是", "decision_maker_known": "是",
         "f1": 4, "f2": 4, "f3": 5, "f4": 3, "f5": 4, "f6": 4, "f7": 5},
        # A partly filled risk form: no score yet.
        {"code": "O2025-002", "customer": "C1002", "name": "沿江高速四标段", "owner": "zhaofang",
         "value": Decimal("1200000.50"), "stage": "qualified", "need": "yes", "budget": "no",
         "f1": 3, "f2": 2},
        # Stage and source blank: a lead, with the customer's lead source.
        {"code": "O2025-003", "customer": "C1003", "name": "市政管网改造",
         "expected_close": D(2026, 3, 31)},
    ],
    "visits": [
        # An advance: the next step is what the customer committed to, due by then.
        {"customer": "C1001", "date": D(2025, 3, 20), "salesperson": "limin",
         "outcome": "advance", "next_step": "安排C30样品试验", "next_step_due": D(2025, 3, 31),
         "notes": "刘总同意试配"},
        {"customer": "C1002", "date": D(2025, 5, 8), "salesperson": "zhaofang",
         "outcome": "order", "notes": "签订三标段供货合同"},
        {"customer": "C1003", "date": D(2025, 6, 12), "salesperson": "limin",
         "outcome": "continuation", "next_step": "寄送资质文件", "next_step_due": D(2025, 6, 20)},
    ],
}  # fmt: skip


def write_sample_workbook(path) -> None:
    """Write the sample: one sheet per table in load order, every column as a header."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for spec in SHEETS:
        sheet = book.create_sheet(spec.name)
        names = [column.name for column in spec.columns]
        xlsx_append(sheet, names)
        for cell in sheet[1]:
            cell.font = bold
        for record in SAMPLE[spec.name]:
            xlsx_append(sheet, [record.get(name) for name in names])
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    book.save(path)
