"""Visit compliance per salesperson and month, computed by hand (DOMAIN §2, §4, §8).

Default policy: strategic 2 visits a month with the sales manager involved; key 1 a
month; general (and untiered) 1 a quarter, assessed in the quarter's last month.
"""

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.core.services import policy_update
from salesdesk.visits.selectors import compliance, outcome_mix
from tests.factories import CustomerFactory
from tests.visits.builders import log

D = dt.date
TODAY = D(2026, 11, 29)


def by_person(report) -> dict:
    return {row.salesperson.username: row for row in report.rows}


def customer_rows(row) -> dict:
    return {c.customer.code: (c.visits, c.required, c.manager_visits, c.met) for c in row.customers}


def test_it_assesses_a_quarter_end_month_on_monthly_and_quarterly_tiers(people, quarter):
    report = compliance(people.admin, D(2025, 3, 1), today=TODAY)

    sales1 = by_person(report)["sales1"]
    assert customer_rows(sales1) == {
        "S1": (2, 2, 1, True),
        "S1b": (2, 2, 0, False),
        "K1": (1, 1, 0, True),
        "K1b": (0, 1, 0, False),
        "G1": (1, 1, 0, True),
        "G1b": (0, 1, 0, False),
        "U1": (0, 1, 0, False),
    }
    assert (sales1.due, sales1.met, sales1.short_of_visits, sales1.without_manager) == (7, 3, 3, 1)
    assert sales1.ratio == Decimal("0.4286")  # 3 / 7
    sales2 = by_person(report)["sales2"]
    assert (sales2.due, sales2.met, sales2.ratio) == (1, 1, Decimal("1.0000"))
    sales3 = by_person(report)["sales3"]
    assert (sales3.due, sales3.met, sales3.ratio) == (1, 0, Decimal("0.0000"))
    assert (report.due, report.met, report.ratio) == (9, 4, Decimal("0.4444"))
    assert [rule.tier for rule, _s, _e in report.rules] == ["strategic", "key", "general"]
    assert report.deferred == [] and report.complete


def test_it_leaves_quarterly_customers_to_the_quarters_last_month(people, quarter):
    february = compliance(people.admin, D(2025, 2, 1), today=TODAY)
    april = compliance(people.admin, D(2025, 4, 1), today=TODAY)

    sales1 = by_person(february)["sales1"]
    # S1 and S1b: 0 and 1 visits of 2; K1 (10 Feb) and K1b (28 Feb) met.
    assert customer_rows(sales1) == {
        "S1": (0, 2, 0, False),
        "S1b": (1, 2, 0, False),
        "K1": (1, 1, 0, True),
        "K1b": (1, 1, 0, True),
    }
    assert sales1.ratio == Decimal("0.5000")
    assert [(rule.tier, end) for rule, _start, end in february.deferred] == [
        ("general", D(2025, 3, 31))
    ]
    # 1 April counts for April and for Q2, never for March or Q1.
    assert customer_rows(by_person(april)["sales1"])["K1b"] == (1, 1, 0, True)
    assert [(rule.tier, start) for rule, start, _end in april.deferred] == [
        ("general", D(2025, 4, 1))
    ]


def test_it_counts_the_quarters_visits_when_the_quarter_ends(people, quarter):
    june = compliance(people.admin, D(2025, 6, 1), today=TODAY)

    rows = customer_rows(by_person(june)["sales1"])
    assert rows["G1b"] == (1, 1, 0, True)  # visited 1 April: Q2 met
    assert rows["G1"] == (0, 1, 0, False)  # visited in Q1 only


def test_it_scopes_compliance_to_the_salespeople_a_user_may_see(people, quarter):
    march = D(2025, 3, 1)

    assert set(by_person(compliance(people.sales1, march, today=TODAY))) == {"sales1"}
    assert set(by_person(compliance(people.manager1, march, today=TODAY))) == {"sales1", "sales2"}
    assert set(by_person(compliance(people.manager2, march, today=TODAY))) == {"sales3"}
    assert set(by_person(compliance(people.finance, march, today=TODAY))) == {
        "sales1", "sales2", "sales3",
    }  # fmt: skip
    assert compliance(people.nobody, march, today=TODAY).rows == []
    one = compliance(people.manager1, march, today=TODAY, salesperson=people.sales2)
    assert set(by_person(one)) == {"sales2"}


def test_it_follows_the_policy_in_force_on_the_months_first_day(people, quarter):
    policy_update(
        values={"tier.general.visit_period": "month", "tier.strategic.visits_required": "1"},
        effective_from=D(2025, 2, 1),
        actor=None,
    )

    february = by_person(compliance(people.admin, D(2025, 2, 1), today=TODAY))["sales1"]
    january = by_person(compliance(people.admin, D(2025, 1, 1), today=TODAY))["sales1"]

    # From February general customers are visited monthly, strategic ones once a month.
    assert customer_rows(february)["S1b"] == (1, 1, 0, False)  # the manager is still missing
    assert customer_rows(february)["G1"] == (0, 1, 0, False)
    assert "G1" not in customer_rows(january)  # January is still under the quarterly rule


def test_it_marks_the_current_month_as_figures_so_far(people, quarter):
    assert not compliance(people.admin, D(2025, 3, 1), today=D(2025, 3, 31)).complete
    assert compliance(people.admin, D(2025, 3, 1), today=D(2025, 4, 1)).complete


def test_it_computes_compliance_in_a_constant_number_of_queries(people, quarter):
    def count(month):
        with CaptureQueriesContext(connection) as queries:
            compliance(people.manager1, month, today=TODAY)
        return len(queries)

    count(D(2025, 3, 1))  # loads the user's roles, once per request in real life
    few = count(D(2025, 3, 1))
    for n in range(40):
        log(
            CustomerFactory(code=f"X{n:02d}", owner=people.sales2, tier="key"),
            D(2025, 3, 1 + n % 28),
        )

    # The policy, then one grouped query for every customer.
    assert few == count(D(2025, 3, 1)) == 2


def test_it_measures_the_advance_rate_and_the_outcome_mix(people, quarter):
    rows, total = outcome_mix(people.manager1, D(2025, 3, 1), D(2025, 3, 31))

    by_name = {row.username: row for row in rows}
    sales1 = by_name["sales1"]
    # March by sales1: S1 advance + continuation, S1b advance + no sale, K1 order, Sd order.
    assert sales1.counts == {"order": 2, "advance": 2, "continuation": 1, "no_sale": 1}
    assert (sales1.total, sales1.advance_rate, sales1.decided_share) == (
        6, Decimal("0.3333"), Decimal("0.5000"),
    )  # fmt: skip
    assert by_name["sales2"].advance_rate == Decimal("1.0000")  # S2: two advances
    assert (total.total, total.advances, total.advance_rate) == (8, 4, Decimal("0.5000"))


def test_it_scopes_the_outcome_mix_by_salesperson(people, quarter):
    own, _total = outcome_mix(people.sales1, D(2025, 1, 1), D(2025, 12, 31))
    other_team, none = outcome_mix(people.manager2, D(2025, 1, 1), D(2025, 12, 31))

    assert [row.username for row in own] == ["sales1"]
    assert other_team == [] and none.advance_rate is None
