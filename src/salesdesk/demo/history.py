"""Ledger history for generated projects: deliveries, monthly statements, payments,
expenses, floor prices and a few asset offsets, over the months up to an as-of date.

Pure Python like `generator.py`, and deterministic the same way: the same seed, as-of
date and projects always give the same records. The history draws from its own
`random.Random`, derived from the seed, so adding it changed nothing in the customer
stream of `generator.py`, and the projects are taken in code order whichever way they
were read (generated, or from the database).

What the records say (DOMAIN §5):
- each project buys a few concrete grades (and maybe mortar or cement) at contract prices
  a little above the floor; a few projects are price cutters, so about 1-2% of the
  deliveries are below floor, most of the older ones approved by the owner's manager;
- deliveries fall on working days in the project's active months, fewer in winter;
  each month of deliveries makes one statement (对账单) dated the month end;
- every customer pays to a profile: prompt (around the due date), late (30-200 days,
  some in part), stopped (nothing for the last 6-12 months: the legal-recovery cases) or
  never (a new customer that never paid); a few completed projects overpaid slightly.
"""

import dataclasses
import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from salesdesk.customers.choices import ProjectStatus
from salesdesk.demo.generator import Weighted
from salesdesk.demo.ledger_records import (
    BANK,
    BELOW_FLOOR_REASONS,
    BILL,
    CEMENT,
    EXPENSE_AMOUNTS,
    EXPENSE_CATEGORIES,
    GRADES,
    HISTORY_MONTHS,
    LATE,
    MAIN_GRADE,
    MANAGER_OF,
    MORTAR,
    NEVER,
    OFFSET_ITEMS,
    OFFSET_REJECTION,
    PROMPT,
    PUMP_VALUE,
    SEASON,
    STOPPED,
    ApprovalData,
    DeliveryData,
    ExpenseData,
    History,
    InvoiceData,
    Keys,
    LedgerProject,
    OffsetData,
    Payer,
    PaymentData,
    Product,
    floor_of,
    floor_prices,
    history_start,
)
from salesdesk.lib.dates import month_end, month_start, months_between, working_day, working_days
from salesdesk.lib.money import to_cents

# The generator -----------------------------------------------------------------------


class HistoryGenerator:
    """Draws the ledger history of projects from a random stream of its own.

    `history` may be called once for all projects (the demo) or once per chunk of them
    (synth); keys keep counting across calls, and each call draws its payer profiles
    among its own customers.
    """

    def __init__(
        self,
        *,
        seed: int,
        as_of: dt.date,
        months: int = HISTORY_MONTHS,
        keys: Keys | None = None,
        asset_offsets: bool = True,
    ):
        if months < 1:
            raise ValueError("A history covers at least one month.")
        self.rng = random.Random(f"{seed}/ledger")
        self.as_of = as_of
        self.start = history_start(as_of, months)
        self.keys = keys or Keys()
        self.asset_offsets = asset_offsets

    def history(self, projects: Iterable[LedgerProject]) -> History:
        rng = self.rng
        projects = sorted((p for p in projects if p.plant), key=lambda p: p.code)
        windows = {p.code: w for p in projects if (w := self._window(p)) is not None}
        projects = [p for p in projects if p.code in windows]
        payers = self._payers(projects, windows)
        for project in projects:
            hold = payers[project.customer].hold
            if hold is not None and hold < windows[project.code][1]:
                first = windows[project.code][0]
                windows[project.code] = (first, max(first, hold))

        deliveries, invoices, payments = [], [], []
        for project in projects:
            # One project in twelve cuts prices to win the job: most below-floor sales.
            cutter = rng.random() < 1 / 12
            project_deliveries = self._deliveries(project, *windows[project.code], cutter)
            deliveries += project_deliveries
            project_invoices = self._invoices(project, project_deliveries)
            invoices += project_invoices
            payments += self._payments(project, project_invoices, payers[project.customer])

        overpaid = self._overpay(projects, payers, invoices, payments)
        offsets = self._offsets(projects, payers, invoices, payments) if self.asset_offsets else []
        expenses = self._expenses(projects, windows)

        owners = {project.code: project.owner for project in projects}
        keyed_deliveries, approvals = self._key_deliveries(deliveries, owners)
        return History(
            start=self.start,
            as_of=self.as_of,
            floor_prices=floor_prices(self.start),
            deliveries=keyed_deliveries,
            approvals=approvals,
            invoices=[
                InvoiceData(Keys.invoice(code, date), code, date, due, amount)
                for code, date, due, amount in invoices
            ],
            payments=self._key_payments(payments),
            expenses=self._key_expenses(expenses),
            offsets=offsets,
            profiles={customer: payer.profile for customer, payer in payers.items()},
            overpaid=overpaid,
        )

    # Plan ---------------------------------------------------------------------------

    def _window(self, project: LedgerProject) -> tuple[dt.date, dt.date] | None:
        """The project's active days within the history, or None when there are none."""
        first = max(project.started_on or self.start, self.start)
        last = self.as_of
        if project.status == ProjectStatus.COMPLETED and project.completed_on:
            last = min(last, project.completed_on)
        elif project.status != ProjectStatus.ACTIVE:
            return None
        return (first, last) if first <= last else None

    def _payers(self, projects: list[LedgerProject], windows) -> dict[str, Payer]:
        """A profile per customer with any history: a few quotas, then the dice."""
        rng = self.rng
        by_customer: dict[str, list[LedgerProject]] = defaultdict(list)
        for project in projects:
            by_customer[project.customer].append(project)
        customers = sorted(by_customer)
        as_of = self.as_of

        # Stopped: an old active project, so there is a paying past before the stop.
        stopped_candidates = [
            c for c in customers
            if any(p.status == ProjectStatus.ACTIVE and p.started_on
                   and p.started_on <= as_of - dt.timedelta(days=450) for p in by_customer[c])
        ]  # fmt: skip
        # Never paid: new customers whose first statement fell due well over 180 days ago.
        never_candidates = [
            c for c in customers
            if any(p.status == ProjectStatus.ACTIVE for p in by_customer[c])
            and all(p.started_on and as_of - dt.timedelta(days=540) <= p.started_on
                    <= as_of - dt.timedelta(days=330) for p in by_customer[c])
        ]  # fmt: skip
        never = rng.sample(
            never_candidates, min(len(never_candidates), max(1, len(customers) // 150))
        )
        stopped_candidates = [c for c in stopped_candidates if c not in never]
        stopped = rng.sample(
            stopped_candidates, min(len(stopped_candidates), max(1, round(len(customers) * 0.025)))
        )

        payers = {}
        for customer in customers:
            bills = rng.choice((0.0, 0.1, 0.2, 0.35))
            if customer in never:
                first = min(windows[p.code][0] for p in by_customer[customer])
                payers[customer] = Payer(
                    NEVER, bills=bills, stop=self.start - dt.timedelta(days=1),
                    hold=first + dt.timedelta(days=rng.randint(100, 180)),
                )  # fmt: skip
            elif customer in stopped:
                stop = as_of - dt.timedelta(days=rng.randint(200, 365))
                payers[customer] = Payer(
                    STOPPED, lag=rng.uniform(30, 90), partial=rng.choice((0.1, 0.25, 0.4)),
                    bills=bills, stop=stop, hold=stop + dt.timedelta(days=rng.randint(60, 150)),
                )  # fmt: skip
            elif rng.random() < 0.58:
                payers[customer] = Payer(PROMPT, bills=bills)
            else:
                payers[customer] = Payer(
                    LATE, lag=rng.uniform(35, 120), partial=rng.choice((0.0, 0.1, 0.25, 0.4)),
                    bills=bills,
                )  # fmt: skip
        return payers

    # Deliveries and statements ------------------------------------------------------

    def _deliveries(
        self, project: LedgerProject, first: dt.date, last: dt.date, cutter: bool
    ) -> list[tuple]:
        """(project, plant, date, product, quantity, unit price, floor or None) tuples.

        The pace follows the credit limit: a project buys, per month, a share of what its
        limit allows over its payment terms, so prompt payers mostly stay within it."""
        rng = self.rng
        plant = project.plant
        main = MAIN_GRADE.pick(rng)
        others = [grade for grade in GRADES if grade is not main]
        mix = [(main, 70)] + [(grade, 24) for grade in rng.sample(others, rng.randint(1, 2))]
        if rng.random() < 0.5:
            mix.append((MORTAR, 6))
        if rng.random() < 0.15:
            mix.append((CEMENT, 4))
        products = Weighted(mix)
        prices = {product: floor_of(product, plant) + rng.randint(5, 50) for product, _w in mix}

        limit = float(project.credit_limit or 1_000_000)
        monthly_value = limit * rng.uniform(0.15, 0.4) / (project.payment_terms_days / 30 + 1)
        per_month = min(20, max(2, round(monthly_value / (prices[main] * rng.uniform(25, 80)))))
        size = monthly_value / prices[main] / per_month  # m3 per delivery
        below_floor_chance = 0.15 if cutter else 0.002
        started = project.started_on or first
        completed = project.completed_on if project.status == ProjectStatus.COMPLETED else None

        rows = []
        for month in months_between(first, last):
            days = working_days(max(first, month), min(last, month_end(month)))
            pace = SEASON[month.month] * rng.uniform(0.7, 1.3)
            if month < month_start(started, 2):
                pace *= 0.5  # setting up the site
            if completed and month >= month_start(completed, -1):
                pace *= 0.6  # finishing works
            count = min(len(days), 22, max(1, round(per_month * pace)))
            for day in sorted(rng.sample(days, count)):
                product = products.pick(rng)
                quantity = self._quantity(product, size)
                floor = floor_of(product, plant)
                price, below = prices[product], None
                if rng.random() < below_floor_chance:
                    price, below = floor - rng.randint(5, 30), Decimal(floor)
                rows.append((project.code, plant, day, product, quantity, Decimal(price), below))
        return rows

    def _quantity(self, product: Product, size: float) -> Decimal:
        rng = self.rng
        if product is CEMENT:  # tonnes, to the ten kilograms
            tonnes = min(60.0, max(8.0, size * 0.4 * rng.lognormvariate(0, 0.4)))
            return (Decimal(round(tonnes * 100)) / 100).quantize(Decimal("0.001"))
        share = 0.4 if product is MORTAR else 1.0
        volume = min(300.0, max(8.0, size * share * rng.lognormvariate(0, 0.45)))
        return (Decimal(round(volume * 2)) / 2).quantize(Decimal("0.001"))  # half cubic metres

    def _invoices(self, project: LedgerProject, deliveries: list[tuple]) -> list[tuple]:
        """(project, date, due date, amount): one statement per month of deliveries, dated
        the month end, once the month has ended."""
        totals: dict[dt.date, Decimal] = {}
        for _code, _plant, day, _product, quantity, price, _floor in deliveries:
            end = month_end(day)
            totals[end] = totals.get(end, Decimal("0.00")) + to_cents(quantity * price)
        terms = dt.timedelta(days=project.payment_terms_days)
        return [
            (project.code, end, end + terms, amount)
            for end, amount in totals.items()
            if end <= self.as_of and amount > 0
        ]

    # Payments -----------------------------------------------------------------------

    def _payments(self, project: LedgerProject, invoices: list[tuple], payer: Payer) -> list[list]:
        """[project, date, amount, method] lists, paying the statements to the profile."""
        rng = self.rng
        rows, arrears = [], Decimal("0.00")
        for _code, date, due, amount in invoices:
            if payer.profile == PROMPT:
                day = max(date + dt.timedelta(days=1), due + dt.timedelta(days=rng.randint(-7, 10)))
            else:
                lag = min(200, max(30, round(rng.gauss(payer.lag, 15))))
                day = due + dt.timedelta(days=lag)
                if payer.partial and rng.random() < payer.partial:
                    part = Decimal(
                        math.floor(amount * Decimal(rng.uniform(0.5, 0.9)) / 1000) * 1000
                    )
                    if part > 0:
                        arrears += amount - part
                        amount = part
                elif arrears and rng.random() < 0.5:
                    amount, arrears = amount + arrears, Decimal("0.00")
            method = BILL if rng.random() < payer.bills else BANK
            rows.append([project.code, working_day(day), amount, method])
        if arrears and project.status == ProjectStatus.COMPLETED and rows:
            # The final account (结算): what was held back is paid once the job is done.
            last = max(max(row[1] for row in rows), invoices[-1][2])
            rows.append([project.code, working_day(last + dt.timedelta(days=rng.randint(20, 90))),
                         arrears, BANK])  # fmt: skip
        stop = min(self.as_of, payer.stop or self.as_of)
        return [row for row in rows if row[1] <= stop]

    def _overpay(self, projects, payers, invoices, payments) -> list[str]:
        """Two or three completed, fully paid projects round their last payment up."""
        rng = self.rng
        billed, paid = defaultdict(Decimal), defaultdict(Decimal)
        for code, _date, _due, amount in invoices:
            billed[code] += amount
        last_payment = {}
        for row in payments:
            paid[row[0]] += row[2]
            if row[0] not in last_payment or row[1] >= last_payment[row[0]][1]:
                last_payment[row[0]] = row
        candidates = [
            p.code for p in projects
            if p.status == ProjectStatus.COMPLETED and payers[p.customer].profile == PROMPT
            and p.code in last_payment and billed[p.code] == paid[p.code]
        ]  # fmt: skip
        chosen = sorted(rng.sample(candidates, min(len(candidates), rng.randint(2, 3))))
        for code in chosen:
            last_payment[code][2] += Decimal(rng.randint(1, 20) * 500)
        return chosen

    def _offsets(self, projects, payers, invoices, payments) -> list[OffsetData]:
        """An offset accepted for a late payer (it stands in for part of their later cash),
        and for the customers who stopped paying one appraised, one just applied for and
        one rejected."""
        rng = self.rng
        as_of = self.as_of
        owner = {p.code: p.owner for p in projects}
        offsets = []

        accepted_on = working_day(as_of - dt.timedelta(days=rng.randint(90, 150)))
        late = [p.code for p in projects if payers[p.customer].profile == LATE]
        candidates = []
        for code in late:
            due = self._owed(code, invoices, payments, accepted_on)
            later = sum((row[2] for row in payments if row[0] == code and row[1] > accepted_on),
                        Decimal(0))  # fmt: skip
            if due >= 300_000 and later >= due / 2:
                candidates.append((code, due))
        if candidates:
            code, due = rng.choice(candidates)
            appraised = Decimal(math.floor(due * Decimal(rng.uniform(0.4, 0.5)) / 10_000) * 10_000)
            claimed = Decimal(
                math.ceil(appraised * Decimal(rng.uniform(1.1, 1.3)) / 10_000) * 10_000
            )
            # The goods stand in for cash the customer would have paid later.
            left = appraised
            for row in sorted((r for r in payments if r[0] == code and r[1] > accepted_on),
                              key=lambda r: r[1]):  # fmt: skip
                take = min(left, row[2])
                row[2] -= take
                left -= take
            payments[:] = [row for row in payments if row[2] > 0]
            offsets.append(OffsetData(
                project=code, applicant=owner[code], items=OFFSET_ITEMS["posted"](claimed),
                claimed_value=claimed.quantize(Decimal("0.01")),
                appraised_value=appraised.quantize(Decimal("0.01")), status="posted",
                applied_on=accepted_on - dt.timedelta(days=rng.randint(30, 50)),
                appraised_on=accepted_on - dt.timedelta(days=rng.randint(7, 20)),
                closed_on=accepted_on, note="钢材已过磅入库，按评估价抵减货款",
            ))  # fmt: skip

        unpaid = [
            (p.code, due) for p in projects
            if payers[p.customer].profile in (STOPPED, NEVER)
            and (due := self._owed(p.code, invoices, payments, as_of)) >= 200_000
        ]  # fmt: skip
        for state, (code, due) in zip(
            ("appraised", "applied", "rejected"), rng.sample(unpaid, min(3, len(unpaid))),
            strict=False,
        ):  # fmt: skip
            claimed = Decimal(math.ceil(due * Decimal(rng.uniform(0.3, 0.6)) / 10_000) * 10_000)
            if state == "rejected":
                claimed = min(claimed, PUMP_VALUE)
            applied_on = as_of - dt.timedelta(days=rng.randint(3, 12))
            offset = OffsetData(project=code, applicant=owner[code], items=OFFSET_ITEMS[state](claimed),
                                claimed_value=claimed.quantize(Decimal("0.01")),
                                appraised_value=None, status=state, applied_on=applied_on)  # fmt: skip
            if state == "appraised":
                applied_on = as_of - dt.timedelta(days=rng.randint(35, 60))
                appraised = Decimal(
                    math.floor(claimed * Decimal(rng.uniform(0.7, 0.9)) / 10_000) * 10_000
                )
                offset = dataclasses.replace(
                    offset, applied_on=applied_on,
                    appraised_value=max(appraised, Decimal(10_000)).quantize(Decimal("0.01")),
                    appraised_on=applied_on + dt.timedelta(days=rng.randint(7, 20)),
                    note="按市场价折价评估，待供应部验收",
                )  # fmt: skip
            elif state == "rejected":
                applied_on = as_of - dt.timedelta(days=rng.randint(90, 200))
                offset = dataclasses.replace(
                    offset, applied_on=applied_on, note=OFFSET_REJECTION,
                    closed_on=applied_on + dt.timedelta(days=rng.randint(5, 15)),
                )  # fmt: skip
            offsets.append(offset)
        return offsets

    @staticmethod
    def _owed(code: str, invoices, payments, on: dt.date) -> Decimal:
        billed = sum((row[3] for row in invoices if row[0] == code and row[1] <= on), Decimal(0))
        paid = sum((row[2] for row in payments if row[0] == code and row[1] <= on), Decimal(0))
        return billed - paid

    # Expenses -----------------------------------------------------------------------

    def _expenses(self, projects: list[LedgerProject], windows) -> list[tuple]:
        """(salesperson, project or None, date, amount, category): a few claims per
        salesperson and month, most against a project of theirs active that month."""
        rng = self.rng
        active: dict[tuple[str, dt.date], list[str]] = defaultdict(list)
        for project in projects:
            for month in months_between(*windows[project.code]):
                active[(project.owner, month)].append(project.code)
        rows = []
        for salesperson in sorted({project.owner for project in projects}):
            for month in months_between(self.start, self.as_of):
                days = working_days(month, min(month_end(month), self.as_of))
                if not days:
                    continue
                for _ in range(rng.randint(2, 8)):
                    day = rng.choice(days)
                    category = EXPENSE_CATEGORIES.pick(rng)
                    low, high, whole = EXPENSE_AMOUNTS[category]
                    if whole:
                        amount = Decimal(rng.randint(low, high))
                    else:
                        amount = Decimal(rng.randint(low * 100, high * 100)) / 100
                    candidates = active.get((salesperson, month))
                    project = rng.choice(candidates) if candidates and rng.random() < 0.85 else None
                    rows.append((salesperson, project, day, amount.quantize(Decimal("0.01")),
                                 category))  # fmt: skip
        return rows

    # Keys ---------------------------------------------------------------------------

    def _key_deliveries(
        self, rows: list[tuple], owners: dict[str, str]
    ) -> tuple[list[DeliveryData], list[ApprovalData]]:
        """Tickets in date order. The owner's manager approved most below-floor deliveries
        more than six weeks old and some recent ones; the rest wait."""
        rng = self.rng
        deliveries, approvals = [], []
        for code, plant, day, product, quantity, price, floor in sorted(
            rows, key=lambda r: (r[2], r[0])
        ):
            ticket = self.keys.ticket(day)
            deliveries.append(DeliveryData(
                ticket=ticket, project=code, plant=plant, date=day, product=product.name,
                unit=product.unit, quantity=quantity, unit_price=price.quantize(Decimal("0.01")),
                amount=to_cents(quantity * price),
                floor_price=floor.quantize(Decimal("0.01")) if floor is not None else None,
            ))  # fmt: skip
            if floor is None:
                continue
            old = (self.as_of - day).days > 42
            if rng.random() < (0.85 if old else 0.3):
                approvals.append((ticket, code, day))
        return deliveries, [
            ApprovalData(
                ticket=ticket,
                approved_by=MANAGER_OF.get(owners[code], "manager1"),
                reason=rng.choice(BELOW_FLOOR_REASONS),
                on=min(self.as_of, day + dt.timedelta(days=rng.randint(0, 4))),
            )
            for ticket, code, day in approvals
        ]

    def _key_payments(self, rows: list[list]) -> list[PaymentData]:
        return [
            PaymentData(
                self.keys.payment(day, method), code, day, amount.quantize(Decimal("0.01")), method
            )
            for code, day, amount, method in sorted(rows, key=lambda r: (r[1], r[0]))
        ]

    def _key_expenses(self, rows: list[tuple]) -> list[ExpenseData]:
        return [
            ExpenseData(self.keys.expense(day), salesperson, project, day, amount, category)
            for salesperson, project, day, amount, category in sorted(
                rows, key=lambda r: (r[2], r[0])
            )
        ]


def generate_history(
    *, seed: int, as_of: dt.date, projects: Iterable[LedgerProject],
    months: int = HISTORY_MONTHS, keys: Keys | None = None, asset_offsets: bool = True,
) -> History:  # fmt: skip
    """The history of `projects` over `months` months up to `as_of`; see HistoryGenerator."""
    generator = HistoryGenerator(
        seed=seed, as_of=as_of, months=months, keys=keys, asset_offsets=asset_offsets
    )
    return generator.history(projects)
