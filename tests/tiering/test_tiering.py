"""Tiering (DOMAIN §2) checked against rankings and quotas worked out by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from salesdesk.core.policy import policy_as_of
from salesdesk.customers.models import CustomerTierChange
from salesdesk.ledger import services as ledger
from salesdesk.tiering.ranking import TierRow, propose, quotas
from salesdesk.tiering.selectors import tiering_rows
from salesdesk.tiering.services import tiering_apply
from tests.factories import CustomerFactory, ProjectFactory

D = dt.date


def row(code, score, rating, invoiced, tier="", locked=False):
    return TierRow(0, code, code, score, rating, Decimal(invoiced), tier, locked)


TEN = [
    row("C01", 90, "A", 1000), row("C02", 80, "B", 900), row("C03", None, "A", 800),
    row("C04", 70, "C", 700), row("C05", 60, "", 600), row("C06", 50, "D", 500),
    row("C07", 40, "A", 400), row("C08", 30, "B", 300), row("C09", 20, "C", 0),
    row("C10", 10, "D", 0),
]  # fmt: skip


@pytest.fixture
def policy(db):
    return policy_as_of(D(2026, 6, 30))


def test_it_scores_ranks_and_tiers_ten_customers_as_worked_by_hand(policy):
    result = {p.row.code: p for p in propose(TEN, policy)}
    # 0.4 × business + 0.3 × rating + 0.3 × 100 × smaller / 9
    assert result["C01"].score == Decimal("96.0")  # 36 + 30 + 30
    assert result["C02"].score_1dp == Decimal("81.2")  # 32 + 22.5 + 26.67
    assert result["C03"].score_1dp == Decimal("73.3")  # 20 (missing: 50) + 30 + 23.33
    assert result["C05"].score_1dp == Decimal("55.7")  # unrated: 50 points
    assert result["C09"].score == Decimal("23.0")  # nobody invoiced less than 0
    order = [p.row.code for p in sorted(result.values(), key=lambda p: p.rank)]
    assert order == ["C01", "C02", "C03", "C04", "C07", "C05", "C08", "C06", "C09", "C10"]
    assert {code: p.proposed for code, p in result.items()} == {
        "C01": "strategic", "C02": "strategic",
        "C03": "key", "C04": "key", "C07": "key",
        "C05": "general", "C06": "general", "C08": "general", "C09": "general", "C10": "general",
    }  # fmt: skip


def test_it_gives_a_locked_customer_one_of_its_tiers_places(policy):
    rows = [r if r.code != "C09" else row("C09", 20, "C", 0, "strategic", True) for r in TEN]
    proposed = {p.row.code: p.proposed for p in propose(rows, policy)}
    assert proposed["C09"] == "strategic"
    assert [c for c, t in sorted(proposed.items()) if t == "strategic"] == ["C01", "C09"]
    assert [c for c, t in sorted(proposed.items()) if t == "key"] == ["C02", "C03", "C04"]


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, (0, 0, 1)),
        (3, (1, 1, 1)),
        (5, (1, 2, 2)),
        (7, (1, 2, 4)),
        (10, (2, 3, 5)),
        (13, (3, 4, 6)),
    ],
)
def test_it_rounds_the_places_half_up(n, expected, policy):
    # n=5: 0.2×5 = 1, 0.3×5 = 1.5 → 2; n=13: 2.6 → 3, 3.9 → 4
    places = quotas(n, policy)
    assert (places["strategic"], places["key"], places["general"]) == expected


def test_it_breaks_ties_by_larger_amount_then_code(policy):
    rows = [row("B", 50, "B", 100), row("A", 50, "B", 100), row("C", 50, "B", 100)]
    # Equal amounts: equal scale points too, so the code decides.
    assert [p.row.code for p in propose(rows, policy)] == ["A", "B", "C"]
    rows = [row("A", 60, "", 0), row("B", 60, "", 0)]
    assert [p.row.code for p in propose(rows, policy)] == ["A", "B"]


def test_it_gives_a_lone_customer_full_scale_points(policy):
    [only] = propose([row("X", None, "", 0)], policy)
    assert only.scale_points == 100
    assert only.score == Decimal("65.0")  # 20 + 15 + 30
    assert only.proposed == "general"  # round(0.2) = round(0.3) = 0 places


def test_it_counts_invoices_of_the_twelve_months_up_to_the_date_and_applies(people):
    big, small = CustomerFactory(code="BIG"), CustomerFactory(code="SMALL")
    CustomerFactory(code="DORMANT", status="dormant")
    for customer, amount in ((big, "900.00"), (small, "100.00")):
        project = ProjectFactory(customer=customer)
        ledger.invoice_post(
            actor=None,
            number=f"{customer.code}-1",
            project=project,
            date=D(2025, 6, 30),
            amount="5000.00",
        )  # a year before: out
        ledger.invoice_post(actor=None, number=f"{customer.code}-2", project=project,
                            date=D(2025, 7, 1), amount=amount)  # fmt: skip
    rows = {r.code: r.invoiced for r in tiering_rows(D(2026, 6, 30))}
    assert rows == {"BIG": Decimal("900.00"), "SMALL": Decimal("100.00")}

    changed = tiering_apply(actor=people.manager1, as_of=D(2026, 6, 30))
    # N = 2: strategic round(0.4) = 0, key round(0.6) = 1 → BIG key, SMALL general.
    assert {p.row.code: p.proposed for p in changed} == {"BIG": "key", "SMALL": "general"}
    big.refresh_from_db()
    assert big.tier == "key"
    assert CustomerTierChange.objects.filter(customer=big, to_tier="key").exists()
    assert tiering_apply(actor=people.manager1, as_of=D(2026, 6, 30)) == []


def test_it_lets_only_managers_apply_re_tiering(people):
    from salesdesk.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        tiering_apply(actor=people.sales1, as_of=D(2026, 6, 30))


# Exact ranking, locks and ties -------------------------------------------------------------


def spread_of(n, special):
    """n customers with amounts 0, 100, 200, ...: customer k has k smaller ones. Fillers
    score 0 and D; `special` maps an index to (code, business score, rating)."""
    rows = []
    for k in range(n):
        code, score, rating = special.get(k, (f"F{k:02d}", 0, "D"))
        rows.append(row(code, score, rating, 100 * k))
    return rows


@pytest.mark.parametrize(
    ("n", "smaller", "larger"),
    [
        # n − 1 = 21: 0.4 × 50 + 7.5 + 0.3 × 100 × 3/21 = 0 + 7.5 + 0.3 × 100 × 17/21
        (22, (3, "X", 50, "D"), (17, "Y", 0, "D")),
        # n − 1 = 6: 0.4 × 90 + 15 + 0.3 × 100 × 4/6 = 0.4 × 40 + 30 + 0.3 × 100 × 5/6 = 71
        (7, (4, "X", 90, "C"), (5, "Y", 40, "A")),
    ],
)
def test_it_breaks_a_true_tie_by_the_larger_amount_not_by_rounding(n, smaller, larger, policy):
    # In 28-digit decimals these scores differ in the last digit, either way; the rule is
    # that a tie goes to the larger invoiced amount, whatever the code.
    rows = spread_of(n, {smaller[0]: smaller[1:], larger[0]: larger[1:]})
    rows.reverse()  # the input order does not matter
    proposals = {p.row.code: p for p in propose(rows, policy)}
    x, y = proposals["X"], proposals["Y"]
    assert x.exact == y.exact and x.score == y.score
    assert y.rank == x.rank - 1  # Y invoiced more


def test_it_rounds_the_shown_score_half_up_from_the_exact_value(policy):
    # n − 1 = 40: scale points 2.5 → 0.75; 0.4 × 1 + 0.3 × 50 + 0.75 = 16.15 → 16.2.
    rows = spread_of(41, {1: ("X", 1, "")})
    x = next(p for p in propose(rows, policy) if p.row.code == "X")
    assert x.score == Decimal("16.15")
    assert x.score_1dp == Decimal("16.2")
    assert x.scale_points == Decimal("2.5") and x.scale_points_2dp == Decimal("2.50")


def test_it_fills_the_places_of_a_tier_with_more_locks_than_places(policy):
    # Three customers locked in strategic, which has two places: all three keep it, and
    # nobody else gets strategic; key's three places go to the top three of the rest.
    locked = {"C08", "C09", "C10"}
    rows = [row(r.code, r.business_score, r.credit_rating, r.invoiced,
                "strategic" if r.code in locked else "", r.code in locked) for r in TEN]  # fmt: skip
    proposed = {p.row.code: p.proposed for p in propose(rows, policy)}
    assert sorted(c for c, t in proposed.items() if t == "strategic") == sorted(locked)
    assert sorted(c for c, t in proposed.items() if t == "key") == ["C01", "C02", "C03"]


def test_it_counts_a_locked_general_customer_without_moving_anyone(policy):
    rows = [r if r.code != "C01" else row("C01", 90, "A", 1000, "general", True) for r in TEN]
    proposed = {p.row.code: p.proposed for p in propose(rows, policy)}
    assert proposed["C01"] == "general"
    assert sorted(c for c, t in proposed.items() if t == "strategic") == ["C02", "C03"]
    assert sorted(c for c, t in proposed.items() if t == "key") == ["C04", "C05", "C07"]


def test_it_lets_the_ties_for_the_last_place_go_by_amount_then_code(policy):
    # Five customers with the same score: the one strategic place (round(0.2 × 5) = 1)
    # goes to the larger amount... but a larger amount also means more scale points. So
    # equal scores need equal amounts, and the code decides among them.
    rows = [row(code, 60, "B", 500) for code in ("E", "D", "C", "B", "A")]
    proposals = propose(rows, policy)
    assert [(p.row.code, p.proposed) for p in proposals] == [
        ("A", "strategic"), ("B", "key"), ("C", "key"), ("D", "general"), ("E", "general"),
    ]  # fmt: skip


def test_it_marks_each_change_and_summarises_the_proposal(policy):
    from salesdesk.tiering.ranking import changes_digest, summarise

    tiers = {"C01": "strategic", "C02": "key", "C03": "", "C05": "key", "C10": "key"}
    rows = [row(r.code, r.business_score, r.credit_rating, r.invoiced, tiers.get(r.code, "general"),
                r.code == "C10") for r in TEN]  # fmt: skip
    proposals = propose(rows, policy)
    assert {p.row.code: p.direction for p in proposals if p.direction} == {
        "C02": "up", "C03": "new", "C04": "up", "C05": "down",
    }  # fmt: skip
    summary = summarise(proposals, policy)
    assert summary.places == {"strategic": 2, "key": 3, "general": 5}
    assert summary.locked == {"strategic": 0, "key": 1, "general": 0}
    assert summary.current == {"strategic": 1, "key": 3, "general": 5, "": 1}
    assert summary.proposed == {"strategic": 2, "key": 3, "general": 5}
    assert summary.changes == {"up": 2, "down": 1, "new": 1, "total": 4}
    assert summary.digest == changes_digest(proposals)
    relocked = [r if r.code != "C05" else row("C05", 60, "", 600, "key", True) for r in rows]
    assert changes_digest(propose(relocked, policy)) != summary.digest


def test_it_applies_nothing_when_a_customer_was_locked_after_the_proposal_was_read(
    people, monkeypatch
):
    from django.core.exceptions import ValidationError

    from salesdesk.tiering import services

    a = CustomerFactory(code="A", business_score=100, credit_rating="A")
    CustomerFactory(code="B", business_score=0, credit_rating="D")
    stale = tiering_rows(D(2026, 6, 30))
    # A manager locks A in general between the read and the write.
    a.tier, a.tier_locked, a.tier_lock_reason = "general", True, "观察期"
    a.save()
    monkeypatch.setattr(services, "tiering_rows", lambda as_of: stale)

    with pytest.raises(ValidationError):
        tiering_apply(actor=people.manager1, as_of=D(2026, 6, 30))
    a.refresh_from_db()
    assert (a.tier, a.tier_locked) == ("general", True)
    assert not CustomerTierChange.objects.exists()


def test_it_refuses_to_apply_as_of_a_future_date(people):
    from django.core.exceptions import ValidationError

    CustomerFactory(code="A")
    with pytest.raises(ValidationError):
        tiering_apply(actor=people.manager1, as_of=D(2999, 1, 1))
