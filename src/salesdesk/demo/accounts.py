"""What the demo's sales activity starts from: the customers as the salespeople work
them, the working days, and the FAB lines of the products. The activity itself comes
from three generators: `claims.py` (prospect registrations and disputes, DOMAIN §9),
`pipeline.py` (opportunities, DOMAIN §3) and `visits.py` (visits and commitments,
DOMAIN §4).

Pure Python like `generator.py` and `history.py`: the same seed, as-of date and customers
always give the same records. Each generator draws from a `random.Random` of its own,
derived from the seed ("<seed>/claims", "<seed>/pipeline", "<seed>/visits"), so adding
them changed nothing in the customer and ledger streams, and one can change without
moving the others. Customers are taken in code order whichever way they were read.
"""

import dataclasses
import datetime as dt
import random
from collections.abc import Iterable, Mapping

from salesdesk.customers.choices import BuyingRole
from salesdesk.demo.generator import (
    USERS,
    CustomerData,
)
from salesdesk.demo.ledger_records import C25, C30, C35, C40, CEMENT, MORTAR

MANAGER_OF = {user.username: user.manager for user in USERS if user.manager}


# Dates ---------------------------------------------------------------------------------


def time_on(
    day: dt.date, rng: random.Random, first_hour: int = 9, last_hour: int = 17
) -> dt.datetime:
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


# Customers as the salespeople work them ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AccountContact:
    name: str
    title: str
    role: str
    decision_authority: bool

    @property
    def decides(self) -> bool:
        return self.decision_authority or self.role == BuyingRole.DECISION_MAKER


@dataclasses.dataclass(frozen=True)
class Account:
    """What the sales activity needs to know of a customer (generated or from the database)."""

    code: str
    name: str
    owner: str  # username
    status: str
    tier: str  # "" when not tiered
    source: str
    region: str
    industry: str
    contacts: tuple[AccountContact, ...]
    projects: tuple[str, ...]  # active project codes
    since: dt.date | None = None  # registered on, for a prospect registered in the demo

    @property
    def decider(self) -> AccountContact | None:
        return next((contact for contact in self.contacts if contact.decides), None)


def accounts_of(
    customers: Iterable[CustomerData], tiers: Mapping[str, str] | None = None
) -> list[Account]:
    """Generated customers as the activity generators take them; `tiers` by customer code."""
    tiers = tiers or {}
    return sorted(
        (
            Account(
                code=c.code, name=c.name, owner=c.owner, status=c.status,
                tier=tiers.get(c.code, ""), source=c.source, region=c.region,
                industry=c.industry,
                contacts=tuple(
                    AccountContact(k.name, k.title, k.role, k.decision_authority) for k in c.contacts
                ),
                projects=tuple(p.code for p in c.projects if p.status == "active"),
            )
            for c in customers
        ),
        key=lambda c: c.code,
    )  # fmt: skip


# Visits --------------------------------------------------------------------------------
