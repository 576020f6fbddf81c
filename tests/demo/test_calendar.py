"""The demo and the daily cycle on the days date code breaks: year ends, month ends, the
policy day (the 25th), a leap day. On each, `salesdesk demo` must leave the system as
running every day up to that day would, and the day's cycle then has nothing left to do.
"""

import datetime as dt
from collections import Counter
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Exists, OuterRef, Q

from salesdesk.collections.cycle import cycle_run
from salesdesk.collections.models import (
    CollectionTask,
    CycleRun,
    DunningLetter,
    LegalCase,
    SupplyHold,
)
from salesdesk.customers.claims.selectors import ClaimState, claim_state
from salesdesk.customers.models import ProspectClaim
from salesdesk.ledger.models import Delivery, Payment

DAYS = [
    "2027-01-01", "2027-01-31", "2027-02-28", "2028-02-29",
    "2027-03-31", "2027-06-25", "2027-12-24", "2027-12-31",
]  # fmt: skip


def month_start(day: dt.date, months: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@pytest.mark.parametrize("day", DAYS)
def test_the_demo_keeps_its_promises_on(db, day):
    today = dt.date.fromisoformat(day)
    moment = dt.datetime.combine(today, dt.time(9, 30), tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        output = StringIO()
        call_command("demo", stdout=output)

        # The cycle ran every day of the last six months, up to today.
        runs = list(CycleRun.objects.order_by("day").values_list("day", flat=True))
        assert runs[-1] == today and runs[0] == month_start(today, -6)
        assert len(runs) == (today - runs[0]).days + 1
        assert not cycle_run(as_of=today).changed

        # Money keeps coming in, and the overdue get letters.
        month_ago = today - dt.timedelta(days=30)
        assert Payment.objects.filter(date__gt=month_ago, date__lte=today).count() > 20
        assert DunningLetter.objects.filter(issued_on__gt=month_ago).count() >= 5
        assert not DunningLetter.objects.filter(issued_on__gt=today).exists()
        numbers = Counter(DunningLetter.objects.values_list("number", flat=True))
        assert numbers[1] >= numbers[2] >= numbers[3] > 0

        # Holds in force and released, and never a delivery inside one.
        holds = SupplyHold.objects.all()
        assert holds.filter(released_on__isnull=True).exists()
        assert holds.filter(released_on__isnull=False).exists()
        inside = SupplyHold.objects.filter(
            customer_id=OuterRef("project__customer_id"), since__lte=OuterRef("date")
        ).filter(Q(released_on__isnull=True) | Q(released_on__gt=OuterRef("date")))
        assert not Delivery.objects.filter(Exists(inside)).exists()

        # Legal cases opened by the cycle, their projects in legal recovery.
        cases = LegalCase.objects.select_related("project")
        assert cases.exists() and all(case.project.status == "legal" for case in cases)
        assert not cases.filter(opened_on__gt=today).exists()

        # This month's tasks issued (signed by marketing and finance), last month's
        # assessed; from the 25th next month's are drafted, and signed on the next
        # working day.
        this_month = CollectionTask.objects.filter(month=month_start(today))
        assert this_month.exists()
        assert set(this_month.values_list("status", flat=True)) == {"issued"}
        assert not this_month.filter(
            Q(marketing_signed_by=None) | Q(finance_signed_by=None)
        ).exists()
        last_month = CollectionTask.objects.filter(month=month_start(today, -1))
        assert set(last_month.values_list("status", flat=True)) == {"assessed"}
        assert not last_month.filter(assessed_on__gt=today).exists()
        following = set(
            CollectionTask.objects.filter(month=month_start(today, 1)).values_list(
                "status", flat=True
            )
        )
        if today.day == 25:
            assert following == {"draft"}
        elif today.day > 25:
            assert following in ({"draft"}, {"issued"})
        else:
            assert following == set()
        assert not CollectionTask.objects.filter(status="lapsed").exists()

        # Prospect registrations in every state.
        states = {claim_state(claim, today) for claim in ProspectClaim.objects.all()}
        assert states >= {
            ClaimState.PROTECTED, ClaimState.EXPIRING, ClaimState.EXPIRED, ClaimState.ENDED
        }  # fmt: skip
        assert "Ran the collections cycle every day" in output.getvalue()
