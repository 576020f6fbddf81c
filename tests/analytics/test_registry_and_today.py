"""The analytics layer: the report registry names every published report, and the Today
page is the items its apps provide, in order."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from salesdesk.analytics import reports, today
from salesdesk.core.reporting import Report, ReportError
from tests.clock import TODAY

PUBLISHED = {  # FORMATS.md
    *("aging", "letters", "holds", "tasks", "tiers", "pipeline", "commissions", "advances"),
}


def test_the_registry_names_every_published_report_and_nothing_else():
    assert set(reports.REGISTRY) == PUBLISHED
    assert all(callable(build) for build in reports.REGISTRY.values())


def test_it_builds_a_report_by_its_name(db):
    report = reports.builder("tiers")(as_of=TODAY)
    assert isinstance(report, Report)
    assert (report.name, report.as_of) == ("tiers", TODAY)


def test_it_refuses_an_unknown_report_naming_the_known_ones():
    with pytest.raises(
        ReportError, match="unknown report 'nope'; known: advances, aging, commissions, holds"
    ):
        reports.builder("nope")


def test_the_command_refuses_an_unknown_report(db):
    with pytest.raises(CommandError, match="unknown report"):
        call_command("report", "nope", stdout=io.StringIO())


def test_the_today_page_is_its_items_in_order(people, monkeypatch):
    calls = []

    def item(name, values):
        def provide(user, day):
            calls.append((name, user, day))
            return values

        return provide

    monkeypatch.setattr(
        today, "ITEMS", [item("a", {"x": 1, "y": 1}), item("b", {}), item("c", {"y": 2})]
    )
    day = dt.date(2026, 3, 1)
    assert today.today_page(people.sales1, day) == {"x": 1, "y": 2}
    assert calls == [
        ("a", people.sales1, day),
        ("b", people.sales1, day),
        ("c", people.sales1, day),
    ]


def test_a_salesperson_gets_the_reminders_and_finance_does_not(people):
    sales = today.today_page(people.sales1, TODAY)
    finance = today.today_page(people.finance, TODAY)
    assert {"counts", "sales", "visits", "touches", "touches_count"} <= set(sales)
    assert "counts" in finance and "visits" not in finance and "sales" not in finance


def test_the_home_page_shows_the_today_items(people, page_for):
    response = page_for(people.sales1).get("/")
    assert response.status_code == 200
    assert response.templates[0].name == "analytics/home.html"
    assert {"counts", "sales", "visits"} <= set(response.context.keys())
