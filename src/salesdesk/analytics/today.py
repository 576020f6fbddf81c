"""The Today page's items, gathered from the apps that own them.

Each item is a function `(user, today) -> dict` of template variables (empty when the
item is not the user's); the page shows them in this order. An app offers its items as
selectors (collections' `today_for`, visits' `visit_reminders`, pipeline's `touches_due`),
and a new item is a function added to `ITEMS`.
"""

import datetime as dt
from collections.abc import Callable

from salesdesk.collections.today import today_for
from salesdesk.compensation.today import today_items as compensation_items
from salesdesk.core.choices import Role
from salesdesk.core.models import User
from salesdesk.customers.selectors import archive_counts
from salesdesk.pipeline.selectors import Context, touches_due
from salesdesk.visits.reminders import visit_reminders


def archive_item(user: User, today: dt.date) -> dict:
    return {"counts": archive_counts(user)}


def collections_item(user: User, today: dt.date) -> dict:
    """Overdue projects, letters, tasks, sign-offs, legal cases and holds, by role
    (with the prices waiting for a manager's approval)."""
    return today_for(user, today)


def reminders_item(user: User, today: dt.date) -> dict:
    """Visits and reduced-contact touches due, for the people who make them."""
    if not user.has_role(Role.SALES, Role.MANAGER):
        return {}
    due = touches_due(user, Context.as_of(today))
    return {
        "visits": visit_reminders(user, today),
        "touches": list(due[:5]),
        "touches_count": due.count(),
    }


def compensation_item(user: User, today: dt.date) -> dict:
    """The month ready to finalise (finance); the last payable and open advances (sales)."""
    return {"compensation": compensation_items(user, today)}


ITEMS: list[Callable[[User, dt.date], dict]] = [
    archive_item,
    collections_item,
    compensation_item,
    reminders_item,
]


def today_page(user: User, today: dt.date) -> dict:
    context: dict = {}
    for item in ITEMS:
        context.update(item(user, today))
    return context
