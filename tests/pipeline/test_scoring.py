"""The evaluation rules of DOMAIN §3 pinned: score mapping, rounding, pass and class
boundaries, incomplete forms, and the SQL form agreeing with the Python form."""

import datetime as dt
import random
from decimal import Decimal
from fractions import Fraction

import pytest

from salesdesk.pipeline.models import Opportunity
from salesdesk.pipeline.scoring import ScoreRule, publish
from tests.clock import TODAY
from tests.pipeline.builders import factors, set_policy

AS_OF = dt.date(2026, 6, 30)


def rule(weights=(1,) * 7, pass_score="60", class_a="75", window=90, as_of=AS_OF):
    return ScoreRule(
        as_of=as_of,
        weights=tuple(Decimal(str(w)) for w in weights),
        pass_score=Decimal(pass_score),
        class_a_score=Decimal(class_a),
        close_window_days=window,
    )


def scores(*values):
    return list(factors(*values).values())


def close_in(days):
    return AS_OF + dt.timedelta(days=days)


# The score ---------------------------------------------------------------------------


@pytest.mark.parametrize(("score", "expected"), [(1, "0.0"), (3, "50.0"), (5, "100.0")])
def test_it_maps_all_equal_factor_scores_to_0_50_and_100(score, expected):
    evaluation = rule().evaluate(scores(score), close_in(30))

    assert str(evaluation.published) == expected


def test_it_maps_all_2s_and_all_4s_to_25_and_75():
    assert rule().score(scores(2)) == 25
    assert rule().score(scores(4)) == 75


def test_it_weights_the_factors_by_the_policy_weights():
    # weights 2,1,1,1,1,1,3 (total 10); factors 5,1,3,4,2,5,4
    # weighted sum 10+1+3+4+2+5+12 = 37, mean 3.7, score (3.7 - 1) / 4 × 100 = 67.5
    weighted = rule(weights=(2, 1, 1, 1, 1, 1, 3))

    assert weighted.score(scores(5, 1, 3, 4, 2, 5, 4)) == Fraction(135, 2)
    assert str(publish(weighted.score(scores(5, 1, 3, 4, 2, 5, 4)))) == "67.5"


def test_it_weights_by_decimal_policy_weights():
    # weights 0.5 ×6 and 2 (total 5); factors 5 ×6 and 1: sum 15 + 2 = 17, mean 3.4 → 60.0
    weighted = rule(weights=(0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 2))

    assert weighted.score(scores(5, 5, 5, 5, 5, 5, 1)) == 60


def test_it_publishes_one_decimal_rounded_half_up():
    # weights 1 ×6 and 14 (total 20): one point above the floor is 25 / 20 = 1.25 → 1.3
    weighted = rule(weights=(1, 1, 1, 1, 1, 1, 14))

    assert weighted.score(scores(2, 1, 1, 1, 1, 1, 1)) == Fraction(5, 4)
    assert str(weighted.evaluate(scores(2, 1, 1, 1, 1, 1, 1), None).published) == "1.3"
    # equal weights: 25 × 20 / 7 = 71.428… → 71.4; 25 × 13 / 7 = 46.428… → 46.4
    assert str(publish(rule().score(scores(4, 4, 4, 4, 4, 4, 3)))) == "71.4"
    assert str(publish(rule().score(scores(3, 3, 3, 3, 3, 3, 2)))) == "46.4"


def test_it_gives_an_incomplete_form_no_score_no_pass_and_no_class():
    incomplete = [5, 5, 5, 5, 5, 5, None]

    evaluation = rule().evaluate(incomplete, close_in(1))

    assert evaluation.score is None
    assert evaluation.published is None
    assert evaluation.passed is False
    assert evaluation.pipeline_class is None
    assert evaluation.failed is False  # not scored is not "failed screening"


def test_it_gives_no_score_when_every_weight_is_zero():
    assert rule(weights=(0,) * 7).evaluate(scores(5), close_in(1)).score is None


# Pass --------------------------------------------------------------------------------


def test_it_passes_a_score_of_exactly_60():
    # weights 1 ×5 and 0 ×2 (total 5): factors 4,4,3,3,3 → (3.4 - 1) / 4 × 100 = 60
    weighted = rule(weights=(1, 1, 1, 1, 1, 0, 0))

    exactly = weighted.evaluate(scores(4, 4, 3, 3, 3, 1, 1), close_in(30))
    below = weighted.evaluate(scores(4, 3, 3, 3, 3, 1, 1), close_in(30))

    assert exactly.score == 60 and exactly.passed and exactly.pipeline_class == "C"
    assert below.score == 55 and not below.passed and below.pipeline_class is None
    assert below.failed


def test_it_compares_the_exact_score_not_the_published_one():
    # a score of exactly 60 shows as "60.0" but fails a passing score of 60.01
    strict = rule(weights=(1, 1, 1, 1, 1, 0, 0), pass_score="60.01")

    at_sixty = strict.evaluate(scores(4, 4, 3, 3, 3, 1, 1), close_in(30))

    assert str(at_sixty.published) == "60.0"
    assert not at_sixty.passed


def test_it_passes_at_60_7_and_fails_at_57_1_with_equal_weights():
    assert rule().evaluate(scores(4, 4, 4, 3, 3, 3, 3), None).passed  # 24 → 60.7
    assert not rule().evaluate(scores(4, 4, 3, 3, 3, 3, 3), None).passed  # 23 → 57.1


# Class -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [(-30, "A"), (0, "A"), (89, "A"), (90, "A"), (91, "B"), (None, "B")],
)
def test_it_classes_a_score_of_exactly_75_by_days_to_close(days, expected):
    expected_close = None if days is None else close_in(days)

    evaluation = rule().evaluate(scores(4), expected_close)

    assert evaluation.score == 75
    assert evaluation.pipeline_class == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [(-1, "C"), (89, "C"), (90, "C"), (91, "D"), (None, "D")],
)
def test_it_classes_a_passing_score_under_75_by_days_to_close(days, expected):
    expected_close = None if days is None else close_in(days)

    evaluation = rule().evaluate(scores(4, 4, 4, 4, 4, 4, 3), expected_close)  # 71.4

    assert evaluation.passed
    assert evaluation.pipeline_class == expected


def test_it_uses_the_policy_thresholds_and_window():
    custom = rule(class_a="70", window=30)

    assert custom.evaluate(scores(4, 4, 4, 4, 4, 4, 3), close_in(30)).pipeline_class == "A"
    assert custom.evaluate(scores(4, 4, 4, 4, 4, 4, 3), close_in(31)).pipeline_class == "B"


def test_it_gives_no_class_to_a_failed_opportunity_even_with_a_lower_class_threshold():
    evaluation = rule(class_a="10").evaluate(scores(2), close_in(1))

    assert evaluation.score == 25 and not evaluation.passed
    assert evaluation.pipeline_class is None


# The SQL form ------------------------------------------------------------------------


def _random_rules(rng):
    yield rule()
    yield rule(weights=(2, 1, 1, 1, 1, 1, 3))
    yield rule(weights=(1, 1, 1, 1, 1, 1, 14), pass_score="59.96", class_a="74.95")
    for _ in range(3):
        yield rule(
            weights=[rng.choice(["0", "0.5", "1", "1.25", "2", "3.333"]) for _ in range(7)],
            pass_score=rng.choice(["50", "60", "62.5"]),
            class_a=rng.choice(["70", "75", "80.05"]),
            window=rng.choice([30, 90]),
        )


def test_it_computes_score_pass_and_class_in_sql_exactly_as_in_python(make, db):
    rng = random.Random(3)
    rows = []
    for n in range(120):
        values = [rng.randint(1, 5) for _ in range(7)]
        if n % 10 == 0:
            values[rng.randrange(7)] = None
        days = rng.choice([None, -5, 0, 29, 30, 31, 89, 90, 91, 200])
        opportunity = make(f"R{n:03d}", score=None, close_in=days)
        Opportunity.objects.filter(pk=opportunity.pk).update(
            **{f"f{i}": v for i, v in enumerate(values, start=1)}
        )
        rows.append(
            (opportunity.code, values, None if days is None else TODAY + dt.timedelta(days))
        )

    for score_rule in _random_rules(rng):
        score_rule = ScoreRule(
            as_of=TODAY, weights=score_rule.weights, pass_score=score_rule.pass_score,
            class_a_score=score_rule.class_a_score,
            close_window_days=score_rule.close_window_days,
        )  # fmt: skip
        annotated = {
            o.code: o for o in score_rule.annotate(Opportunity.objects.filter(code__startswith="R"))
        }
        for code, values, expected_close in rows:
            expected = score_rule.evaluate(values, expected_close)
            got = annotated[code]
            assert score_rule.score_of_points(got.risk_points) == expected.score, code
            assert got.risk_passed == expected.passed, code
            assert got.pipeline_class == expected.pipeline_class, code


def test_it_reads_the_policy_in_force_on_the_as_of_date(people, db):
    set_policy(people, effective_from=dt.date(2026, 7, 1), risk__weight_f7="3",
               risk__pass_score="70")  # fmt: skip

    before = ScoreRule.as_of_date(dt.date(2026, 6, 30))
    after = ScoreRule.as_of_date(dt.date(2026, 7, 1))

    assert before.weights == (Decimal(1),) * 7 and before.pass_score == 60
    assert after.weights[6] == 3 and after.pass_score == 70
    assert before.score(scores(5, 5, 5, 5, 5, 5, 1)) == Fraction(600, 7)  # 85.7
    assert after.score(scores(5, 5, 5, 5, 5, 5, 1)) == Fraction(200, 3)  # 66.7
