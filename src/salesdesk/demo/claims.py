"""The demo's prospect registrations and disputes (DOMAIN §9).

Twenty prospects registered by the salespeople, a few close to expiry, two expired and
one released; three disputes: one open for a manager, one kept, one reassigned. Draws
from the "<seed>/claims" stream (see `accounts.py`)."""

import dataclasses
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence

from salesdesk.customers.choices import CustomerStatus
from salesdesk.demo.accounts import MANAGER_OF, Account, AccountContact
from salesdesk.demo.generator import (
    LEGAL_FORMS,
    REGIONS,
    SALESPEOPLE,
    USERS,
    CustomerData,
    Generator,
    Numbering,
)
from salesdesk.lib import names
from salesdesk.lib.dates import workday_back

REGISTRATIONS = 20

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
        customers: Sequence[Account],
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
    *, seed: int, as_of: dt.date, customers: Sequence[Account],
    taken_credit_codes: Iterable[str] = (), protection_days: int = 90,
) -> Claims:  # fmt: skip
    return ClaimsGenerator(
        seed=seed, as_of=as_of, customers=customers, taken_credit_codes=taken_credit_codes,
        protection_days=protection_days,
    ).claims()  # fmt: skip


def registered_customers(claims: Claims, first: int) -> list[Account]:
    """The registered prospects as the archive numbers them (codes C<first> up, in the
    order registered), for a run without a database."""
    numbering = Numbering("C", first=first)
    return [
        Account(
            code=numbering.code(index), name=r.customer.name, owner=r.claimant,
            status=CustomerStatus.PROSPECT.value, tier="", source=r.customer.source,
            region=r.customer.region, industry=r.customer.industry,
            contacts=tuple(AccountContact(k.name, k.title, k.role, k.decision_authority)
                           for k in r.customer.contacts),
            projects=(), since=r.on,
        )
        for index, r in enumerate(claims.registrations)
    ]  # fmt: skip
