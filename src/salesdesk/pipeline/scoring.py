"""The customer evaluation rules of DOMAIN §3, in one place.

    score = (weighted mean of the seven factor scores − 1) / 4 × 100

so all 1s give 0, all 3s give 50 and all 5s give 100. The weights, the passing score,
the class A/B score and the close window are policy, read as of a date. An opportunity
whose form is incomplete (any factor missing) has no score, does not pass, has no class.

    pass  = score ≥ risk.pass_score
    A     = passed, score ≥ risk.class_a_score, expected close ≤ as_of + risk.close_window_days
    B     = passed, score ≥ risk.class_a_score, closes later (or no expected close)
    C     = passed, score < risk.class_a_score, expected close within the window
    D     = passed, the rest

A date already past is "within the window". The comparisons use the exact score; the
published score is rounded half up to one decimal.

The rules run twice: in Python (`ScoreRule.evaluate`, for one record) and in SQL
(`ScoreRule.annotate`, for lists, boards and reports, so a filter by class is one query).
Both work in integers: the weights and thresholds are scaled by a power of ten until
they are whole, so neither SQLite's floating point nor a Decimal division can move an
opportunity across a boundary. Tests pin that the two agree.
"""

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)

from salesdesk.core.policy import Policy, policy_as_of
from salesdesk.pipeline.choices import FACTOR_NUMBERS, PipelineClass

ONE_DECIMAL = Decimal("0.1")


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def publish(score: Fraction | None) -> Decimal | None:
    """The score as published: one decimal, half up (scores are never negative)."""
    if score is None:
        return None
    tenths = math.floor(score * 10 + Fraction(1, 2))
    return (Decimal(tenths) / 10).quantize(ONE_DECIMAL)


@dataclass(frozen=True)
class Evaluation:
    """One opportunity's score, screening result and class on a date."""

    score: Fraction | None
    passed: bool
    pipeline_class: str | None

    @property
    def published(self) -> Decimal | None:
        return publish(self.score)

    @property
    def complete(self) -> bool:
        return self.score is not None

    @property
    def failed(self) -> bool:
        """Scored and below the passing score: to abandon or to put on reduced contact."""
        return self.score is not None and not self.passed


@dataclass(frozen=True)
class ScoreRule:
    """The policy of one date, turned into integer arithmetic."""

    as_of: dt.date
    weights: tuple[Decimal, ...]
    pass_score: Decimal
    class_a_score: Decimal
    close_window_days: int

    @classmethod
    def from_policy(cls, policy: Policy) -> "ScoreRule":
        return cls(
            as_of=policy.as_of,
            weights=tuple(Decimal(policy[f"risk.weight_f{n}"]) for n in FACTOR_NUMBERS),
            pass_score=Decimal(policy["risk.pass_score"]),
            class_a_score=Decimal(policy["risk.class_a_score"]),
            close_window_days=int(policy["risk.close_window_days"]),
        )

    @classmethod
    def as_of_date(cls, as_of: dt.date | None = None) -> "ScoreRule":
        return cls.from_policy(policy_as_of(as_of or dt.date.today()))

    # Integer form ----------------------------------------------------------------------

    @property
    def _scale(self) -> int:
        places = max(_places(v) for v in (*self.weights, self.pass_score, self.class_a_score))
        return 10**places

    @property
    def int_weights(self) -> tuple[int, ...]:
        return tuple(int(w * self._scale) for w in self.weights)

    @property
    def weight_total(self) -> int:
        return sum(self.int_weights)

    def _threshold(self, score: Decimal) -> int:
        """score ≥ T  ⇔  25·s·N ≥ (s·T + 25·s)·D, N the weighted sum, D the weight total."""
        s = self._scale
        return (int(score * s) + 25 * s) * self.weight_total

    @property
    def close_by(self) -> dt.date:
        """The last expected-close date that counts as closing within the window."""
        return self.as_of + dt.timedelta(days=self.close_window_days)

    # One record ------------------------------------------------------------------------

    def weighted_sum(self, factors: Sequence[int | None]) -> int | None:
        if len(factors) != len(FACTOR_NUMBERS) or any(f is None for f in factors):
            return None
        if self.weight_total == 0:
            return None
        return sum(w * f for w, f in zip(self.int_weights, factors, strict=True))

    def score(self, factors: Sequence[int | None]) -> Fraction | None:
        points = self.weighted_sum(factors)
        if points is None:
            return None
        return Fraction(25 * (points - self.weight_total), self.weight_total)

    def closes_soon(self, expected_close: dt.date | None) -> bool:
        return expected_close is not None and expected_close <= self.close_by

    def evaluate(self, factors: Sequence[int | None], expected_close: dt.date | None) -> Evaluation:
        points = self.weighted_sum(factors)
        if points is None:
            return Evaluation(score=None, passed=False, pipeline_class=None)
        score = Fraction(25 * (points - self.weight_total), self.weight_total)
        scaled = 25 * self._scale * points
        passed = scaled >= self._threshold(self.pass_score)
        if not passed:
            return Evaluation(score=score, passed=False, pipeline_class=None)
        high = scaled >= self._threshold(self.class_a_score)
        soon = self.closes_soon(expected_close)
        klass = (
            PipelineClass.A
            if high and soon
            else PipelineClass.B
            if high
            else PipelineClass.C
            if soon
            else PipelineClass.D
        )
        return Evaluation(score=score, passed=True, pipeline_class=klass.value)

    # Many records, in SQL --------------------------------------------------------------

    def annotate(self, queryset: QuerySet) -> QuerySet:
        """Add `risk_points` (the scaled weighted sum, null when incomplete),
        `risk_passed` and `pipeline_class` (A/B/C/D or null) to an Opportunity queryset."""
        if self.weight_total == 0:
            points = Value(None, output_field=BigIntegerField())
        else:
            terms = [
                Value(w, output_field=BigIntegerField()) * F(f"f{n}")
                for n, w in zip(FACTOR_NUMBERS, self.int_weights, strict=True)
            ]
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            points = ExpressionWrapper(total, output_field=BigIntegerField())
        scaled = ExpressionWrapper(
            F("risk_points") * Value(25 * self._scale, output_field=BigIntegerField()),
            output_field=BigIntegerField(),
        )
        passed = Q(risk_scaled__gte=self._threshold(self.pass_score))
        high = Q(risk_scaled__gte=self._threshold(self.class_a_score))
        soon = Q(expected_close__lte=self.close_by)
        return queryset.annotate(risk_points=points, risk_scaled=scaled).annotate(
            risk_passed=Case(When(passed, then=Value(True)), default=Value(False),
                             output_field=BooleanField()),
            pipeline_class=Case(
                When(passed & high & soon, then=Value("A")),
                When(passed & high, then=Value("B")),
                When(passed & soon, then=Value("C")),
                When(passed, then=Value("D")),
                default=Value(None),
                output_field=CharField(max_length=1, null=True),
            ),
        )  # fmt: skip

    def score_of_points(self, points: int | None) -> Fraction | None:
        """The exact score of an annotated `risk_points`."""
        if points is None or self.weight_total == 0:
            return None
        return Fraction(25 * (points - self.weight_total), self.weight_total)


def factors_of(values: Mapping) -> list[int | None]:
    """[f1..f7] from a mapping with keys f1..f7 (or an object's attributes)."""
    if isinstance(values, Mapping):
        return [values.get(f"f{n}") for n in FACTOR_NUMBERS]
    return [getattr(values, f"f{n}") for n in FACTOR_NUMBERS]
