"""The pipeline report in the published shape of FORMATS.md."""

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet

from salesdesk.core.reporting import Report
from salesdesk.lib.money import format_money
from salesdesk.pipeline.choices import CLOSED_STAGES, PipelineClass
from salesdesk.pipeline.models import Opportunity
from salesdesk.pipeline.scoring import ScoreRule, publish


def pipeline_report(
    *, as_of: dt.date, opportunities: QuerySet[Opportunity] | None = None, **_ignored
) -> Report:
    """One row per open opportunity, sorted by code: score, pass and class with the
    policy in force on `as_of`, the close window counted from `as_of`. One query.

    Stages and factors are the current ones (they have no history of their own): a past
    `as_of` re-evaluates today's pipeline with that day's policy and calendar."""
    rule = ScoreRule.as_of_date(as_of)
    queryset = opportunities if opportunities is not None else Opportunity.objects.all()
    rows_qs = (
        rule.annotate(queryset.exclude(stage__in=CLOSED_STAGES))
        .order_by("code")
        .values_list(
            "code", "name", "customer__code", "customer__name", "owner__username", "stage",
            "source", "value", "risk_points", "risk_passed", "pipeline_class",
            "expected_close", "contact_level",
        )
    )  # fmt: skip
    rows = []
    total = Decimal(0)
    classes = {c.value: 0 for c in PipelineClass}
    unclassified = 0
    for (
        code, name, customer, customer_name, owner, stage, source, value, points, passed,
        klass, expected_close, contact_level,
    ) in rows_qs:  # fmt: skip
        score = publish(rule.score_of_points(points))
        rows.append(
            {
                "code": code,
                "name": name,
                "customer": customer,
                "customer_name": customer_name,
                "owner": owner,
                "stage": stage,
                "source": source or None,
                "value": None if value is None else format_money(value),
                "score": None if score is None else str(score),
                "passed": bool(passed),
                "class": klass,
                "expected_close": expected_close.isoformat() if expected_close else None,
                "contact_level": contact_level,
            }
        )
        total += value or 0
        if klass in classes:
            classes[klass] += 1
        else:
            unclassified += 1
    return Report(
        name="pipeline",
        as_of=as_of,
        rows=rows,
        totals={
            "value": format_money(total),
            "count": len(rows),
            "classes": classes,
            "unclassified": unclassified,
        },
    )
