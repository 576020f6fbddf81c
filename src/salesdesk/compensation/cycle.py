"""Compensation's part of the daily cycle: registered into collections' step registry at
start-up (collections never imports compensation)."""

import datetime as dt

from salesdesk.collections.cycle import register_daily_step


def compensation_step(day: dt.date) -> list[str]:
    """Write off the paid advances of projects that are 100% collected on `day`."""
    from salesdesk.compensation.services import advances_write_off

    return [
        f"advance written off: project {advance.project.code}, {advance.amount:.2f}"
        for advance in advances_write_off(day=day)
    ]


def register() -> None:
    register_daily_step("compensation", compensation_step)
