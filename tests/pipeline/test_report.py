"""`salesdesk report pipeline`: the FORMATS.md envelope, one row per open opportunity."""

import csv
import datetime as dt
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command

from salesdesk.pipeline.reports import pipeline_report
from tests.clock import TODAY
from tests.pipeline.builders import set_policy

ROW_FIELDS = {"code", "customer", "customer_name", "owner", "stage", "value", "score", "passed",
              "class", "expected_close"}  # fmt: skip


@pytest.fixture
def pipeline(customers, make):
    make("B2", customers.c2, score=(2,), close_in=10, value="50.50")  # failed
    make("A1", customers.c1, score=(4,), close_in=90, value="1000.00")  # 75.0, day 90: A
    make("C3", customers.c3, score=(4, 4, 4, 4, 4, 4, 3), close_in=91, value=None)  # 71.4: D
    make("D4", customers.c1, score=None, close_in=None, value=None)  # incomplete
    make("Z9", customers.c1, stage="won")  # closed: not listed


def report(as_of=TODAY, format="json"):
    out = StringIO()
    call_command("report", "pipeline", "--as-of", as_of.isoformat(), "--format", format,
                 stdout=out)  # fmt: skip
    return out.getvalue()


def test_it_prints_the_envelope_with_one_row_per_open_opportunity_by_code(pipeline):
    document = json.loads(report())

    assert set(document) == {"report", "as_of", "generated_at", "rows", "totals"}
    assert document["report"] == "pipeline" and document["as_of"] == TODAY.isoformat()
    assert [row["code"] for row in document["rows"]] == ["A1", "B2", "C3", "D4"]
    for row in document["rows"]:
        assert set(row) >= ROW_FIELDS
    a1, b2, c3, d4 = document["rows"]
    assert a1 == {**a1, "customer": "C1", "owner": "sales1", "stage": "lead",
                       "value": "1000.00", "score": "75.0", "passed": True, "class": "A",
                       "expected_close": (TODAY + dt.timedelta(days=90)).isoformat()}  # fmt: skip
    assert (b2["score"], b2["passed"], b2["class"], b2["value"]) == ("25.0", False, None, "50.50")
    assert (c3["score"], c3["passed"], c3["class"], c3["value"]) == ("71.4", True, "D", None)
    assert (d4["score"], d4["passed"], d4["class"], d4["expected_close"]) == (
        None, False, None, None,
    )  # fmt: skip
    assert document["totals"] == {
        "value": "1050.50", "count": 4, "classes": {"A": 1, "B": 0, "C": 0, "D": 1},
        "unclassified": 2,
    }  # fmt: skip


def test_it_counts_the_close_window_from_the_as_of_date(pipeline):
    later = json.loads(report(TODAY + dt.timedelta(days=1)))
    earlier = json.loads(report(TODAY - dt.timedelta(days=1)))

    assert later["rows"][0]["class"] == "A"  # 89 days away
    assert earlier["rows"][0]["class"] == "B"  # 91 days away
    assert later["rows"][2]["class"] == "C"  # 90 days away


def test_it_uses_the_policy_in_force_on_the_as_of_date(people, pipeline):
    set_policy(people, effective_from=TODAY + dt.timedelta(days=1), risk__pass_score="80")

    assert pipeline_report(as_of=TODAY).rows[0]["passed"] is True
    tomorrow = pipeline_report(as_of=TODAY + dt.timedelta(days=1))
    assert tomorrow.rows[0]["passed"] is False and tomorrow.rows[0]["class"] is None


def test_it_prints_csv_with_a_header(pipeline):
    rows = list(csv.DictReader(io.StringIO(report(format="csv"))))

    assert [row["code"] for row in rows] == ["A1", "B2", "C3", "D4"]
    assert rows[0]["class"] == "A" and rows[0]["score"] == "75.0"


def test_it_prints_an_empty_report_with_zero_totals(db):
    document = pipeline_report(as_of=TODAY).envelope()

    assert document["rows"] == []
    assert document["totals"]["value"] == "0.00" and document["totals"]["count"] == 0
