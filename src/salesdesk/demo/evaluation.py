"""The demo's evaluation history: FAB lines for the products, opportunities worked through
the customer evaluation system, six months of visits with their commitments, and prospect
registrations with a few disputes (DOMAIN §3, §4, §9).

Pure Python like `generator.py` and `history.py`: the same seed, as-of date and customers
always give the same records. Each part draws from a `random.Random` of its own, derived
from the seed ("<seed>/claims", "<seed>/pipeline", "<seed>/visits"), so adding them
changed nothing in the customer and ledger streams, and one part can change without
moving the others. Customers are taken in code order whichever way they were read.

What the records say:
- opportunities at active and prospect customers, most at strategic and key ones; won
  ones mostly came by referral or tender, failed ones mostly by cold call, web and the
  like; four in five have a complete risk form, with classes A to D and some failing
  (abandoned, put on reduced contact, or not yet acted on);
- visits meet the tier frequencies for most customers, each salesperson to their own
  diligence, so compliance is imperfect; the outcomes are mostly continuations and
  advances (each with the customer's commitment, most kept, a few overdue), with orders
  and no-sales where an opportunity was won or lost and a few more;
- twenty prospects registered by the salespeople, a few close to expiry, two expired and
  one released; three disputes: one open for a manager, one kept, one reassigned.
"""

import dataclasses
import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from salesdesk.customers.choices import BuyingRole, CustomerStatus, LeadSource, Tier
from salesdesk.demo.generator import (
    LEGAL_FORMS,
    REGIONS,
    SALESPEOPLE,
    SOURCES,
    USERS,
    CustomerData,
    Generator,
    Numbering,
    Weighted,
)
from salesdesk.demo.history import C25, C30, C35, C40, CEMENT, MORTAR
from salesdesk.lib import names
from salesdesk.lib.dates import month_start
from salesdesk.pipeline.choices import Stage
from salesdesk.visits.choices import Outcome
from salesdesk.visits.periods import MONTH, QUARTER, period_bounds

VISIT_MONTHS = 6
OPPORTUNITIES = 120
REGISTRATIONS = 20

MANAGER_OF = {user.username: user.manager for user in USERS if user.manager}


# Dates ---------------------------------------------------------------------------------


def workday_back(day: dt.date) -> dt.date:
    """`day`, or the Friday before it when it falls on a weekend."""
    return day - dt.timedelta(days=max(0, day.weekday() - 4))


def working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _at(day: dt.date, rng: random.Random, first_hour: int = 9, last_hour: int = 17) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(first_hour, last_hour), rng.randrange(60)))


# FAB messaging -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FabData:
    product: str
    notes: str
    lines: tuple[tuple[str, str, str], ...]  # (feature, advantage, benefit)


FAB = (
    FabData(C25.name, "垫层、基础、非承重构件及道路基层常用强度等级。", (
        ("采用二级配碎石与聚羧酸高性能减水剂", "坍落度损失小、泵送顺畅，2小时坍落度保持在180±20mm",
         "浇筑不等料、不堵管，缩短工期、减少返工"),
        ("Ⅱ级粉煤灰与S95矿粉双掺", "水化热低，早期收缩裂缝少", "基础和垫层一次成型，省去修补费用"),
        ("三站联网调度，罐车GPS实时跟踪", "30公里内90分钟到场，夜间可连续供应",
         "现场不窝工，机械和人工不白等"),
    )),
    FabData(C30.name, "住宅主体结构用量最大的强度等级。", (
        ("原材料逐批进场检验，砂石含泥量不超过1%", "强度稳定，28天强度标准差不大于3.5MPa",
         "一次验收通过，免去回弹、取芯和加固的费用"),
        ("全自动计量搅拌楼，计量误差不超过1%", "每车配比一致，质量可追溯到每一盘",
         "质量责任清楚，出了问题有据可查"),
        ("聚羧酸外加剂配二级配碎石", "和易性好，可泵送至150米高度", "主体施工进度快，节省泵送费用"),
        ("三个搅拌站互为备份，日产能合计1.2万方", "高峰期保供，单站检修不断供",
         "大体量连续浇筑有保障，不留冷缝"),
    )),
    FabData(C35.name, "地下室、水池等抗渗部位及框架柱常用。", (
        ("可配制P6至P8抗渗等级", "地下室、水池一次浇筑不渗漏", "减少堵漏维修，避免交房后的质量投诉"),
        ("低热配合比并掺加膨胀剂", "大体积浇筑温升可控、裂缝少", "筏板基础一次成型，节省养护和裂缝处理成本"),
        ("试验室通过省级计量认证，驻场技术服务", "按气温和浇筑部位及时调整配合比",
         "冬季、夏季施工质量都有保障"),
    )),
    FabData(C40.name, "桥梁、高层竖向构件和预应力结构用。", (
        ("选用P.O 52.5水泥和5-25mm连续级配碎石", "强度富余系数高，早期强度发展快",
         "7天可拆模，加快标准层施工周期"),
        ("多个高速公路和市政桥梁项目供货业绩", "配合比经过交通工程检验",
         "满足交通、市政工程验收要求，业主放心"),
        ("可提供自密实、高抛免振配合比", "钢筋密集部位无需振捣", "节省人工，避免蜂窝麻面"),
    )),
    FabData(MORTAR.name, "湿拌砌筑、抹灰和地面砂浆，罐车直送。", (
        ("工厂化配料，掺加保水增稠材料", "保水率不低于88%，可操作时间长达8小时",
         "减少现场搅拌和落地灰浪费，符合禁止现场搅拌砂浆的规定"),
        ("湿拌砂浆罐车直送楼层料斗", "现场不堆砂子和水泥，扬尘少", "顺利通过环保检查，文明施工达标"),
        ("砌筑、抹灰、地面多个品种", "一家供应商配齐", "少管一个供应商，对账结算更省事"),
    )),
    FabData(CEMENT.name, "散装P.O 42.5普通硅酸盐水泥，供构件厂和现场搅拌。", (
        ("大型回转窑熟料，3天强度不低于22MPa", "强度稳定、颜色一致", "构件质量稳定，外观一致"),
        ("散装罐车直送，可配套提供储存罐", "比袋装损耗低约2%", "降低材料成本"),
        ("与混凝土由同一家供应", "统一对账、统一结算", "财务对账省事，账期可以整体商谈"),
    )),
)  # fmt: skip


# Customers as the evaluation sees them --------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EvalContact:
    name: str
    title: str
    role: str
    decision_authority: bool

    @property
    def decides(self) -> bool:
        return self.decision_authority or self.role == BuyingRole.DECISION_MAKER


@dataclasses.dataclass(frozen=True)
class EvalCustomer:
    """What the evaluation needs to know of a customer (generated or from the database)."""

    code: str
    name: str
    owner: str  # username
    status: str
    tier: str  # "" when not tiered
    source: str
    region: str
    industry: str
    contacts: tuple[EvalContact, ...]
    projects: tuple[str, ...]  # active project codes
    since: dt.date | None = None  # registered on, for a prospect registered in the demo

    @property
    def decider(self) -> EvalContact | None:
        return next((contact for contact in self.contacts if contact.decides), None)


def eval_customers(
    customers: Iterable[CustomerData], tiers: Mapping[str, str] | None = None
) -> list[EvalCustomer]:
    """Generated customers as the evaluation takes them; `tiers` by customer code."""
    tiers = tiers or {}
    return sorted(
        (
            EvalCustomer(
                code=c.code, name=c.name, owner=c.owner, status=c.status,
                tier=tiers.get(c.code, ""), source=c.source, region=c.region,
                industry=c.industry,
                contacts=tuple(
                    EvalContact(k.name, k.title, k.role, k.decision_authority) for k in c.contacts
                ),
                projects=tuple(p.code for p in c.projects if p.status == "active"),
            )
            for c in customers
        ),
        key=lambda c: c.code,
    )  # fmt: skip


# Claims --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RegistrationData:
    """A prospect registered by a salesperson on `on`, with the contacts they then added;
    some are released by the claimant later."""

    claimant: str
    customer: CustomerData  # name, credit code, region, industry, address, source, contacts
    on: dt.date
    released_on: dt.date | None = None
    release_reason: str = ""


@dataclasses.dataclass(frozen=True)
class DisputeData:
    """A refused registration of `name` (the same company as `target`), and the decision."""

    challenger: str
    name: str
    region: str
    target: str  # the name of the customer it is about
    on: dt.date
    decision: str = ""  # "", "keep" or "reassign" (customers.claims.Decision)
    decided_by: str = ""
    decided_on: dt.date | None = None
    reason: str = ""


@dataclasses.dataclass
class Claims:
    registrations: list[RegistrationData]
    disputes: list[DisputeData]

    def events(self) -> list[tuple[dt.date, int, str, object]]:
        """(date, order, kind, record) in the order they happened: registrations, releases,
        disputes and decisions."""
        events = []
        for registration in self.registrations:
            events.append((registration.on, 0, "register", registration))
            if registration.released_on:
                events.append((registration.released_on, 1, "release", registration))
        for dispute in self.disputes:
            events.append((dispute.on, 2, "dispute", dispute))
            if dispute.decision:
                events.append((dispute.decided_on, 3, "decide", dispute))
        return sorted(events, key=lambda e: (e[0], e[1]))


# Similar-sounding characters for a registration that is the same company under a typo
# (鸿达 for 宏达: the commonest way round a duplicate check, DOCS claims.md).
HOMOPHONES = {
    "宏": "鸿", "华": "骅", "兴": "星", "盛": "晟", "泰": "太", "恒": "衡", "源": "元",
    "辉": "晖", "昌": "长", "德": "得", "峰": "丰", "祥": "翔", "伟": "玮", "庆": "青",
}  # fmt: skip
RELEASE_REASONS = (
    "项目已停工，甲方暂无采购计划，先释放",
    "客户已确定集团内部搅拌站供货，放弃跟进",
)
KEEP_REASON = (
    "{customer}是{owner}维护多年的在供客户，{challenger}接触的是其下属项目部，维持原归属；"
    "该项目由{owner}牵头、{challenger}配合跟进"
)
REASSIGN_REASON = (
    "原报备人报备后未有实质跟进；{challenger}掌握该项目招标信息并已与甲方技术负责人接洽，改由其跟进"
)


class ClaimsGenerator:
    """Registrations of new prospects by the salespeople, and disputes over some of them
    and over one active customer. `customers` are those already in the archive: new
    names never match them (as `lib.names.match` sees it)."""

    def __init__(
        self,
        *,
        seed: int,
        as_of: dt.date,
        customers: Sequence[EvalCustomer],
        taken_credit_codes: Iterable[str] = (),
        protection_days: int = 90,
    ):
        self.rng = random.Random(f"{seed}/claims")
        self.as_of = as_of
        self.customers = sorted(customers, key=lambda c: c.code)
        self.protection_days = protection_days
        # The customer generator's word lists and uniqueness checks, on this stream.
        self.words = Generator(
            seed=seed, as_of=as_of, taken_names=[c.name for c in self.customers],
            taken_credit_codes=taken_credit_codes,
        )  # fmt: skip
        self.words.rng = self.rng
        self.known: dict[str, list[str]] = defaultdict(list)  # name key or head -> names
        for customer in self.customers:
            self._know(customer.name)

    def _know(self, name: str) -> None:
        self.known["k:" + names.name_key(name)].append(name)
        self.known["h:" + names.name_head(name)].append(name)

    def _matches(self, name: str) -> list[str]:
        """The known names `name` would be taken for, looked up as the duplicate check
        does (same name key or name head, then `names.match`)."""
        candidates = dict.fromkeys(
            self.known.get("k:" + names.name_key(name), [])
            + self.known.get("h:" + names.name_head(name), [])
        )
        return [other for other in candidates if names.match(name, other).is_match]

    def claims(self) -> Claims:
        rng, days = self.rng, self.protection_days
        # Age in days of each registration: most protected, three expiring within two
        # weeks, two expired, one released after a while.
        ages = (
            [("protected", rng.randint(1, days - 20)) for _ in range(REGISTRATIONS - 6)]
            + [("expiring", rng.randint(days - 13, days - 2)) for _ in range(3)]
            + [("expired", rng.randint(days + 1, days + 40)) for _ in range(2)]
            + [("released", rng.randint(40, days - 10))]
        )
        rng.shuffle(ages)
        claimants = [SALESPEOPLE[i % len(SALESPEOPLE)] for i in range(REGISTRATIONS)]
        rng.shuffle(claimants)
        registrations = []
        for (state, age), claimant in zip(ages, claimants, strict=True):
            on = workday_back(self.as_of - dt.timedelta(days=age))
            customer = dataclasses.replace(self._new_prospect(), owner=claimant)
            released_on, reason = None, ""
            if state == "released":
                released_on = workday_back(on + dt.timedelta(days=rng.randint(15, 35)))
                reason = rng.choice(RELEASE_REASONS)
            registrations.append(RegistrationData(claimant, customer, on, released_on, reason))
        registrations.sort(key=lambda r: (r.on, r.customer.name))
        return Claims(registrations, self._disputes(registrations))

    def _new_prospect(self) -> CustomerData:
        rng = self.rng
        while True:
            customer = self.words._customer(
                code="", status=CustomerStatus.PROSPECT.value,
                contact_count=rng.randint(1, 3), project_codes=[],
            )  # fmt: skip
            if not self._matches(customer.name):
                break
        self._know(customer.name)
        if rng.random() < 0.3:  # the salesperson did not have the credit code to hand
            customer = dataclasses.replace(customer, credit_code="")
        return customer

    def _disputes(self, registrations: list[RegistrationData]) -> list[DisputeData]:
        rng, as_of = self.rng, self.as_of
        teams = defaultdict(list)
        for salesperson in SALESPEOPLE:
            teams[MANAGER_OF[salesperson]].append(salesperson)

        def teammate(user: str) -> str:
            return rng.choice([u for u in teams[MANAGER_OF[user]] if u != user])

        def age(registration: RegistrationData) -> int:
            return (as_of - registration.on).days

        protected = [
            r for r in registrations
            if r.released_on is None and age(r) < self.protection_days - 20
        ]  # fmt: skip
        disputes = []

        # Open: a teammate registers a protected prospect under a typo; their manager decides.
        recent = [r for r in protected if 12 <= age(r) <= 60] or protected
        target = rng.choice(recent)
        challenger = teammate(target.claimant)
        on = workday_back(
            as_of - dt.timedelta(days=rng.randint(1, max(1, min(6, age(target) - 1))))
        )
        disputes.append(DisputeData(
            challenger=challenger, name=self._variant(target.customer.name), region=target.customer.region,
            target=target.customer.name, on=max(on, target.on),
        ))  # fmt: skip

        # Kept: a teammate registers an active customer's company; the manager keeps it.
        active = [c for c in self.customers if c.status == CustomerStatus.ACTIVE
                  and c.owner in MANAGER_OF]  # fmt: skip
        customer = rng.choice(active)
        challenger = teammate(customer.owner)
        on = workday_back(as_of - dt.timedelta(days=rng.randint(25, 60)))
        decided_on = workday_back(on + dt.timedelta(days=rng.randint(1, 5)))
        people = {user.username: user.name for user in USERS}
        disputes.append(DisputeData(
            challenger=challenger, name=self._variant(customer.name), region=customer.region,
            target=customer.name, on=on, decision="keep", decided_by=MANAGER_OF[customer.owner],
            decided_on=decided_on,
            reason=KEEP_REASON.format(customer=customer.name, owner=people[customer.owner],
                                      challenger=people[challenger]),
        ))  # fmt: skip

        # Reassigned: someone from the other team knows the project better; the
        # administrator decides between the teams.
        older = [r for r in protected if r is not target and age(r) >= 40] or [
            r for r in protected if r is not target
        ]
        moved = rng.choice(older)
        challenger = rng.choice(
            [u for u in SALESPEOPLE if MANAGER_OF[u] != MANAGER_OF[moved.claimant]]
        )
        gap = rng.randint(
            min(10, age(moved) // 2), max(min(10, age(moved) // 2), min(25, age(moved) - 8))
        )
        on = workday_back(moved.on + dt.timedelta(days=gap))
        decided_on = workday_back(on + dt.timedelta(days=rng.randint(2, 6)))
        disputes.append(DisputeData(
            challenger=challenger, name=self._variant(moved.customer.name),
            region=moved.customer.region, target=moved.customer.name, on=max(on, moved.on),
            decision="reassign", decided_by="admin", decided_on=min(decided_on, as_of),
            reason=REASSIGN_REASON.format(challenger=people[challenger]),
        ))  # fmt: skip
        return disputes

    def _variant(self, name: str) -> str:
        """Another spelling of `name` the duplicate check takes for the same company: a
        homophone in the trade name, the region in brackets, or another legal form."""
        stem, legal = name, ""
        for form in sorted(LEGAL_FORMS.items, key=len, reverse=True):
            if name.endswith(form):
                stem, legal = name[: -len(form)], form
                break
        prefixes = sorted({region.prefix for region in REGIONS.items}, key=len, reverse=True)
        prefix = next((p for p in prefixes if stem.startswith(p)), "")
        core = stem[len(prefix) :]
        variants = []
        for index, char in enumerate(core[:2]):
            if char in HOMOPHONES:
                variants.append(
                    prefix + core[:index] + HOMOPHONES[char] + core[index + 1 :] + legal
                )
        if prefix:
            variants.append(f"{core}（{prefix}）{legal}")
        variants.append(stem + ("有限责任公司" if legal == "有限公司" else "有限公司"))
        for variant in variants:
            if variant != name and self._matches(variant) == [name]:
                return variant
        return variants[-1]


def generate_claims(
    *, seed: int, as_of: dt.date, customers: Sequence[EvalCustomer],
    taken_credit_codes: Iterable[str] = (), protection_days: int = 90,
) -> Claims:  # fmt: skip
    return ClaimsGenerator(
        seed=seed, as_of=as_of, customers=customers, taken_credit_codes=taken_credit_codes,
        protection_days=protection_days,
    ).claims()  # fmt: skip


def registered_customers(claims: Claims, first: int) -> list[EvalCustomer]:
    """The registered prospects as the archive numbers them (codes C<first> up, in the
    order registered), for a run without a database."""
    numbering = Numbering("C", first=first)
    return [
        EvalCustomer(
            code=numbering.code(index), name=r.customer.name, owner=r.claimant,
            status=CustomerStatus.PROSPECT.value, tier="", source=r.customer.source,
            region=r.customer.region, industry=r.customer.industry,
            contacts=tuple(EvalContact(k.name, k.title, k.role, k.decision_authority)
                           for k in r.customer.contacts),
            projects=(), since=r.on,
        )
        for index, r in enumerate(claims.registrations)
    ]  # fmt: skip


# Opportunities -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class OpportunityEvent:
    """One step of an opportunity's history, as a service call: qualify, assess, score,
    stage, reduce or touch, with the call's arguments."""

    at: dt.datetime
    action: str
    values: dict


@dataclasses.dataclass(frozen=True)
class OpportunityData:
    code: str
    customer: str
    owner: str
    name: str
    source: str
    value: Decimal
    expected_close: dt.date
    products: tuple[str, ...]
    competitors: str
    purchase_criteria: str
    spec_in_tender: bool
    created_at: dt.datetime
    events: tuple[OpportunityEvent, ...]

    def _last(self, action: str) -> OpportunityEvent | None:
        return next((e for e in reversed(self.events) if e.action == action), None)

    @property
    def stage(self) -> str:
        event = self._last("stage")
        return event.values["stage"] if event else Stage.LEAD.value

    @property
    def closed_on(self) -> dt.date | None:
        event = self._last("stage")
        if event is None or event.values["stage"] not in (Stage.WON, Stage.LOST, Stage.ABANDONED):
            return None
        return event.at.date()

    @property
    def factors(self) -> dict[int, int]:
        factors = {}
        for event in self.events:
            if event.action == "score":
                factors.update(event.values["factors"])
        return factors

    @property
    def reduced_on(self) -> dt.date | None:
        event = self._last("reduce")
        return event.at.date() if event else None

    @property
    def touches(self) -> list[dt.date]:
        return [e.at.date() for e in self.events if e.action == "touch"]


WON_SOURCES = (LeadSource.CUSTOMER_REFERRAL, LeadSource.FRIEND_REFERRAL, LeadSource.TENDER)
COLD_SOURCES = (
    LeadSource.COLD_CALL, LeadSource.WEB, LeadSource.YELLOW_PAGES, LeadSource.TRADE_JOURNAL,
    LeadSource.OTHER,
)  # fmt: skip
OPEN_STAGE_QUOTAS = (
    (Stage.LEAD, 18), (Stage.QUALIFIED, 18), (Stage.PROPOSAL, 17), (Stage.NEGOTIATION, 15),
)  # fmt: skip
WON, LOST, ABANDONED, REDUCED = 20, 14, 8, 10
# Complete risk forms among the open opportunities of each stage (the reduced ones and
# the closed ones all have one): about four in five overall.
COMPLETE_FORMS = {Stage.LEAD: 5, Stage.QUALIFIED: 13, Stage.PROPOSAL: 15, Stage.NEGOTIATION: 14}
# The class an open opportunity's form earns, by stage: deals in negotiation are mostly
# close and likely, new leads mostly far off or failing.
CLASSES = {
    Stage.LEAD: Weighted([("A", 5), ("B", 25), ("C", 10), ("D", 30), ("fail", 30)]),
    Stage.QUALIFIED: Weighted([("A", 10), ("B", 30), ("C", 15), ("D", 30), ("fail", 15)]),
    Stage.PROPOSAL: Weighted([("A", 25), ("B", 20), ("C", 25), ("D", 20), ("fail", 10)]),
    Stage.NEGOTIATION: Weighted([("A", 45), ("B", 10), ("C", 35), ("D", 5), ("fail", 5)]),
}
# The sum of the seven factors (each 1-5) per band, with equal weights: 23 scores 57.1
# (fails the default 60), 24 scores 60.7, 27 scores 71.4, 28 scores 75.0 (A or B).
BAND_SUMS = {"fail": (13, 23), "mid": (24, 27), "high": (28, 33)}
BAND_OF_CLASS = {"A": "high", "B": "high", "C": "mid", "D": "mid", "fail": "fail"}
TIER_WEIGHT = {Tier.STRATEGIC: 4.0, Tier.KEY: 2.5, Tier.GENERAL: 1.5, "": 1.5}
PROSPECT_WEIGHT = 2.0

REGION_OF = {}
for _region in REGIONS.items:
    REGION_OF.setdefault(_region.region, _region)

NAME_SUFFIXES = Weighted([
    ("商品混凝土供应", 40), ("混凝土采购", 20), ("主体结构混凝土供货", 15), ("预拌砂浆供应", 8),
    ("混凝土年度供货协议", 10), ("水泥及混凝土供应", 7),
])  # fmt: skip
COMPETITORS = (
    "京冀商砼", "城发混凝土", "永兴搅拌站", "宏基建材", "华北新材商砼", "鑫源商砼", "中恒混凝土",
    "路通建材", "冀中商砼", "当地民营小搅拌站",
)  # fmt: skip
CRITERIA = (
    "价格", "供货保障（高峰期日供2000方以上）", "账期（月结60天）", "运距和到场时间",
    "质量稳定、资质齐全", "泵送服务", "驻场技术服务", "同时供应砂浆", "冬季施工保障",
    "绿色搅拌站、环保达标",
)  # fmt: skip

NEED_EVIDENCE = (
    "项目已开工，主体结构预计用混凝土约{volume}万方，{month}月进入浇筑高峰",
    "甲方正在组织混凝土供应招标，我方已领取招标文件",
    "现供应商高峰期断供两次，甲方主动询价",
    "二期已取得施工许可证，计划{month}月开工",
    "甲方年度采购计划列有该项目，方量约{volume}万方",
)
BUDGET_YES = (
    "项目为政府投资，资金已纳入年度预算",
    "甲方上月按时支付了一期工程款，资金情况良好",
    "开发贷已到位，合同约定月结{days}天",
    "总包单位为央企子公司，资金实力强，要求账期{days}天",
)
BUDGET_NO = (
    "甲方资金紧张，提出竣工后一年内付清",
    "开发商资金链紧张，已有供应商被拖欠货款",
)
DECIDER_KNOWN = (
    "{name}（{title}）拍板，采购部只负责比价",
    "由{name}（{title}）主持定标会，我方已当面汇报",
    "{name}（{title}）签字确定供应商，已拜访两次",
)
DECIDER_UNKNOWN = (
    "只接触到{name}（{title}），决策人尚未见到",
    "甲方由集团统一定标，谁拍板尚不清楚",
)
REAL_YES = (
    "项目已开工，需求明确",
    "已列入甲方年度采购计划，招标公告已发布",
    "甲方已发出询价函，要求两周内报价",
)
REAL_UNKNOWN = "甲方只是询价比较，尚无明确时间表"
WIN_YES = (
    "运距约{km}公里，在我方经济供货半径内；技术方案获甲方认可",
    "我方在该区域有在供项目，供货保障能力强于对手",
    "甲方技术负责人是我方老客户，对我方质量认可",
)
WIN_NO = (
    "现供应商为甲方关联企业，进入难度大",
    "对手报价低且承诺长账期，我方难以跟进",
)
WORTH_YES = (
    "方量大、毛利可观",
    "可作为{region}区域的样板工程，带动周边项目",
    "甲方回款记录好，风险低",
)
WORTH_NO = ("价格压得太低，预计毛利不足10元/方", "账期太长，资金占用过大")
RESOURCES = (
    "技术部出具配合比方案，派驻场试验员1名",
    "高峰期调配2台泵车、10辆罐车",
    "需经理出面拜访甲方决策人",
    "需财务评估账期和授信额度",
    "北区搅拌站备料，保证夜间连续供应",
)
NEXT_STEPS = (
    "本周提交报价单；下周安排甲方总工到搅拌站考察",
    "跟进招标公告，准备资格预审资料",
    "约采购经理商谈付款方式",
    "提交样品试配报告，争取写入技术标准",
    "请经理一起拜访甲方总经理",
)
RISK_LOW = {
    1: "甲方规模小，预算尚未落实",
    2: "甲方资金紧张，付款周期可能超过一年",
    3: "需要高抛免振等特殊配合比，我方经验不足",
    4: "现供应商与甲方关系牢固",
    5: "对手报价低约15元/方，我方价格无优势",
    6: "运距远、价格低，毛利很薄",
    7: "一次性项目，后续合作机会少",
}
RISK_HIGH = {
    1: "集团重点工程，预算充足",
    2: "国企总包，历史回款及时",
    3: "我方配合比已在同类项目验证",
    4: "甲方对现供应商不满，主动接触我方",
    5: "运距最近，供货保障优于对手",
    6: "价格合理，毛利可观",
    7: "区域标志性项目，可带动周边业务",
}
WON_REASONS = (
    "技术方案获甲方总工认可，价格合理，签订供货合同",
    "老客户推荐，信任度高，顺利签约",
    "供货保障能力强于对手，甲方定标选择我方",
)
SPEC_WON_REASON = "我方技术规格写入招标文件，顺利中标"
LOST_REASONS = (
    "价格高于中标单位约15元/方",
    "对手承诺账期更长，甲方选择对手",
    "甲方最终指定集团内部搅拌站供货",
    "运距超过对手，到场时间无优势",
)
ABANDON_REASONS = "风险评估未通过（{score}分），放弃：{why}"
REDUCE_REASONS = "风险评估未通过（{score}分），降低接触级别：{why}"
TOUCH_NOTES = (
    "电话问候{name}，项目仍在前期手续阶段",
    "微信发送公司新产品资料，{name}表示收到",
    "节前短暂拜访，暂无采购计划",
    "电话了解到项目资金仍未落实，继续保持联系",
)


def _sample_weighted(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """k items without replacement, each drawn with its weight (Efraimidis-Spirakis)."""
    keyed = sorted(
        ((rng.random() ** (1 / weight), index) for index, weight in enumerate(weights)),
        reverse=True,
    )
    return [items[index] for _key, index in keyed[:k]]


def _in_order(created_at: dt.datetime, events: list[OpportunityEvent]) -> tuple:
    """The events with their times made to follow each other (several fall on one day)."""
    ordered, last = [], created_at
    for event in events:
        at = event.at if event.at > last else last + dt.timedelta(minutes=7)
        ordered.append(dataclasses.replace(event, at=at))
        last = at
    return tuple(ordered)


def _score_of(total: int) -> Decimal:
    """The published score of a factor sum with equal weights (for the notes)."""
    return (Decimal(total - 7) * 100 / 28).quantize(Decimal("0.1"))


@dataclasses.dataclass
class _Plan:
    customer: EvalCustomer
    source: str
    fate: str  # won, lost, abandoned, reduced, open
    stage: str  # the open stage, for open ones
    complete: bool = True
    klass: str = ""  # A, B, C, D, fail, for open ones with a complete form


class PipelineGenerator:
    """About 120 opportunities over the salespeople's active and prospect customers."""

    def __init__(self, *, seed: int, as_of: dt.date, customers: Sequence[EvalCustomer]):
        self.rng = random.Random(f"{seed}/pipeline")
        self.as_of = as_of
        self.last_day = workday_back(as_of - dt.timedelta(days=1))
        self.customers = sorted(
            (c for c in customers
             if c.status in (CustomerStatus.ACTIVE, CustomerStatus.PROSPECT)
             and c.owner in MANAGER_OF),
            key=lambda c: c.code,
        )  # fmt: skip
        self.words = Generator(seed=seed, as_of=as_of)
        self.words.rng = self.rng

    def opportunities(self) -> list[OpportunityData]:
        if not self.customers:
            return []
        drafts = [self._opportunity(plan) for plan in self._plans()]
        drafts.sort(key=lambda d: (d["created_at"], d["customer"]))
        numbering = Numbering("O")
        return [
            OpportunityData(code=numbering.code(index), **draft)
            for index, draft in enumerate(drafts)
        ]

    # Plan ---------------------------------------------------------------------------

    def _plans(self) -> list[_Plan]:
        rng = self.rng
        weights = [
            PROSPECT_WEIGHT if c.status == CustomerStatus.PROSPECT else TIER_WEIGHT.get(c.tier, 1.5)
            for c in self.customers
        ]
        picks = rng.choices(self.customers, weights=weights, k=OPPORTUNITIES)
        plans = []
        for customer in picks:
            source = (
                customer.source if customer.source and rng.random() < 0.6 else SOURCES.pick(rng)
            )
            plans.append(_Plan(customer, source, "open", Stage.LEAD.value))

        def won_weight(plan: _Plan) -> float:
            weight = 5.0 if plan.source in WON_SOURCES else 1.0
            if plan.source in (LeadSource.TRADE_SHOW, LeadSource.NON_COMPETING_SALES):
                weight = 2.0
            return weight * (0.3 if plan.customer.status == CustomerStatus.PROSPECT else 1.0)

        def cold_weight(plan: _Plan) -> float:
            return 3.0 if plan.source in COLD_SOURCES else 1.0

        rest = list(plans)
        for fate, count, weight in (
            ("won", WON, won_weight), ("failed", ABANDONED + REDUCED, cold_weight),
            ("lost", LOST, cold_weight),
        ):  # fmt: skip
            chosen = _sample_weighted(rng, rest, [weight(p) for p in rest], count)
            for index, plan in enumerate(chosen):
                plan.fate = (
                    fate if fate != "failed" else ("abandoned" if index < ABANDONED else "reduced")
                )
            rest = [p for p in rest if p.fate == "open"]
        stages = [stage.value for stage, count in OPEN_STAGE_QUOTAS for _ in range(count)]
        rng.shuffle(stages)
        by_stage = defaultdict(list)
        for plan, stage in zip(rest, stages, strict=True):
            plan.stage = stage
            by_stage[stage].append(plan)
        for stage, group in by_stage.items():
            complete = [i < COMPLETE_FORMS[stage] for i in range(len(group))]
            rng.shuffle(complete)
            for plan, whole in zip(group, complete, strict=True):
                plan.complete = whole
                plan.klass = CLASSES[stage].pick(rng) if whole else ""
        return plans

    # One opportunity ----------------------------------------------------------------

    def _days(self, first: dt.date, last: dt.date, count: int) -> list[dt.date]:
        """`count` working days from `first` to `last`, in order (repeats allowed)."""
        days = working_days(first, last) or [last]
        return sorted(self.rng.choice(days) for _ in range(count))

    def _opportunity(self, plan: _Plan) -> dict:
        rng, as_of, customer = self.rng, self.as_of, plan.customer
        fate = plan.fate
        band = self._band(plan)
        factors = self._factors(band) if band else None
        partial = None
        if factors is None and rng.random() < 0.5:
            partial = {
                n: rng.randint(1, 5) for n in sorted(rng.sample(range(1, 8), rng.randint(2, 5)))
            }
        since = customer.since or as_of - dt.timedelta(days=400)

        def back(low: int, high: int, start: dt.date = as_of) -> dt.date:
            return max(since, workday_back(start - dt.timedelta(days=rng.randint(low, high))))

        steps: list[str] = ["qualify"]
        close_day = touch_days = reduce_day = None
        if fate in ("won", "lost"):
            close_day = back(3, 180)
            created = back(35, 160, close_day)
            steps += ["stage:qualified", "assess", "score", "stage:proposal"]
            if rng.random() < (0.7 if fate == "won" else 0.5):
                steps.append("stage:negotiation")
        elif fate == "abandoned":
            created = back(25, 220)
            close_day = min(
                self.last_day, workday_back(created + dt.timedelta(days=rng.randint(12, 60)))
            )
            steps += (["stage:qualified"] if rng.random() < 0.5 else []) + ["assess", "score"]
        elif fate == "reduced":
            created, reduce_day, touch_days = self._reduced_dates(since)
            steps += (["stage:qualified"] if rng.random() < 0.5 else []) + ["assess", "score"]
        else:
            oldest = {"lead": 75, "qualified": 150, "proposal": 200, "negotiation": 260}[plan.stage]
            created = back(3 if plan.stage == Stage.LEAD else 20, oldest)
            later = {"lead": [], "qualified": [], "proposal": ["stage:proposal"],
                     "negotiation": ["stage:proposal", "stage:negotiation"]}[plan.stage]  # fmt: skip
            if plan.stage == Stage.LEAD:
                if rng.random() < 0.3:
                    steps = []  # a fresh lead, nothing checked yet
                steps += ["assess"] if rng.random() < 0.35 else []
            else:
                steps.append("stage:qualified")
                steps += ["assess"] if rng.random() < 0.92 else []
            steps += (["score"] if factors or partial else []) + later
        created = min(created, self.last_day)
        end = close_day or reduce_day or self.last_day
        days = self._days(created, max(created, end), len(steps))

        expected_close = self._expected_close(plan, factors, created, close_day)
        total = sum(factors.values()) if factors else None
        values = self._details(plan, factors)
        created_at = _at(created, rng)
        events = []
        for step, day in zip(steps, days, strict=True):
            events.append(self._event(step, day, plan, factors or partial, values))
        if fate in ("won", "lost", "abandoned"):
            stage = {"won": Stage.WON, "lost": Stage.LOST, "abandoned": Stage.ABANDONED}[fate]
            events.append(OpportunityEvent(_at(close_day, rng), "stage", {
                "stage": stage.value, "reason": self._close_reason(fate, values, factors, total),
            }))  # fmt: skip
        if fate == "reduced":
            why = RISK_LOW[min(factors, key=lambda n: (factors[n], n))]
            events.append(OpportunityEvent(_at(reduce_day, rng), "reduce", {
                "reason": REDUCE_REASONS.format(score=_score_of(total), why=why)}))  # fmt: skip
            contacts = customer.contacts
            for day in touch_days:
                name = rng.choice(contacts).name if contacts else "甲方"
                events.append(OpportunityEvent(_at(day, rng), "touch", {
                    "note": rng.choice(TOUCH_NOTES).format(name=name)}))  # fmt: skip
        return {
            "customer": customer.code, "owner": customer.owner, "name": values["name"],
            "source": plan.source, "value": values["value"], "expected_close": expected_close,
            "products": values["products"], "competitors": values["competitors"],
            "purchase_criteria": values["purchase_criteria"],
            "spec_in_tender": values["spec_in_tender"],
            "created_at": created_at, "events": _in_order(created_at, events),
        }  # fmt: skip

    def _band(self, plan: _Plan) -> str | None:
        rng = self.rng
        if plan.fate == "won":
            return "high" if rng.random() < 0.7 else "mid"
        if plan.fate == "lost":
            draw = rng.random()
            return "high" if draw < 0.35 else "mid" if draw < 0.85 else "fail"
        if plan.fate in ("abandoned", "reduced"):
            return "fail"
        return BAND_OF_CLASS[plan.klass] if plan.complete else None

    def _factors(self, band: str) -> dict[int, int]:
        """Seven factor scores summing to a total in the band: a weakness or two in a
        poor deal, a strength or two in a good one, the rest around 3."""
        rng = self.rng
        low, high = BAND_SUMS[band]
        target = rng.randint(low, high)
        scores = [3] * 7
        pinned = rng.sample(range(7), rng.randint(0, 2))
        for index in pinned:
            scores[index] = rng.randint(1, 2) if band == "fail" else rng.randint(4, 5)
        while sum(scores) != target:
            step = 1 if sum(scores) < target else -1
            free = [i for i in range(7) if 1 <= scores[i] + step <= 5 and i not in pinned]
            free = free or [i for i in range(7) if 1 <= scores[i] + step <= 5]
            scores[rng.choice(free)] += step
        return {n + 1: score for n, score in enumerate(scores)}

    def _reduced_dates(self, since: dt.date) -> tuple[dt.date, dt.date, list[dt.date]]:
        """Created, reduced on, and touches: some due now (reduced or last touched over
        90 days ago), most not."""
        rng, as_of = self.rng, self.as_of
        kind = rng.choice(("due", "due_touched", "touched", "touched", "recent", "recent"))

        def ago(low: int, high: int) -> dt.date:
            return max(since, workday_back(as_of - dt.timedelta(days=rng.randint(low, high))))

        touches = []
        if kind == "due":
            reduced = ago(92, 150)
        elif kind == "due_touched":
            reduced = ago(200, 300)
            touches = [ago(95, 130)]
        elif kind == "touched":
            reduced = ago(120, 300)
            day = reduced
            while (as_of - day).days > 85:
                day = workday_back(day + dt.timedelta(days=rng.randint(60, 88)))
                touches.append(min(day, self.last_day))
        else:
            reduced = ago(5, 80)
        created = max(since, workday_back(reduced - dt.timedelta(days=rng.randint(10, 45))))
        return created, max(reduced, created), [t for t in touches if t > reduced]

    def _expected_close(self, plan, factors, created, close_day) -> dt.date:
        rng, as_of = self.rng, self.as_of
        if close_day is not None and plan.fate in ("won", "lost"):
            return close_day + dt.timedelta(days=rng.randint(-20, 10))
        if plan.fate in ("abandoned", "reduced"):
            return created + dt.timedelta(days=rng.randint(90, 300))
        if plan.klass in ("A", "C"):
            return as_of + dt.timedelta(days=rng.randint(-25, 90))  # some already slipping
        if plan.klass in ("B", "D"):
            return as_of + dt.timedelta(days=rng.randint(95, 300))
        return as_of + dt.timedelta(days=rng.randint(-20, 240))

    def _details(self, plan: _Plan, factors: dict[int, int] | None) -> dict:
        rng, customer = self.rng, plan.customer
        region = REGION_OF.get(customer.region, REGIONS.items[0])
        industry = customer.industry if customer.industry in _KNOWN_INDUSTRIES else "建筑施工"
        suffix = NAME_SUFFIXES.pick(rng)
        name = f"{self.words._project_name(region, industry)}{suffix}"
        value = Decimal(round(math.exp(rng.uniform(math.log(20), math.log(800))))) * 10_000
        main = rng.choice((C25, C30, C30, C30, C35, C35, C40))
        products = [main.name]
        if rng.random() < 0.5:
            products.append(rng.choice([g for g in (C25, C30, C35, C40) if g is not main]).name)
        if "砂浆" in suffix or rng.random() < 0.25:
            products.append(MORTAR.name)
        if "水泥" in suffix or rng.random() < 0.05:
            products.append(CEMENT.name)
        rivals = rng.sample(COMPETITORS, rng.randint(1, 3))
        if factors and factors[4] <= 2:
            rivals[0] += "（现供应商）"
        criteria = rng.sample(CRITERIA, rng.randint(2, 4))
        spec = (
            (plan.source == LeadSource.TENDER or plan.fate == "won"
             or plan.stage in (Stage.PROPOSAL, Stage.NEGOTIATION))
            and plan.fate not in ("abandoned", "reduced")
            and rng.random() < 0.3
        )  # fmt: skip
        return {
            "name": name[:200], "value": value.quantize(Decimal("0.01")),
            "products": tuple(products), "competitors": "、".join(rivals),
            "purchase_criteria": "甲方看重：" + "、".join(criteria), "spec_in_tender": spec,
            "region": region.prefix,
        }  # fmt: skip

    def _event(self, step: str, day: dt.date, plan: _Plan, factors, details) -> OpportunityEvent:
        rng = self.rng
        at = _at(day, rng)
        if step.startswith("stage:"):
            return OpportunityEvent(at, "stage", {"stage": step[6:], "reason": ""})
        if step == "qualify":
            return OpportunityEvent(at, "qualify", self._qualification(plan))
        if step == "assess":
            return OpportunityEvent(at, "assess", self._questions(plan, factors, details))
        notes = ""
        if factors and len(factors) == 7:
            lows = [RISK_LOW[n] for n in sorted(factors) if factors[n] <= 2]
            highs = [RISK_HIGH[n] for n in sorted(factors) if factors[n] == 5]
            notes = "；".join((lows + highs)[:3])
        return OpportunityEvent(at, "score", {"factors": dict(factors), "notes": notes})

    def _qualification(self, plan: _Plan) -> dict:
        rng, customer = self.rng, plan.customer
        month = rng.randint(1, 12)
        need_text = rng.choice(NEED_EVIDENCE).format(volume=rng.randint(1, 12), month=month)
        days = rng.choice((30, 60, 90))
        decider = customer.decider
        lead = plan.fate == "open" and plan.stage == Stage.LEAD

        need = True if not lead or rng.random() < 0.7 else None
        if plan.fate in ("abandoned", "reduced") and rng.random() < 0.5:
            budget = False
        elif lead and rng.random() < 0.5:
            budget = None
        else:
            budget = True
        if decider is not None and rng.random() < 0.85:
            known = True
            who = rng.choice(DECIDER_KNOWN).format(name=decider.name, title=decider.title)
        elif lead and rng.random() < 0.5:
            known, who = None, ""
        else:
            known = False
            adviser = next((c for c in customer.contacts if not c.decides), None)
            template = DECIDER_UNKNOWN[0] if adviser else DECIDER_UNKNOWN[1]
            who = template.format(name=adviser.name, title=adviser.title) if adviser else template
        budget_text = ""
        if budget is True:
            budget_text = rng.choice(BUDGET_YES).format(days=days)
        elif budget is False:
            budget_text = rng.choice(BUDGET_NO)
        return {
            "need": need, "need_evidence": need_text if need else "",
            "budget": budget, "budget_evidence": budget_text,
            "decision_maker_known": known, "decision_maker_evidence": who,
        }  # fmt: skip

    def _questions(self, plan: _Plan, factors, details) -> dict:
        rng = self.rng
        whole = factors if factors and len(factors) == 7 else None
        lead = plan.fate == "open" and plan.stage == Stage.LEAD
        real = True if not lead or rng.random() < 0.6 else None
        win = (whole[4] + whole[5] >= 6) if whole else (True if rng.random() < 0.6 else None)
        worth = (whole[6] + whole[7] >= 6) if whole else (True if rng.random() < 0.7 else None)
        return {
            "is_real": real,
            "is_real_notes": rng.choice(REAL_YES) if real else REAL_UNKNOWN,
            "can_win": win,
            "can_win_notes": (rng.choice(WIN_YES).format(km=rng.randint(8, 35)) if win
                              else rng.choice(WIN_NO) if win is False else ""),
            "worth_winning": worth,
            "worth_winning_notes": (rng.choice(WORTH_YES).format(region=details["region"]) if worth
                                    else rng.choice(WORTH_NO) if worth is False else ""),
            "resources": "；".join(rng.sample(RESOURCES, 2)),
            "next_steps": rng.choice(NEXT_STEPS),
        }  # fmt: skip

    def _close_reason(self, fate: str, details: dict, factors, total) -> str:
        rng = self.rng
        if fate == "won":
            return SPEC_WON_REASON if details["spec_in_tender"] else rng.choice(WON_REASONS)
        if fate == "lost":
            return rng.choice(LOST_REASONS)
        why = RISK_LOW[min(factors, key=lambda n: (factors[n], n))]
        return ABANDON_REASONS.format(score=_score_of(total), why=why)


_KNOWN_INDUSTRIES = {
    "建筑施工",
    "公路桥梁",
    "市政工程",
    "房地产开发",
    "商品混凝土",
    "建材贸易",
    "水利水电",
    "设备安装",
}


def generate_pipeline(
    *, seed: int, as_of: dt.date, customers: Sequence[EvalCustomer]
) -> list[OpportunityData]:
    return PipelineGenerator(seed=seed, as_of=as_of, customers=customers).opportunities()


# Visits --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VisitRule:
    """A tier's visit frequency (policy tier.<tier>.visits_required and visit_period)."""

    required: int
    period: str  # month or quarter


DEFAULT_VISIT_RULES = {
    Tier.STRATEGIC.value: VisitRule(2, MONTH),
    Tier.KEY.value: VisitRule(1, MONTH),
    Tier.GENERAL.value: VisitRule(1, QUARTER),
}


@dataclasses.dataclass(frozen=True)
class CommitmentData:
    what: str
    who: str  # a contact's name, or who on the customer's side
    due: dt.date
    done_on: dt.date | None = None
    done_note: str = ""


@dataclasses.dataclass(frozen=True)
class VisitData:
    customer: str
    salesperson: str
    date: dt.date
    logged_at: dt.datetime
    outcome: str
    purpose: str
    notes: str
    contacts: tuple[str, ...]  # names of the customer's contacts met
    project: str | None
    next_step: str
    next_step_due: dt.date | None
    satisfaction: int | None
    manager_involved: bool
    commitment: CommitmentData | None

    @property
    def key(self) -> tuple[str, str, dt.date]:
        return (self.customer, self.salesperson, self.date)


@dataclasses.dataclass
class _Visit:
    customer: EvalCustomer
    salesperson: str
    date: dt.date
    kind: str = "routine"  # routine, development, or opportunity:<stage>
    opportunity: str = ""
    manager_involved: bool = False


ROUTINE_PURPOSES = (
    "例行回访", "了解项目进度和下月用量", "对账与回款沟通", "供货情况回访", "高峰期供货协调",
    "质量问题处理：坍落度偏差", "冬季施工保障方案交流", "技术交流：{grade}配合比",
)  # fmt: skip
DEVELOPMENT_PURPOSES = (
    "新项目需求摸底",
    "介绍公司及三个搅拌站的供货能力",
    "了解招标计划",
    "拜访决策人",
)
OPPORTUNITY_PURPOSES = {
    "lead": "{name}：初次拜访，了解需求",
    "qualified": "{name}：确认方量和开工计划",
    "proposal": "{name}：技术交流并提交方案",
    "negotiation": "{name}：商务谈判",
    "won": "{name}：签订供货合同",
    "lost": "{name}：了解定标结果",
}
OPPORTUNITY_COMMITMENTS = {
    "lead": ("提供项目概况和混凝土方量清单", ("technical", "manager")),
    "qualified": ("提供施工图纸和开工计划", ("technical", "manager")),
    "proposal": ("确认技术要求并反馈我方报价意见", ("technical", "procurement")),
    "negotiation": ("安排合同条款谈判并确定付款方式", ("decision_maker", "procurement")),
}
COMMITMENTS = (
    ("提供下月混凝土用量计划", ("procurement", "manager")),
    ("签回上月对账单", ("procurement",)),
    ("安排支付上月货款", ("decision_maker", "procurement")),
    ("组织技术部与我方进行配合比交流", ("technical",)),
    ("提供施工图纸及混凝土方量清单", ("technical", "user")),
    ("带我方踏勘现场泵车站位和运输道路", ("user",)),
    ("引荐集团采购中心负责人", ("decision_maker", "manager")),
    ("确认报价单并反馈意见", ("procurement", "manager")),
    ("提供试块送检结果", ("technical", "user")),
    ("确定下一标段的供货份额", ("decision_maker",)),
)
CONTINUATION_NOTES = (
    "客户表示近期没有新增方量，保持联系。",
    "对价格仍有顾虑，需内部讨论后答复。",
    "项目手续尚未办完，开工时间待定。",
    "采购经理出差，只与现场人员交流了供货情况。",
    "客户对近期供货基本满意，提出高峰期需增加罐车。",
    "客户反映上周一车混凝土到场晚了40分钟，已解释并承诺改进。",
)
ORDER_NOTES = (
    "客户确认追加{grade}约{volume}方，已通知调度排产。",
    "客户下达下月供货计划，{grade}约{volume}方。",
)
NO_SALE_NOTES = (
    "客户已与其他搅拌站签订全年供货协议，本项目不再采购。",
    "客户因资金问题暂停项目，取消采购计划。",
)
NEXT_STEP_TEXTS = (
    "三天内提交正式报价", "安排技术员到现场取样", "整理对账单送客户签章", "邀请客户总工来站考察",
    "跟进招标文件发布", "与调度确认高峰期车辆安排", "准备样板工程资料",
)  # fmt: skip
DONE_NOTES = ("已按约定完成", "已落实", "客户已按时办理", "")
SATISFACTION = Weighted([(5, 35), (4, 45), (3, 15), (2, 5)])
# Outcomes of the routine visits (opportunity visits follow their step): orders and
# no-sales are rare (DOMAIN §4: under 10% of big-account calls).
OUTCOMES = Weighted([
    (Outcome.ADVANCE.value, 38), (Outcome.CONTINUATION.value, 57.5), (Outcome.ORDER.value, 3),
    (Outcome.NO_SALE.value, 1.5),
])  # fmt: skip


class VisitGenerator:
    """Visits over the last `months` calendar months (to `as_of`) by the owners of the
    customers: to the tier frequencies, to work the opportunities, and a few to prospects
    and dormant customers. General customers are visited from the start of the quarter
    the window begins in, so every quarter assessed is whole."""

    def __init__(
        self,
        *,
        seed: int,
        as_of: dt.date,
        customers: Sequence[EvalCustomer],
        opportunities: Sequence[OpportunityData] = (),
        rules: Mapping[str, VisitRule] = DEFAULT_VISIT_RULES,
        months: int = VISIT_MONTHS,
    ):
        self.rng = random.Random(f"{seed}/visits")
        self.as_of = as_of
        self.start = month_start(as_of, 1 - months)
        self.customers = sorted(
            (c for c in customers if c.owner in MANAGER_OF), key=lambda c: c.code
        )
        self.opportunities = sorted(opportunities, key=lambda o: o.code)
        self.rules = rules

    def visits(self) -> list[VisitData]:
        rng = self.rng
        # How dutifully each salesperson keeps to the frequencies.
        self.diligence = {user: rng.uniform(0.72, 0.95) for user in SALESPEOPLE}
        self.drafts: dict[tuple[str, str, dt.date], _Visit] = {}
        self.of_customer: dict[str, list[_Visit]] = defaultdict(list)
        by_code = {c.code: c for c in self.customers}
        for opportunity in self.opportunities:
            customer = by_code.get(opportunity.customer)
            if customer is not None and customer.owner == opportunity.owner:
                self._opportunity_visits(opportunity, customer)
        for customer in self.customers:
            if customer.status == CustomerStatus.ACTIVE:
                self._frequency_visits(customer)
            else:
                self._other_visits(customer)
        return [self._visit(draft) for _key, draft in sorted(self.drafts.items())]

    def _add(self, customer: EvalCustomer, day: dt.date, **fields) -> _Visit | None:
        if day > self.as_of or day < max(self.start, customer.since or self.start):
            return None
        key = (customer.code, customer.owner, day)
        if key not in self.drafts:
            self.drafts[key] = _Visit(customer, customer.owner, day, **fields)
            self.of_customer[customer.code].append(self.drafts[key])
        return self.drafts[key]

    def _opportunity_visits(self, opportunity: OpportunityData, customer: EvalCustomer) -> None:
        """A visit at each step forward: the first call, each stage reached, the order
        or the news of a loss."""
        if self.rng.random() < 0.6:
            self._add(customer, opportunity.created_at.date(), kind="opportunity:lead",
                      opportunity=opportunity.name)  # fmt: skip
        for event in opportunity.events:
            stage = event.values.get("stage") if event.action == "stage" else None
            if stage in OPPORTUNITY_PURPOSES:
                self._add(customer, event.at.date(), kind=f"opportunity:{stage}",
                          opportunity=opportunity.name)  # fmt: skip

    def _frequency_visits(self, customer: EvalCustomer) -> None:
        rng = self.rng
        tier = customer.tier or Tier.GENERAL.value
        rule = self.rules.get(tier)
        if rule is None or rule.required <= 0:
            return
        diligence = self.diligence.get(customer.owner, 0.85)
        if rng.random() < 0.1:  # a customer the salesperson neglects
            diligence *= 0.4
        first, _end = period_bounds(self.start, rule.period)
        while first <= self.as_of:
            start, end = period_bounds(first, rule.period)
            met = rng.random() < diligence
            if met:
                wanted = rule.required + int(rng.random() < 0.35)
            else:
                wanted = rng.randint(0, rule.required - 1)
            mine = [d for d in self.of_customer[customer.code] if start <= d.date <= end]
            taken = {d.date for d in mine}
            free = [day for day in working_days(start, end) if day not in taken]
            for day in sorted(rng.sample(free, min(len(free), max(0, wanted - len(mine))))):
                if (visit := self._add(customer, day)) is not None:
                    mine.append(visit)
            if tier == Tier.STRATEGIC and met and rng.random() < 0.85:
                done = sorted((d for d in mine if d.date <= self.as_of), key=lambda d: d.date)
                if done:
                    rng.choice(done).manager_involved = True
            first = end + dt.timedelta(days=1)

    def _other_visits(self, customer: EvalCustomer) -> None:
        """Development calls at prospects, now and then one at a dormant customer."""
        rng = self.rng
        chance = {CustomerStatus.PROSPECT: 0.5, CustomerStatus.DORMANT: 0.15}.get(
            customer.status, 0
        )
        if rng.random() >= chance:
            return
        first = max(self.start, customer.since or self.start)
        days = working_days(first, self.as_of)
        for day in rng.sample(days, min(len(days), rng.randint(1, 2))):
            self._add(customer, day, kind="development")

    # Content ------------------------------------------------------------------------

    def _visit(self, draft: _Visit) -> VisitData:
        rng, customer = self.rng, draft.customer
        stage = draft.kind.split(":", 1)[1] if draft.kind.startswith("opportunity:") else None
        if stage is not None:
            if stage == "won":
                outcome = Outcome.ORDER.value
            elif stage == "lost":
                outcome = Outcome.NO_SALE.value
            elif stage == "lead" and rng.random() < 0.5:
                outcome = Outcome.CONTINUATION.value
            else:
                outcome = Outcome.ADVANCE.value
            purpose = OPPORTUNITY_PURPOSES[stage].format(name=draft.opportunity)
        else:
            outcome = OUTCOMES.pick(rng)
            if outcome == Outcome.ORDER and not customer.projects:
                outcome = Outcome.CONTINUATION.value
            pool = DEVELOPMENT_PURPOSES if draft.kind == "development" else ROUTINE_PURPOSES
            purpose = rng.choice(pool).format(grade=rng.choice((C30, C35, C40)).name)
        strategic = customer.tier == Tier.STRATEGIC and customer.status == CustomerStatus.ACTIVE
        contacts = self._met(customer, draft.manager_involved)
        grade = rng.choice((C25, C30, C30, C35, C40)).name
        commitment, notes = None, ""
        if outcome == Outcome.ADVANCE:
            commitment = self._commitment(draft, stage, contacts)
            due = commitment.due
            notes = f"客户同意{commitment.what}，由{commitment.who}负责，{due.month}月{due.day}日前完成。"
        elif outcome == Outcome.CONTINUATION:
            notes = rng.choice(CONTINUATION_NOTES)
        elif outcome == Outcome.ORDER:
            notes = rng.choice(ORDER_NOTES).format(grade=grade, volume=rng.randint(3, 40) * 50)
        else:
            notes = rng.choice(NO_SALE_NOTES)
        if draft.manager_involved:
            notes += "销售经理一同拜访。"
        next_step, next_due = "", None
        if outcome in (Outcome.ADVANCE, Outcome.CONTINUATION) and rng.random() < 0.5:
            next_step = rng.choice(NEXT_STEP_TEXTS)
            next_due = draft.date + dt.timedelta(days=rng.randint(3, 20))
        satisfaction = SATISFACTION.pick(rng) if strategic and rng.random() < 0.9 else None
        project = None
        if customer.projects and rng.random() < 0.6:
            project = rng.choice(customer.projects)
        return VisitData(
            customer=customer.code, salesperson=draft.salesperson, date=draft.date,
            logged_at=_at(draft.date, rng, 17, 20), outcome=outcome, purpose=purpose[:200],
            notes=notes, contacts=tuple(c.name for c in contacts), project=project,
            next_step=next_step, next_step_due=next_due, satisfaction=satisfaction,
            manager_involved=draft.manager_involved, commitment=commitment,
        )  # fmt: skip

    def _met(self, customer: EvalCustomer, with_manager: bool) -> list[EvalContact]:
        rng, contacts = self.rng, list(customer.contacts)
        if not contacts:
            return []
        met = rng.sample(contacts, 1 if len(contacts) == 1 or rng.random() < 0.6 else 2)
        decider = customer.decider
        if with_manager and decider is not None and decider not in met:
            met.append(decider)  # the manager calls on the one who decides
        return sorted(met, key=contacts.index)

    def _commitment(self, draft: _Visit, stage: str | None, contacts) -> CommitmentData:
        rng, as_of = self.rng, self.as_of
        what, roles = OPPORTUNITY_COMMITMENTS.get(stage) or rng.choice(COMMITMENTS)
        fitting = [c for c in contacts if c.role in roles] or contacts
        who = rng.choice(fitting).name if fitting else "甲方项目部"
        due = draft.date + dt.timedelta(days=rng.randint(3, 21))
        done_on = None
        if due < as_of:
            # Kept as a rule; a few recent ones still wait, hardly any old ones.
            missed = 0.08 if (as_of - due).days <= 45 else 0.01
            if rng.random() >= missed * (1.9 - self.diligence.get(draft.salesperson, 0.85)):
                done_on = min(as_of, max(draft.date, due + dt.timedelta(days=rng.randint(-5, 6))))
        elif rng.random() < 0.25:
            done_on = draft.date + dt.timedelta(days=rng.randint(0, (as_of - draft.date).days))
        note = rng.choice(DONE_NOTES) if done_on else ""
        return CommitmentData(what=what, who=who, due=due, done_on=done_on, done_note=note)


def generate_visits(
    *, seed: int, as_of: dt.date, customers: Sequence[EvalCustomer],
    opportunities: Sequence[OpportunityData] = (),
    rules: Mapping[str, VisitRule] = DEFAULT_VISIT_RULES, months: int = VISIT_MONTHS,
) -> list[VisitData]:  # fmt: skip
    return VisitGenerator(
        seed=seed, as_of=as_of, customers=customers, opportunities=opportunities, rules=rules,
        months=months,
    ).visits()  # fmt: skip
