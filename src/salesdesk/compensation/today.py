"""The compensation items of the Today page, per user (DOMAIN §7): finance sees the month
ready to finalise once it has ended; a salesperson sees their last finalised statement's
payable and their open advances. A few queries, whatever the number of statements."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from salesdesk.compensation.choices import OPEN_ADVANCE
from salesdesk.compensation.models import Advance, Statement
from salesdesk.compensation.services import ASKERS, FINALISERS
from salesdesk.compensation.statements import month_to_finalise, statement_id
from salesdesk.core.models import User
from salesdesk.lib.money import ZERO


@dataclass
class TodayItem:
    key: str
    text: str
    url: str
    amount: Decimal | None = None


def finance_items(user: User, today: dt.date) -> list[TodayItem]:
    if not (user.is_superuser or user.has_role(*FINALISERS)):
        return []
    month = month_to_finalise(today)
    if month is None:
        return []
    return [
        TodayItem(
            key="commissions_to_finalise",
            text=_("Commission statements of %(month)s are ready to finalise.")
            % {"month": f"{month:%Y-%m}"},
            url=f"{reverse('commission_statements')}?month={month:%Y-%m}",
        )
    ]


def salesperson_items(user: User, today: dt.date) -> list[TodayItem]:
    if not (user.is_superuser or user.has_role(*ASKERS)):
        return []
    items = []
    last = (
        Statement.objects.filter(salesperson=user, month__lt=today.replace(day=1))
        .order_by("-month")
        .first()
    )
    if last is not None:
        items.append(
            TodayItem(
                key="last_statement",
                text=_("Your commission statement of %(month)s: payable %(amount)s.")
                % {"month": f"{last.month:%Y-%m}", "amount": f"{last.payable:.2f}"},
                url=reverse("commission_statement", args=[statement_id(last.month, user.pk)]),
                amount=last.payable,
            )
        )
    advances = Advance.objects.filter(salesperson=user, status__in=OPEN_ADVANCE).aggregate(
        count=Count("id"), total=Sum("amount")
    )
    if advances["count"]:
        items.append(
            TodayItem(
                key="open_advances",
                text=_("Open expense advances: %(count)s, %(amount)s in all.")
                % {"count": advances["count"], "amount": f"{advances['total'] or ZERO:.2f}"},
                url=reverse("advance_list"),
                amount=advances["total"],
            )
        )
    return items


def today_items(user: User, today: dt.date) -> list[TodayItem]:
    """Everything compensation puts on `user`'s Today page."""
    return finance_items(user, today) + salesperson_items(user, today)
