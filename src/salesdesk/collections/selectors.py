"""Reads about collections: holds in force, letter sequences, tasks."""

import datetime as dt

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery

from salesdesk.collections.measures import first_clear_day_of_customers
from salesdesk.collections.models import DunningLetter, SupplyHold


def holds_in_force(customer_ids: list[int], day: dt.date) -> dict[int, SupplyHold]:
    """The hold each customer is under on `day`, if any.

    A hold whose release date is not yet recorded is checked against the ledger, so the
    answer is right even before the next cycle or payment records the release."""
    holds = list(
        SupplyHold.objects.filter(customer_id__in=customer_ids, since__lte=day)
        .filter(Q(released_on__isnull=True) | Q(released_on__gt=day))
        .select_related("customer", "trigger__project")
    )
    unrecorded = [(h.pk, h.customer_id, h.since, day) for h in holds if h.released_on is None]
    cleared = first_clear_day_of_customers(unrecorded) if unrecorded else {}
    return {h.customer_id: h for h in holds if h.pk not in cleared}


def last_letters(project_ids: list[int] | None, up_to: dt.date) -> dict[int, DunningLetter]:
    """Each project's latest letter issued on or before `up_to`. One query."""
    latest_day = (
        DunningLetter.objects.filter(project_id=OuterRef("project_id"), issued_on__lte=up_to)
        .order_by()
        .values("project_id")
        .annotate(day=Max("issued_on"))
        .values("day")
    )
    letters = DunningLetter.objects.filter(issued_on=Subquery(latest_day)).select_related("project")
    if project_ids is not None:
        letters = letters.filter(project_id__in=project_ids)
    return {letter.project_id: letter for letter in letters}


def letters_of(queryset: QuerySet) -> QuerySet[DunningLetter]:
    return queryset.select_related("project__customer", "issued_by").order_by("-issued_on", "-id")
