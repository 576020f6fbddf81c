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


def _overdue_expr(project: str, day: str) -> str:
    """SQL for the overdue amount, in cents, of project `project` at the end of day `day`
    (both SQL expressions). The prefix rule again, with cutoff = day."""
    return f"""{_greatest()}(0,
      (SELECT COALESCE(SUM({_cents("oi.amount")}), 0) FROM ledger_invoice oi
        WHERE oi.project_id = {project} AND oi.date <= {day} AND oi.due_date < {day}
          AND NOT EXISTS (SELECT 1 FROM ledger_invoicereversal oir
                          WHERE oir.invoice_id = oi.id AND oir.date <= {day}))
      - (SELECT COALESCE(SUM({_cents("op.amount")}), 0) FROM ledger_payment op
        WHERE op.project_id = {project} AND op.date <= {day}
          AND NOT EXISTS (SELECT 1 FROM ledger_paymentreversal opr
                          WHERE opr.payment_id = op.id AND opr.date <= {day})))"""


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _fetch(sql: str, params: dict | None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _relief_days(windows: str, owner: str) -> str:
    """SQL for the days inside each window on which an overdue amount can have fallen:
    days with a payment or an invoice reversal of a project `owner` matches, and the
    window's last day. `windows` is a CTE with columns k, lo, hi and the column `owner`
    names (project_id or customer_id)."""
    match = "pr.id = w.project_id" if owner == "project_id" else "pr.customer_id = w.customer_id"
    return f"""
        SELECT w.k, p.date AS day FROM {windows} w
          JOIN customers_project pr ON {match}
          JOIN ledger_payment p ON p.project_id = pr.id AND p.date > w.lo AND p.date <= w.hi
        UNION
        SELECT w.k, r.date FROM {windows} w
          JOIN customers_project pr ON {match}
          JOIN ledger_invoice i ON i.project_id = pr.id
          JOIN ledger_invoicereversal r ON r.invoice_id = i.id AND r.date > w.lo AND r.date <= w.hi
        UNION
        SELECT w.k, w.hi FROM {windows} w"""


def first_clear_day_of_projects(windows: list[tuple[int, dt.date, dt.date]]) -> dict[int, dt.date]:
    """For each (project_id, lo, hi): the first day in (lo, hi] at whose end
    the project's overdue amount was zero, if there is one. One query.

    A project's letter sequence ends on that day (DOMAIN §6)."""
    if not windows:
        return {}
    sql = f"""
    WITH {_windows_cte(windows)},
    days AS ({_relief_days("w", "project_id")})
    SELECT days.k, MIN(days.day) FROM days
     WHERE {_overdue_expr("days.k", "days.day")} = 0
     GROUP BY days.k"""
    return {key: _as_date(day) for key, day in _fetch(sql, None)}


def first_clear_day_of_customers(
    windows: list[tuple[int, int, dt.date, dt.date]],
) -> dict[int, dt.date]:
    """For each (hold_id, customer_id, lo, hi): the first day in (lo, hi] at
    whose end the customer's overdue amount (all its projects) was zero. One query.

    A supply hold is released on that day (DOMAIN §6)."""
    if not windows:
        return {}
    sql = f"""
    WITH {_windows_cte(windows, with_customer=True)},
    days AS ({_relief_days("w", "customer_id")})
    SELECT days.k, MIN(days.day) FROM days JOIN w ON w.k = days.k
     WHERE (SELECT COALESCE(SUM({_overdue_expr("cp.id", "days.day")}), 0)
              FROM customers_project cp WHERE cp.customer_id = w.customer_id) = 0
     GROUP BY days.k"""
    return {key: _as_date(day) for key, day in _fetch(sql, None)}


def _date_literal(day: dt.date) -> str:
    # Built from a date object, never from text a user typed, so inlining is safe; it
    # keeps the query's size free of any limit on the number of parameters.
    return (
        f"DATE '{day.isoformat()}'" if connection.vendor == "postgresql" else f"'{day.isoformat()}'"
    )


def _windows_cte(windows, with_customer: bool = False) -> str:
    """A CTE `w(k, project_id | customer_id, lo, hi)` of the windows (lo, hi]."""
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
