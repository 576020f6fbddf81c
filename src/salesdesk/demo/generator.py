"""Plausible data for a concrete and building-materials company in the Beijing-Tianjin-Hebei
region: plants, staff, customers with contacts, and projects.

Pure Python, no database: the same seed and the same `as_of` date always give the same
records, whatever the machine or the day. All randomness comes from one
`random.Random(seed)`, consumed in a fixed order, and every choice is made from a tuple,
never from a set or a dict, so nothing depends on hash or insertion order. The demo data
set is this generator at a fixed size and seed; `salesdesk synth` runs it at any size.
"""

import dataclasses
import datetime as dt
import itertools
import random
from collections.abc import Iterator
from decimal import Decimal

from salesdesk.customers.choices import (
    BuyingRole,
    CreditRating,
    CustomerStatus,
    LeadSource,
    ProjectStatus,
)
from salesdesk.lib import uscc

DEMO_SEED = 20260101
DEMO_CUSTOMERS = 300
DEMO_PROJECTS = 600


class Weighted:
    """Items drawn with fixed weights. The cumulative weights are summed once here
    instead of on every draw, which counts when drawing millions of times."""

    def __init__(self, pairs):
        pairs = list(pairs)
        self.items = tuple(item for item, _weight in pairs)
        self.cum_weights = tuple(itertools.accumulate(weight for _item, weight in pairs))

    def pick(self, rng: random.Random):
        return rng.choices(self.items, cum_weights=self.cum_weights)[0]


# Staff ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PlantSpec:
    code: str
    name: str


@dataclasses.dataclass(frozen=True)
class UserSpec:
    username: str
    name: str
    role: str
    plant: str
    manager: str | None = None


PLANTS = (
    PlantSpec("P1", "东区搅拌站"),
    PlantSpec("P2", "西区搅拌站"),
    PlantSpec("P3", "北区搅拌站"),
)

# Managers come before their team so a loader can create the users in this order.
USERS = (
    UserSpec("admin", "周建国", "admin", "P1"),
    UserSpec("manager1", "王志刚", "manager", "P1"),
    UserSpec("manager2", "李秀英", "manager", "P2"),
    UserSpec("finance", "陈静", "finance", "P1"),
    UserSpec("marketing", "刘洋", "marketing", "P1"),
    UserSpec("supply", "赵磊", "supply", "P3"),
    UserSpec("legal", "孙丽华", "legal", "P1"),
    UserSpec("sales1", "张伟", "sales", "P1", manager="manager1"),
    UserSpec("sales2", "杨帆", "sales", "P1", manager="manager1"),
    UserSpec("sales3", "黄海涛", "sales", "P2", manager="manager1"),
    UserSpec("sales4", "吴敏", "sales", "P2", manager="manager2"),
    UserSpec("sales5", "徐强", "sales", "P3", manager="manager2"),
    UserSpec("sales6", "郭晓燕", "sales", "P3", manager="manager2"),
)

SALESPEOPLE = tuple(user.username for user in USERS if user.role == "sales")
# Real books are lopsided: a few salespeople hold most of the customers.
OWNERS = Weighted(zip(SALESPEOPLE, (24, 20, 18, 16, 12, 10), strict=True))
PLANT_OF = {user.username: user.plant for user in USERS}


# Records ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ContactData:
    name: str
    title: str
    phone: str
    role: str
    decision_authority: bool


@dataclasses.dataclass(frozen=True)
class ProjectData:
    code: str
    name: str
    plant: str
    contract_no: str
    payment_terms_days: int
    credit_limit: Decimal
    status: str
    started_on: dt.date
    completed_on: dt.date | None


@dataclasses.dataclass(frozen=True)
class CustomerData:
    """A customer with its contacts and projects; owner and plants are by username and code."""

    code: str
    name: str
    credit_code: str
    industry: str
    region: str
    address: str
    owner: str
    source: str
    status: str
    credit_rating: str
    business_score: int | None
    contacts: tuple[ContactData, ...]
    projects: tuple[ProjectData, ...]


@dataclasses.dataclass(frozen=True)
class Numbering:
    """Codes prefix + zero-padded number, counting up from `first`."""

    prefix: str
    first: int = 1
    width: int = 6

    def code(self, offset: int) -> str:
        return f"{self.prefix}{self.first + offset:0{self.width}d}"


# Word lists -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Region:
    prefix: str  # as it starts a company name
    region: str  # Customer.region
    address: str  # how an address starts
    districts: tuple[tuple[str, str], ...]  # (district, 6-digit administrative code)


REGIONS = Weighted([
    (Region("北京", "北京市", "北京市", (
        ("朝阳区", "110105"), ("海淀区", "110108"), ("丰台区", "110106"), ("大兴区", "110115"),
        ("通州区", "110112"), ("顺义区", "110113"), ("昌平区", "110114"), ("房山区", "110111"),
    )), 30),
    (Region("天津", "天津市", "天津市", (
        ("河西区", "120103"), ("南开区", "120104"), ("东丽区", "120110"), ("西青区", "120111"),
        ("武清区", "120114"), ("滨海新区", "120116"),
    )), 15),
    (Region("河北", "石家庄市", "河北省石家庄市", (
        ("长安区", "130102"), ("桥西区", "130104"), ("裕华区", "130108"),
    )), 6),
    (Region("石家庄", "石家庄市", "河北省石家庄市", (
        ("长安区", "130102"), ("新华区", "130105"), ("裕华区", "130108"), ("鹿泉区", "130110"),
    )), 5),
    (Region("廊坊", "廊坊市", "河北省廊坊市", (
        ("广阳区", "131003"), ("安次区", "131002"), ("固安县", "131022"), ("香河县", "131024"),
        ("三河市", "131082"),
    )), 10),
    (Region("保定", "保定市", "河北省保定市", (
        ("竞秀区", "130602"), ("莲池区", "130606"), ("涿州市", "130681"), ("高碑店市", "130684"),
    )), 8),
    (Region("唐山", "唐山市", "河北省唐山市", (
        ("路南区", "130202"), ("路北区", "130203"), ("丰润区", "130208"), ("曹妃甸区", "130209"),
    )), 6),
    (Region("沧州", "沧州市", "河北省沧州市", (
        ("新华区", "130902"), ("运河区", "130903"), ("任丘市", "130982"), ("黄骅市", "130983"),
    )), 5),
    (Region("雄安", "雄安新区", "河北省雄安新区", (
        ("容城县", "130629"), ("安新县", "130632"), ("雄县", "130638"),
    )), 6),
    (Region("张家口", "张家口市", "河北省张家口市", (
        ("桥东区", "130702"), ("桥西区", "130703"), ("宣化区", "130705"),
    )), 3),
    (Region("承德", "承德市", "河北省承德市", (("双桥区", "130802"), ("双滦区", "130803"))), 2),
    (Region("秦皇岛", "秦皇岛市", "河北省秦皇岛市", (("海港区", "130302"), ("北戴河区", "130304"))), 2),
])  # fmt: skip

# Two of these make a trade name (字号): 宏达, 鑫盛, 恒泰 ...
TRADE_CHARS = (
    "宏达鑫盛华兴泰恒天中金诚信远建安通利丰源辉永昌隆海润德博正联"
    "振发广宇瑞祥顺和嘉晟铭峰新伟成弘庆聚城力鼎冠豪翔腾元坤亿汇"
)

# (word in the company name, Customer.industry)
INDUSTRIES = Weighted([
    (("建设", "建筑施工"), 25),
    (("建工", "建筑施工"), 12),
    (("路桥", "公路桥梁"), 10),
    (("市政", "市政工程"), 10),
    (("房地产开发", "房地产开发"), 12),
    (("混凝土", "商品混凝土"), 6),
    (("建材", "建材贸易"), 8),
    (("水利", "水利水电"), 6),
    (("安装", "设备安装"), 5),
])  # fmt: skip

LEGAL_FORMS = Weighted(
    [("有限公司", 55), ("有限责任公司", 20), ("集团有限公司", 15), ("股份有限公司", 10)]
)

STREETS = (
    "建设路", "人民路", "解放路", "和平路", "中山路", "胜利大街", "新华路", "光明路", "振兴路",
    "发展大道", "工业园路", "科技路", "朝阳路", "金源路", "东环路", "西环路", "南环路", "北环路",
    "育才路", "滨河路",
)  # fmt: skip

# Tenders and referrals bring most of the business (DOMAIN §3: referrals are worth more).
SOURCES = Weighted([
    (LeadSource.TRADE_JOURNAL.value, 5), (LeadSource.YELLOW_PAGES.value, 3),
    (LeadSource.NON_COMPETING_SALES.value, 6), (LeadSource.CUSTOMER_REFERRAL.value, 16),
    (LeadSource.FRIEND_REFERRAL.value, 12), (LeadSource.TENDER.value, 18),
    (LeadSource.TRADE_SHOW.value, 8), (LeadSource.WEB.value, 10),
    (LeadSource.COLD_CALL.value, 12), (LeadSource.OTHER.value, 5),
])  # fmt: skip

RATINGS = Weighted([("", 15), ("A", 20), ("B", 35), ("C", 20), ("D", 10)])

# Share of customers per status; active takes the rest. Blacklisted: "a couple" in 300.
STATUS_SHARES = (
    (CustomerStatus.PROSPECT, 0.12),
    (CustomerStatus.DORMANT, 0.10),
    (CustomerStatus.BLACKLISTED, 0.007),
)
# Relative share of the projects per customer status: prospects have not bought yet and
# nobody opens a project for a blacklisted customer.
PROJECT_WEIGHT_BY_STATUS = {
    CustomerStatus.ACTIVE: 5,
    CustomerStatus.DORMANT: 2,
    CustomerStatus.PROSPECT: 0,
    CustomerStatus.BLACKLISTED: 0,
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国志文辉鹏飞斌宇浩凯俊峰亮红玲燕萍晨欣宁"
    "海波林东鑫晶婷雪慧琳帅健龙春梅新旭"
)

# Titles a contact of each buying role typically holds.
TITLES = {
    BuyingRole.USER: ("施工员", "工长", "现场负责人", "质检员"),
    BuyingRole.TECHNICAL: ("总工程师", "技术负责人", "技术员", "试验室主任"),
    BuyingRole.MANAGER: ("项目经理", "工程部经理", "物资部经理", "生产经理"),
    BuyingRole.DECISION_MAKER: ("董事长", "总经理", "副总经理", "项目总指挥"),
    BuyingRole.PROCUREMENT: ("采购经理", "采购员", "物资主管", "材料员"),
}
# Roles of contacts besides the decision maker; procurement is who calls most.
ADVISER_ROLES = Weighted([
    (BuyingRole.PROCUREMENT, 40), (BuyingRole.MANAGER, 25), (BuyingRole.TECHNICAL, 20),
    (BuyingRole.USER, 15),
])  # fmt: skip
PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "158", "159", "176", "177", "180", "181", "186", "187", "188", "189",
)  # fmt: skip

ESTATES = (
    "望京SOHO", "万科城", "保利花园", "龙湖天街", "融创壹号院", "金地格林小镇", "中海国际社区",
    "华润置地广场", "绿地中心", "首开国风", "远洋天著", "招商雍景湾", "世茂云图", "富力城",
    "碧桂园", "金茂府", "旭辉城", "建发央著",
)  # fmt: skip
PHASES = (
    "一期", "二期", "三期", "四期", "A地块", "B地块", "住宅项目", "商业综合体", "安置房项目",
    "保障性住房项目",
)  # fmt: skip
HIGHWAYS = (
    "京雄高速", "京津塘高速", "荣乌高速", "津石高速", "京秦高速", "京德高速", "京哈高速",
    "京港澳高速", "大广高速", "首都地区环线高速", "津雄高速", "唐廊高速",
)  # fmt: skip
RIVERS = ("永定河", "潮白河", "北运河", "大清河", "海河", "滹沱河", "子牙河", "白洋淀", "拒马河")
PUBLIC_BUILDINGS = (
    "人民医院门诊楼", "体育中心", "政务服务中心", "图书馆新馆", "职业技术学院实训楼",
    "妇幼保健院", "文化艺术中心",
)  # fmt: skip
PARKS = ("经济开发区", "高新区", "物流园", "产业园", "科技园")
CHINESE_NUMBERS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")

# Project kinds, weighted by the customer's industry: road builders build roads.
PROJECT_KINDS = ("building", "highway", "transit", "municipal", "public", "industrial", "water")
KIND_WEIGHTS = {
    "建筑施工": (45, 5, 5, 10, 20, 12, 3),
    "公路桥梁": (5, 55, 10, 20, 2, 3, 5),
    "市政工程": (10, 10, 15, 45, 10, 5, 5),
    "房地产开发": (85, 0, 0, 5, 5, 5, 0),
    "商品混凝土": (40, 15, 5, 15, 10, 10, 5),
    "建材贸易": (40, 15, 5, 15, 10, 10, 5),
    "水利水电": (5, 5, 0, 15, 5, 5, 65),
    "设备安装": (30, 0, 10, 10, 20, 30, 0),
}
KINDS_BY_INDUSTRY = {
    industry: Weighted(zip(PROJECT_KINDS, weights, strict=True))
    for industry, weights in KIND_WEIGHTS.items()
}

PAYMENT_TERMS = Weighted([(30, 30), (60, 45), (90, 25)])


# The generator ----------------------------------------------------------------------


class Generator:
    """Draws customers, contacts and projects from one seeded random stream.

    `taken_names` and `taken_credit_codes` are ones already in the database, so a run
    into a non-empty database never repeats them; names and credit codes it draws are
    added, so they are unique within the run as well.
    """

    def __init__(
        self,
        *,
        seed: int,
        as_of: dt.date,
        taken_names=(),
        taken_credit_codes=(),
    ):
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.used_names = set(taken_names)
        self.used_credit_codes = set(taken_credit_codes)

    def customers(
        self,
        *,
        customers: int,
        projects: int,
        contacts_per_customer: int | None = None,
        customer_numbering: Numbering = Numbering("C"),
        project_numbering: Numbering = Numbering("P"),
    ) -> Iterator[CustomerData]:
        """Yield `customers` customers carrying `projects` projects between them.

        Only a status and a project count per customer are drawn up front (two list
        entries each); everything else is drawn as it is yielded, so a caller that
        consumes the customers in chunks holds one chunk at a time. Projects go to active
        and dormant customers only; with none of those, there are none.
        `contacts_per_customer` None means 2 to 5 each.
        """
        statuses = self._statuses(customers)
        project_counts = self._project_counts(statuses, projects)
        next_project = 0
        for index, (status, project_count) in enumerate(zip(statuses, project_counts, strict=True)):
            customer = self._customer(
                code=customer_numbering.code(index),
                status=status,
                contact_count=contacts_per_customer or self.rng.randint(2, 5),
                project_codes=[
                    project_numbering.code(next_project + offset) for offset in range(project_count)
                ],
            )
            next_project += project_count
            yield customer

    # Plan ---------------------------------------------------------------------------

    def _statuses(self, count: int) -> list[str]:
        """Statuses by quota, then shuffled: a small set still gets its couple of
        blacklisted customers instead of whatever the dice say."""
        statuses = []
        for status, share in STATUS_SHARES:
            statuses += [status.value] * round(count * share)
        statuses += [CustomerStatus.ACTIVE.value] * (count - len(statuses))
        self.rng.shuffle(statuses)
        return statuses

    def _project_counts(self, statuses: list[str], projects: int) -> list[int]:
        """Exactly `projects` projects, each given to a customer drawn by status weight."""
        counts = [0] * len(statuses)
        weights = [PROJECT_WEIGHT_BY_STATUS[status] for status in statuses]
        if projects <= 0 or not any(weights):
            return counts
        for index in self.rng.choices(range(len(statuses)), weights=weights, k=projects):
            counts[index] += 1
        return counts

    # Customers ----------------------------------------------------------------------

    def _customer(
        self, *, code: str, status: str, contact_count: int, project_codes: list[str]
    ) -> CustomerData:
        rng = self.rng
        region = REGIONS.pick(rng)
        district, district_code = rng.choice(region.districts)
        word, industry = INDUSTRIES.pick(rng)
        owner = OWNERS.pick(rng)
        if status == CustomerStatus.BLACKLISTED:
            rating, score = CreditRating.D.value, rng.randint(5, 35)
        else:
            rating = RATINGS.pick(rng)
            score = None if rng.random() < 0.2 else min(100, round(rng.triangular(20, 100, 72)))
        return CustomerData(
            code=code,
            name=self._company_name(region, word),
            credit_code=self._credit_code(district_code),
            industry=industry,
            region=region.region,
            address=f"{region.address}{district}{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            owner=owner,
            source=SOURCES.pick(rng),
            status=status,
            credit_rating=rating,
            business_score=score,
            contacts=self._contacts(contact_count),
            projects=tuple(
                self._project(code=project_code, status=status, region=region,
                              industry=industry, owner=owner)
                for project_code in project_codes
            ),
        )  # fmt: skip

    def _company_name(self, region: Region, industry_word: str) -> str:
        rng = self.rng
        for _attempt in range(50):
            stem = f"{region.prefix}{''.join(rng.sample(TRADE_CHARS, 2))}{industry_word}"
            name = stem + LEGAL_FORMS.pick(rng)
            if name not in self.used_names:
                break
        else:
            # Only reached after millions of names; a branch number keeps the name unique.
            number = 2
            while f"{stem}第{number}分公司" in self.used_names:
                number += 1
            name = f"{stem}第{number}分公司"
        self.used_names.add(name)
        return name

    def _credit_code(self, district_code: str) -> str:
        while True:
            code = uscc.generate(self.rng, region_code=district_code)
            if code not in self.used_credit_codes:
                self.used_credit_codes.add(code)
                return code

    # Contacts -----------------------------------------------------------------------

    def _contacts(self, count: int) -> tuple[ContactData, ...]:
        """One decision maker for most customers (by role, or a manager holding the
        authority); for the rest the salesperson only knows advisers (DOMAIN §2)."""
        rng = self.rng
        decider = rng.random()
        roles = []
        if decider < 0.75:
            roles.append((BuyingRole.DECISION_MAKER, True))
        elif decider < 0.85:
            roles.append((BuyingRole.MANAGER, True))
        while len(roles) < count:
            roles.append((ADVISER_ROLES.pick(rng), False))
        names: list[str] = []
        contacts = []
        for role, authority in roles[:count]:
            name = self._person_name(taken=names)
            names.append(name)
            contacts.append(
                ContactData(
                    name=name,
                    title=rng.choice(TITLES[role]),
                    phone=rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}",
                    role=role.value,
                    decision_authority=authority,
                )
            )
        return tuple(contacts)

    def _person_name(self, *, taken: list[str]) -> str:
        rng = self.rng
        while True:
            given_length = 1 if rng.random() < 0.4 else 2
            name = rng.choice(SURNAMES) + "".join(
                rng.choice(GIVEN_CHARS) for _ in range(given_length)
            )
            if name not in taken:
                return name

    # Projects -----------------------------------------------------------------------

    def _project(
        self, *, code: str, status: str, region: Region, industry: str, owner: str
    ) -> ProjectData:
        rng = self.rng
        if status == CustomerStatus.DORMANT:
            # A dormant customer's business is over: old projects, all completed.
            project_status = ProjectStatus.COMPLETED
            started_on = self.as_of - dt.timedelta(days=rng.randint(400, 1094))
        else:
            project_status = (
                ProjectStatus.COMPLETED if rng.random() < 0.25 else ProjectStatus.ACTIVE
            )
            started_on = self.as_of - dt.timedelta(days=rng.randint(0, 1094))
        completed_on = None
        if project_status == ProjectStatus.COMPLETED:
            completed_on = min(started_on + dt.timedelta(days=rng.randint(30, 540)), self.as_of)
        # Most jobs are supplied by the salesperson's own plant, some by the others.
        plant = PLANT_OF[owner] if rng.random() < 0.6 else rng.choice(PLANTS).code
        return ProjectData(
            code=code,
            name=self._project_name(region, industry),
            plant=plant,
            contract_no=f"HT-{started_on.year}-{code}",
            payment_terms_days=PAYMENT_TERMS.pick(rng),
            credit_limit=Decimal(rng.randint(20, 500) * 10000).quantize(Decimal("0.01")),
            status=project_status.value,
            started_on=started_on,
            completed_on=completed_on,
        )

    def _project_name(self, region: Region, industry: str) -> str:
        rng = self.rng
        kind = KINDS_BY_INDUSTRY[industry].pick(rng)
        district = rng.choice(region.districts)[0]
        if kind == "building":
            return f"{district}{rng.choice(ESTATES)}{rng.choice(PHASES)}"
        if kind == "highway":
            if rng.random() < 0.5:
                return f"{rng.choice(HIGHWAYS)}K{rng.randint(1, 180)}标段"
            return f"{rng.choice(HIGHWAYS)}第{rng.choice(CHINESE_NUMBERS)}合同段"
        if kind == "transit":
            return f"{region.region}轨道交通{rng.randint(1, 12)}号线{rng.randint(1, 9)}标段"
        if kind == "municipal":
            work = rng.choice(("道路改造工程", "管网改造工程", "立交桥工程", "综合管廊工程"))
            return f"{district}{rng.choice(STREETS)}{work}"
        if kind == "public":
            return f"{district}{rng.choice(PUBLIC_BUILDINGS)}新建工程"
        if kind == "industrial":
            return f"{district}{rng.choice(PARKS)}{rng.choice(CHINESE_NUMBERS)}号厂房项目"
        work = rng.choice(("治理工程", "堤防加固工程", "引水工程", "生态修复工程"))
        return f"{rng.choice(RIVERS)}{work}"


def generate(
    *,
    seed: int,
    as_of: dt.date,
    customers: int,
    projects: int,
    contacts_per_customer: int | None = None,
    customer_numbering: Numbering = Numbering("C"),
    project_numbering: Numbering = Numbering("P"),
    taken_names=(),
    taken_credit_codes=(),
) -> Iterator[CustomerData]:
    """The customers of one run, lazily; see `Generator`."""
    generator = Generator(
        seed=seed, as_of=as_of, taken_names=taken_names, taken_credit_codes=taken_credit_codes
    )
    return generator.customers(
        customers=customers,
        projects=projects,
        contacts_per_customer=contacts_per_customer,
        customer_numbering=customer_numbering,
        project_numbering=project_numbering,
    )


def demo_customers(as_of: dt.date) -> Iterator[CustomerData]:
    """The demo data set: 300 customers, 600 projects, always the same seed."""
    return generate(seed=DEMO_SEED, as_of=as_of, customers=DEMO_CUSTOMERS, projects=DEMO_PROJECTS)
