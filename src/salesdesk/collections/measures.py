"""Amounts the collection rules look at, computed in SQL without running the allocation.

Allocation settles invoices oldest due date first, so for any cutoff the invoices due
before it are a prefix of the allocation order, and the payments settle that prefix
before anything else. Hence, per project and day t:

    unsettled among invoices due before `cutoff` = max(0, Σ their amounts − Σ payments)

(all counted as of t: records dated ≤ t and not reversed by t). With cutoff = t this is
the project's overdue amount; with cutoff = t − 30 it is positive exactly when the oldest
unsettled invoice is more than 30 days past due; with cutoff = the day after a month's
end it is that month's collection target. One grouped query per question, any number of
projects.
"""

import datetime as dt
from decimal import Decimal

from django.db import connection

from salesdesk.ledger.allocation import cents_to_money


def _cents(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"ROUND({column} * 100)::bigint"
    return f"CAST(ROUND({column} * 100) AS INTEGER)"


def unsettled_due_before(
    as_of: dt.date, cutoffs: dict[str, dt.date], project_ids: list[int] | None = None
) -> dict[int, dict[str, Decimal]]:
    """{project_id: {name: unsettled amount of invoices due before cutoffs[name]}} as of
    `as_of`, for every project with an invoice or payment (or only `project_ids`).
    Also gives "paid" per project. Two scans, whatever the number of projects."""
    names = list(cutoffs)
    params: dict = {"as_of": as_of.isoformat()}
    sums = []
    for n, name in enumerate(names):
        params[f"cut{n}"] = cutoffs[name].isoformat()
        sums.append(
            f"SUM(CASE WHEN i.due_date < %(cut{n})s THEN {_cents('i.amount')} ELSE 0 END) AS c{n}"
        )
    project_filter = ""
    if project_ids is not None:
        if not project_ids:
            return {}
        ids = ", ".join(str(int(pk)) for pk in project_ids)
        project_filter = f" AND {{alias}}.project_id IN ({ids})"
    sql = f"""
    WITH billed AS (
        SELECT i.project_id, {", ".join(sums)}
        FROM ledger_invoice i
        WHERE i.date <= %(as_of)s{project_filter.format(alias="i")}
          AND NOT EXISTS (SELECT 1 FROM ledger_invoicereversal r
                          WHERE r.invoice_id = i.id AND r.date <= %(as_of)s)
        GROUP BY i.project_id
    ),
    paid AS (
        SELECT p.project_id, SUM({_cents("p.amount")}) AS paid
        FROM ledger_payment p
        WHERE p.date <= %(as_of)s{project_filter.format(alias="p")}
          AND NOT EXISTS (SELECT 1 FROM ledger_paymentreversal r
                          WHERE r.payment_id = p.id AND r.date <= %(as_of)s)
        GROUP BY p.project_id
    )
    SELECT COALESCE(b.project_id, paid.project_id), COALESCE(paid.paid, 0),
           {", ".join(f"COALESCE(b.c{n}, 0)" for n in range(len(names)))}
    FROM billed b FULL OUTER JOIN paid ON paid.project_id = b.project_id
    """
    result = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            paid = int(row[1])
            values = {"paid": cents_to_money(paid)}
            for n, name in enumerate(names):
                values[name] = cents_to_money(max(0, int(row[2 + n]) - paid))
            result[row[0]] = values
    return result


def _greatest() -> str:
    return "GREATEST" if connection.vendor == "postgresql" else "MAX"


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _fetch(sql: str, params: dict | None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _day_after(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} + 1)"
    return f"date({column}, '+1 day')"


def _window_steps() -> str:
    """CTEs giving, for each row of the CTE `wp(k, project_id, lo, hi)` (a window [lo, hi]
    and a project it looks at), the project's overdue amount in cents at the end of lo
    and of every later day in the window on which it can change:
    `project_steps(k, project_id, day, overdue)`.

    The overdue amount at the end of day t is max(0, billed − paid) over the invoices
    due before t (so dated before t too: a due date is never before its invoice's date)
    and the payments dated ≤ t, neither reversed by t. An invoice counts from the day
    after its due date until its reversal, a payment from its date until its reversal:
    events whose running sums give billed and paid. The events up to lo are summed into
    one row on lo, so only the few inside the window are ordered: one scan of the ledger,
    whatever the number of projects, windows and days."""
    start = _day_after("i.due_date")
    amount = _cents("i.amount")
    paid = _cents("p.amount")
    on = _greatest()
    return f"""
    wev(k, project_id, day, billed, paid) AS (
        SELECT wp.k, wp.project_id, wp.lo, 0, 0 FROM wp
        UNION ALL
        SELECT wp.k, wp.project_id, {on}({start}, wp.lo), {amount}, 0
          FROM wp JOIN ledger_invoice i ON i.project_id = wp.project_id
          LEFT JOIN ledger_invoicereversal r ON r.invoice_id = i.id
         WHERE {start} <= wp.hi AND (r.date IS NULL OR r.date > {start})
        UNION ALL
        SELECT wp.k, wp.project_id, {on}(r.date, wp.lo), -{amount}, 0
          FROM wp JOIN ledger_invoice i ON i.project_id = wp.project_id
          JOIN ledger_invoicereversal r ON r.invoice_id = i.id
         WHERE r.date <= wp.hi AND r.date > {start}
        UNION ALL
        SELECT wp.k, wp.project_id, {on}(p.date, wp.lo), 0, {paid}
          FROM wp JOIN ledger_payment p ON p.project_id = wp.project_id
         WHERE p.date <= wp.hi
        UNION ALL
        SELECT wp.k, wp.project_id, {on}(r.date, wp.lo), 0, -{paid}
          FROM wp JOIN ledger_payment p ON p.project_id = wp.project_id
          JOIN ledger_paymentreversal r ON r.payment_id = p.id
         WHERE r.date <= wp.hi
    ),
    daily AS (
        SELECT k, project_id, day, SUM(billed) AS billed, SUM(paid) AS paid FROM wev
         GROUP BY k, project_id, day
    ),
    project_steps AS (
        SELECT k, project_id, day,
               {on}(0, SUM(billed) OVER run - SUM(paid) OVER run) AS overdue
          FROM daily
        WINDOW run AS (PARTITION BY k, project_id ORDER BY day ROWS UNBOUNDED PRECEDING)
    )"""


def first_clear_day_of_projects(windows: list[tuple[int, dt.date, dt.date]]) -> dict[int, dt.date]:
    """For each (project_id, lo, hi): the first day in [lo, hi] at whose end
    the project's overdue amount was zero, if there is one. One query.

    The amount changes only on the days `_window_steps` looks at, so the first zero is
    on one of them.

    A project's letter sequence ends on that day (DOMAIN §6)."""
    if not windows:
        return {}
    sql = f"""
    WITH {_windows_cte(windows)},
    wp(k, project_id, lo, hi) AS (SELECT k, project_id, lo, hi FROM w),
    {_window_steps()}
    SELECT k, MIN(day) FROM project_steps WHERE overdue = 0 GROUP BY k"""
    return {key: _as_date(day) for key, day in _fetch(sql, None)}


def first_clear_day_of_customers(
    windows: list[tuple[int, int, dt.date, dt.date]],
) -> dict[int, dt.date]:
    """For each (hold_id, customer_id, lo, hi): the first day in [lo, hi] at
    whose end the customer's overdue amount (all its projects) was zero. One query.

    The customer's amount is the sum of its projects' amounts, summed as their changes
    (each project step minus the one before it) in the order of the days.

    A supply hold is released on that day (DOMAIN §6)."""
    if not windows:
        return {}
    sql = f"""
    WITH {_windows_cte(windows, with_customer=True)},
    wp(k, project_id, lo, hi) AS (
        SELECT w.k, pr.id, w.lo, w.hi FROM w JOIN customers_project pr
            ON pr.customer_id = w.customer_id
    ),
    {_window_steps()},
    changes(k, day, change) AS (
        SELECT k, day,
               overdue - LAG(overdue, 1, 0) OVER (PARTITION BY k, project_id ORDER BY day)
          FROM project_steps
        UNION ALL
        SELECT k, lo, 0 FROM w
    ),
    customer_steps AS (
        SELECT k, day, SUM(SUM(change)) OVER (PARTITION BY k ORDER BY day
                                              ROWS UNBOUNDED PRECEDING) AS overdue
          FROM changes GROUP BY k, day
    )
    SELECT k, MIN(day) FROM customer_steps WHERE overdue = 0 GROUP BY k"""
    return {key: _as_date(day) for key, day in _fetch(sql, None)}


def _date_literal(day: dt.date) -> str:
    # Built from a date object, never from text a user typed, so inlining is safe; it
    # keeps the query's size free of any limit on the number of parameters.
    return (
        f"DATE '{day.isoformat()}'" if connection.vendor == "postgresql" else f"'{day.isoformat()}'"
    )


def _windows_cte(windows, with_customer: bool = False) -> str:
    """A CTE `w(k, project_id | customer_id, lo, hi)` of the windows [lo, hi]."""
    rows = []
    for window in windows:
        if with_customer:
            key, owner, lo, hi = window
        else:
            key, lo, hi = window
            owner = key
        rows.append(f"({int(key)}, {int(owner)}, {_date_literal(lo)}, {_date_literal(hi)})")
    owner_column = "customer_id" if with_customer else "project_id"
    return f"w(k, {owner_column}, lo, hi) AS (VALUES {', '.join(rows)})"


def payments_between(
    project_ids: list[int], first: dt.date, last: dt.date, as_of: dt.date
) -> dict[int, Decimal]:
    """Per project, payments dated in [first, last], less those reversed by `as_of`."""
    if not project_ids:
        return {}
    ids = ", ".join(str(int(pk)) for pk in project_ids)
    sql = f"""
    SELECT p.project_id, SUM({_cents("p.amount")}) FROM ledger_payment p
     WHERE p.project_id IN ({ids}) AND p.date >= %(first)s AND p.date <= %(last)s
       AND NOT EXISTS (SELECT 1 FROM ledger_paymentreversal r
                       WHERE r.payment_id = p.id AND r.date <= %(as_of)s)
     GROUP BY p.project_id"""
    params = {"first": first.isoformat(), "last": last.isoformat(), "as_of": as_of.isoformat()}
    return {pk: cents_to_money(total) for pk, total in _fetch(sql, params)}


def payments_sum_sql(project_column: str) -> str:
    """SQL for the payments of the project in `project_column` dated between %(first)s
    and %(last)s and not reversed by %(as_of)s, as an exact decimal amount."""
    cents = _cents("sp.amount")
    return f"""(SELECT COALESCE(SUM({cents}), 0) FROM ledger_payment sp
        WHERE sp.project_id = {project_column} AND sp.date >= %(first)s AND sp.date <= %(last)s
          AND NOT EXISTS (SELECT 1 FROM ledger_paymentreversal spr
                          WHERE spr.payment_id = sp.id AND spr.date <= %(as_of)s)) / 100.0"""
