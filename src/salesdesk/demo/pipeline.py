"""The demo's opportunities, worked through the customer evaluation (DOMAIN §3).

Opportunities at active and prospect customers, most at strategic and key ones; won ones
mostly came by referral or tender, failed ones mostly by cold call, web and the like;
four in five have a complete risk form, with classes A to D and some failing (abandoned,
put on reduced contact, or not yet acted on). Draws from the "<seed>/pipeline" stream
(see `accounts.py`)."""

import dataclasses
import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from salesdesk.customers.choices import CustomerStatus, LeadSource, Tier
from salesdesk.demo.accounts import MANAGER_OF, Account, time_on
from salesdesk.demo.generator import (
    REGIONS,
    SOURCES,
    Generator,
    Numbering,
    Weighted,
)
from salesdesk.demo.ledger_records import C25, C30, C35, C40, CEMENT, MORTAR
from salesdesk.demo.pipeline_texts import (
    ABANDON_REASONS,
    BUDGET_NO,
    BUDGET_YES,
    COMPETITORS,
    CRITERIA,
    DECIDER_KNOWN,
    DECIDER_UNKNOWN,
    LOST_REASONS,
    NAME_SUFFIXES,
    NEED_EVIDENCE,
    NEXT_STEPS,
    REAL_UNKNOWN,
    REAL_YES,
    REDUCE_REASONS,
    RESOURCES,
    RISK_HIGH,
    RISK_LOW,
    SPEC_WON_REASON,
    TOUCH_NOTES,
    WIN_NO,
    WIN_YES,
    WON_REASONS,
    WORTH_NO,
    WORTH_YES,
)
from salesdesk.lib.dates import workday_back, working_days
from salesdesk.pipeline.choices import Stage

OPPORTUNITIES = 120

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
    customer: Account
    source: str
    fate: str  # won, lost, abandoned, reduced, open
    stage: str  # the open stage, for open ones
    complete: bool = True
    klass: str = ""  # A, B, C, D, fail, for open ones with a complete form


class PipelineGenerator:
    """About 120 opportunities over the salespeople's active and prospect customers."""

    def __init__(self, *, seed: int, as_of: dt.date, customers: Sequence[Account]):
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
        created_at = time_on(created, rng)
        events = []
        for step, day in zip(steps, days, strict=True):
            events.append(self._event(step, day, plan, factors or partial, values))
        if fate in ("won", "lost", "abandoned"):
            stage = {"won": Stage.WON, "lost": Stage.LOST, "abandoned": Stage.ABANDONED}[fate]
            events.append(OpportunityEvent(time_on(close_day, rng), "stage", {
                "stage": stage.value, "reason": self._close_reason(fate, values, factors, total),
            }))  # fmt: skip
        if fate == "reduced":
            why = RISK_LOW[min(factors, key=lambda n: (factors[n], n))]
            events.append(OpportunityEvent(time_on(reduce_day, rng), "reduce", {
                "reason": REDUCE_REASONS.format(score=_score_of(total), why=why)}))  # fmt: skip
            contacts = customer.contacts
            for day in touch_days:
                name = rng.choice(contacts).name if contacts else "甲方"
                events.append(OpportunityEvent(time_on(day, rng), "touch", {
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
        at = time_on(day, rng)
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
    *, seed: int, as_of: dt.date, customers: Sequence[Account]
) -> list[OpportunityData]:
    return PipelineGenerator(seed=seed, as_of=as_of, customers=customers).opportunities()
