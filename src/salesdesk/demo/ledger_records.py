"""What the demo's ledger history is made of: the product catalogue and floor prices, the
records (deliveries, statements, payments, expenses, approvals, offsets) and their keys,
the payment profiles, and the working days the history falls on (DOMAIN §5). The
records are made by `history.py`."""

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from salesdesk.demo.generator import USERS, CustomerData, Numbering, Weighted
from salesdesk.lib.dates import month_start

HISTORY_MONTHS = 24

PROMPT, LATE, STOPPED, NEVER = "prompt", "late", "stopped", "never"
PROFILES = (PROMPT, LATE, STOPPED, NEVER)
BANK, BILL = "bank", "bill"  # ledger.choices.PaymentMethod values


# Products and floor prices -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Product:
    """A product of the demo's catalogue; deliveries and floor prices name it."""

    code: str
    name: str
    unit: str
    floor: int  # the company-wide floor price, yuan per unit
    grade: str = ""


C25 = Product("C25", "C25 商品混凝土", "m3", 370, "C25")
C30 = Product("C30", "C30 商品混凝土", "m3", 400, "C30")
C35 = Product("C35", "C35 商品混凝土", "m3", 430, "C35")
C40 = Product("C40", "C40 商品混凝土", "m3", 460, "C40")
MORTAR = Product("M10", "M10 预拌砂浆", "m3", 320, "M10")
CEMENT = Product("PO42.5", "P.O 42.5 水泥", "t", 400, "42.5")
PRODUCTS = (C25, C30, C35, C40, MORTAR, CEMENT)
GRADES = (C25, C30, C35, C40)
MAIN_GRADE = Weighted([(C25, 15), (C30, 50), (C35, 25), (C40, 10)])
# Plants with their own floor: the north plant meets two rival plants on price, the west
# plant pays more for its aggregate and asks more for the high grade.
PLANT_FLOORS = {(C30, "P3"): 390, (C35, "P3"): 420, (C40, "P2"): 475}

# Deliveries per month relative to the project's pace: northern sites slow down in the
# frost and stop for the Spring Festival; the rainy summer costs a little.
SEASON = (None, 0.45, 0.35, 0.8, 1.0, 1.1, 1.1, 0.9, 0.9, 1.1, 1.1, 1.0, 0.7)

BELOW_FLOOR_REASONS = (
    "大方量合同，已签补充协议按此价执行",
    "竞争对手报价更低，为保住老客户临时让价",
    "集团重点工程，公司领导同意按协议价供应",
    "客户承诺本月回款，作为回款条件给予优惠",
    "搅拌站余料，临时让价处理",
    "年度框架协议价，按协议执行",
)

EXPENSE_CATEGORIES = Weighted(
    [("招待费", 30), ("差旅费", 20), ("交通费", 30), ("通讯费", 8), ("礼品费", 12)]
)
# (lowest, highest) in yuan, and whether the receipt is in whole yuan.
EXPENSE_AMOUNTS = {
    "招待费": (500, 5000, True),
    "差旅费": (800, 4500, False),
    "交通费": (200, 900, False),
    "通讯费": (200, 400, True),
    "礼品费": (300, 3000, True),
}


def _steel(value: Decimal) -> str:
    return f"螺纹钢 HRB400E Φ16-Φ25 约 {round(value / 3800, -1):.0f} 吨，存放于项目部料场"


def _flats(value: Decimal) -> str:
    flats = max(1, round(value / 1_000_000))
    return f"商品房 {flats} 套（项目配套住宅楼），建筑面积合计 {round(value / 9500)} 平方米"


def _aggregate(value: Decimal) -> str:
    tonnes = value / 75  # sand and gravel delivered to the plant, yuan per tonne
    sand, gravel = round(tonnes * 2 / 5, -2), round(tonnes * 3 / 5, -2)
    return f"机制砂 {sand:.0f} 吨、碎石 {gravel:.0f} 吨，运至搅拌站料场"


def _pump(value: Decimal) -> str:
    return "二手混凝土泵车 1 台（三一 SY5419THB 56 米，2015 年出厂）"


# What a customer offers instead of cash, by the offset's fate: the goods described for
# the value claimed.
OFFSET_ITEMS = {"posted": _steel, "appraised": _flats, "applied": _aggregate, "rejected": _pump}
OFFSET_REJECTION = "抵债泵车为事故车，评估价不足申报价的一半且难以变现，请客户改以现金或钢材抵债"
PUMP_VALUE = Decimal(900_000)  # the most a used pump truck is claimed to be worth

MANAGER_OF = {user.username: user.manager for user in USERS if user.manager}


# Records -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LedgerProject:
    """What the history needs to know of a project (generated or read from the database)."""

    code: str
    customer: str  # customer code
    owner: str  # username
    plant: str | None  # plant code
    payment_terms_days: int
    credit_limit: Decimal | None
    status: str
    started_on: dt.date | None
    completed_on: dt.date | None


@dataclasses.dataclass(frozen=True)
class FloorPriceData:
    product: str
    plant: str | None  # None: company-wide
    price: Decimal
    effective_from: dt.date


@dataclasses.dataclass(frozen=True, slots=True)
class DeliveryData:
    ticket: str
    project: str
    plant: str
    date: dt.date
    product: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    floor_price: Decimal | None  # set only when the price is below it


@dataclasses.dataclass(frozen=True)
class ApprovalData:
    ticket: str
    approved_by: str  # username
    reason: str
    on: dt.date


@dataclasses.dataclass(frozen=True, slots=True)
class InvoiceData:
    number: str
    project: str
    date: dt.date
    due_date: dt.date
    amount: Decimal


@dataclasses.dataclass(frozen=True, slots=True)
class PaymentData:
    reference: str
    project: str
    date: dt.date
    amount: Decimal
    method: str


@dataclasses.dataclass(frozen=True, slots=True)
class ExpenseData:
    reference: str
    salesperson: str
    project: str | None
    date: dt.date
    amount: Decimal
    category: str


@dataclasses.dataclass(frozen=True)
class OffsetData:
    """An asset offset and how far its workflow went: applied by the owner, appraised by
    finance, accepted by supply (a payment of method "offset" on `closed_on`), or rejected
    by finance before appraisal."""

    project: str
    applicant: str  # username
    items: str
    claimed_value: Decimal
    appraised_value: Decimal | None
    status: str  # ledger.choices.OffsetStatus value
    applied_on: dt.date
    appraised_on: dt.date | None = None
    closed_on: dt.date | None = None
    note: str = ""


@dataclasses.dataclass
class History:
    start: dt.date
    as_of: dt.date
    floor_prices: list[FloorPriceData]
    deliveries: list[DeliveryData]
    approvals: list[ApprovalData]
    invoices: list[InvoiceData]
    payments: list[PaymentData]
    expenses: list[ExpenseData]
    offsets: list[OffsetData]
    profiles: dict[str, str]  # customer code -> profile, for customers with any history
    overpaid: list[str]  # project codes left with unapplied credit

    @property
    def billed(self) -> Decimal:
        return sum((invoice.amount for invoice in self.invoices), Decimal("0.00"))

    @property
    def collected(self) -> Decimal:
        """Cash and bills, and the asset offsets accepted (paid as method "offset")."""
        cash = sum((payment.amount for payment in self.payments), Decimal("0.00"))
        return cash + sum(
            (o.appraised_value for o in self.offsets if o.status == "posted"), Decimal("0.00")
        )

    @property
    def below_floor(self) -> int:
        return sum(1 for delivery in self.deliveries if delivery.floor_price is not None)


@dataclasses.dataclass
class Payer:
    profile: str
    lag: float = 0.0  # mean days late (late and stopped payers)
    partial: float = 0.0  # share of statements paid only in part
    bills: float = 0.0  # share of payments by bank acceptance bill
    stop: dt.date | None = None  # nothing is paid after this date
    hold: dt.date | None = None  # nothing is delivered after this date


# Keys --------------------------------------------------------------------------------


class Keys:
    """Natural keys of the generated records.

    Dated (the demo): tickets D2025-000001 numbered per year, payments BK20250712-0001
    (bills HP...) and expenses EX20250712-0001 numbered per day. With a Numbering each
    (synth), keys count up from its first number instead, so a second run that starts
    after the stored ones never meets them. Invoices are numbered by project and month,
    INV-2025-07-P000123, unique by construction. Counters carry over between the calls of
    one generator.
    """

    def __init__(
        self,
        *,
        tickets: Numbering | None = None,
        payments: Numbering | None = None,
        expenses: Numbering | None = None,
    ):
        self.numberings = {"D": tickets, "P": payments, "EX": expenses}
        self.counters: Counter = Counter()

    def _next(self, kind: str, dated_key: tuple) -> int:
        key = (kind,) if self.numberings[kind] else (kind, *dated_key)
        self.counters[key] += 1
        return self.counters[key]

    def ticket(self, day: dt.date) -> str:
        number = self._next("D", (day.year,))
        numbering = self.numberings["D"]
        return numbering.code(number - 1) if numbering else f"D{day.year}-{number:06d}"

    def payment(self, day: dt.date, method: str) -> str:
        prefix = "HP" if method == BILL else "BK"
        number = self._next("P", (prefix, day))
        numbering = self.numberings["P"]
        return numbering.code(number - 1) if numbering else f"{prefix}{day:%Y%m%d}-{number:04d}"

    def expense(self, day: dt.date) -> str:
        number = self._next("EX", (day,))
        numbering = self.numberings["EX"]
        return numbering.code(number - 1) if numbering else f"EX{day:%Y%m%d}-{number:04d}"

    @staticmethod
    def invoice(project: str, month: dt.date) -> str:
        return f"INV-{month:%Y-%m}-{project}"


# Dates -------------------------------------------------------------------------------


def history_start(as_of: dt.date, months: int = HISTORY_MONTHS) -> dt.date:
    """The first day of the history: `months` whole months, the as-of month the last."""
    return month_start(as_of, 1 - months)


# Floor prices ------------------------------------------------------------------------


def floor_of(product: Product, plant: str | None) -> int:
    return PLANT_FLOORS.get((product, plant), product.floor)


def floor_prices(start: dt.date) -> list[FloorPriceData]:
    """Company-wide floors for every product and the plants' own, in force from `start`."""
    rows = [FloorPriceData(p.name, None, Decimal(p.floor).quantize(Decimal("0.01")), start)
            for p in PRODUCTS]  # fmt: skip
    rows += [
        FloorPriceData(product.name, plant, Decimal(price).quantize(Decimal("0.01")), start)
        for (product, plant), price in PLANT_FLOORS.items()
    ]
    return rows


# Projects ----------------------------------------------------------------------------


def ledger_projects(customers: Iterable[CustomerData]) -> list[LedgerProject]:
    """The projects of generated customers, as the history takes them."""
    return [
        LedgerProject(
            code=project.code, customer=customer.code, owner=customer.owner,
            plant=project.plant, payment_terms_days=project.payment_terms_days,
            credit_limit=project.credit_limit, status=project.status,
            started_on=project.started_on, completed_on=project.completed_on,
        )
        for customer in customers
        for project in customer.projects
    ]  # fmt: skip
