"""The demo's visits: six months of them at the demo customers, with their commitments (DOMAIN §4).

Visits meet the tier frequencies for most customers, each salesperson to their own
diligence, so compliance is imperfect; the outcomes are mostly continuations and
advances (each with the customer's commitment, most kept, a few overdue), with orders
and no-sales where an opportunity was won or lost and a few more. Draws from the
"<seed>/visits" stream (see `accounts.py`)."""

import dataclasses
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence

from salesdesk.customers.choices import CustomerStatus, Tier
from salesdesk.demo.accounts import MANAGER_OF, Account, AccountContact, time_on
from salesdesk.demo.generator import (
    SALESPEOPLE,
    Weighted,
)
from salesdesk.demo.ledger_records import C25, C30, C35, C40
from salesdesk.demo.pipeline import OpportunityData
from salesdesk.lib.dates import month_start, working_days
from salesdesk.visits.choices import Outcome
from salesdesk.visits.periods import MONTH, QUARTER, period_bounds

VISIT_MONTHS = 6


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
    customer: Account
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
        customers: Sequence[Account],
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

    def _add(self, customer: Account, day: dt.date, **fields) -> _Visit | None:
        if day > self.as_of or day < max(self.start, customer.since or self.start):
            return None
        key = (customer.code, customer.owner, day)
        if key not in self.drafts:
            self.drafts[key] = _Visit(customer, customer.owner, day, **fields)
            self.of_customer[customer.code].append(self.drafts[key])
        return self.drafts[key]

    def _opportunity_visits(self, opportunity: OpportunityData, customer: Account) -> None:
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

    def _frequency_visits(self, customer: Account) -> None:
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

    def _other_visits(self, customer: Account) -> None:
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
            logged_at=time_on(draft.date, rng, 17, 20), outcome=outcome, purpose=purpose[:200],
            notes=notes, contacts=tuple(c.name for c in contacts), project=project,
            next_step=next_step, next_step_due=next_due, satisfaction=satisfaction,
            manager_involved=draft.manager_involved, commitment=commitment,
        )  # fmt: skip

    def _met(self, customer: Account, with_manager: bool) -> list[AccountContact]:
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
    *, seed: int, as_of: dt.date, customers: Sequence[Account],
    opportunities: Sequence[OpportunityData] = (),
    rules: Mapping[str, VisitRule] = DEFAULT_VISIT_RULES, months: int = VISIT_MONTHS,
) -> list[VisitData]:  # fmt: skip
    return VisitGenerator(
        seed=seed, as_of=as_of, customers=customers, opportunities=opportunities, rules=rules,
        months=months,
    ).visits()  # fmt: skip
