"""Filters of the opportunity list, the kanban and the class board, shared by the UI and
the API. The queryset must come from `ScoreRule.annotate` (class and pass are computed in
SQL) and carry `last_touch`; the filter set is told the rule (`rule=`)."""

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.models import User
from salesdesk.customers.choices import LeadSource
from salesdesk.customers.filters import search_condition
from salesdesk.pipeline.choices import CLOSED_STAGES, ContactLevel, PipelineClass, Stage
from salesdesk.pipeline.models import Opportunity

OPEN = "open"
CLOSED = "closed"
FAILED = "failed"
UNSCORED = "unscored"
DUE = "due"
NO_SOURCE = "none"


class OpportunityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"),
        queryset=User.objects.filter(role_set__role__in=["sales", "manager"]).distinct(),
        to_field_name="username",
    )
    stage = django_filters.ChoiceFilter(
        label=_("Stage"),
        choices=[(OPEN, _("Open")), (CLOSED, _("Closed")), *Stage.choices],
        method="filter_stage",
    )
    pipeline_class = django_filters.ChoiceFilter(
        label=_("Class"),
        choices=[*PipelineClass.choices, (FAILED, _("Failed screening")), (UNSCORED, _("Not scored"))],
        method="filter_class",
    )  # fmt: skip
    source = django_filters.ChoiceFilter(
        label=_("Lead source"),
        choices=[*LeadSource.choices, (NO_SOURCE, _("Not recorded"))],
        method="filter_source",
    )
    passed = django_filters.ChoiceFilter(
        label=_("Screening"),
        choices=[("yes", _("Passed")), ("no", _("Not passed"))],
        method="filter_passed",
    )
    contact = django_filters.ChoiceFilter(
        label=_("Contact level"),
        choices=[*ContactLevel.choices, (DUE, _("Touch due"))],
        method="filter_contact",
    )
    customer = django_filters.CharFilter(label=_("Customer code"), field_name="customer__code")

    class Meta:
        model = Opportunity
        fields = ["q", "owner", "stage", "pipeline_class", "source", "passed", "contact"]

    def __init__(self, *args, rule, touch_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.touch_days = touch_days

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            search_condition(value, ("code", "name", "customer__name", "customer__code"))
        )

    def filter_stage(self, queryset, name, value):
        if value == OPEN:
            return queryset.exclude(stage__in=CLOSED_STAGES)
        if value == CLOSED:
            return queryset.filter(stage__in=CLOSED_STAGES)
        return queryset.filter(stage=value)

    def filter_class(self, queryset, name, value):
        if value == FAILED:
            return queryset.filter(risk_points__isnull=False, risk_passed=False)
        if value == UNSCORED:
            return queryset.filter(risk_points__isnull=True)
        return queryset.filter(pipeline_class=value)

    def filter_source(self, queryset, name, value):
        return queryset.filter(source="" if value == NO_SOURCE else value)

    def filter_passed(self, queryset, name, value):
        return queryset.filter(risk_passed=value == "yes")

    def filter_contact(self, queryset, name, value):
        if value == DUE:
            return queryset.filter(touch_due_condition(self.rule.as_of, self.touch_days))
        return queryset.filter(contact_level=value)


def touch_due_condition(as_of: dt.date, days: int) -> Q:
    """Open, on reduced contact, and no touch (nor the reduction) in the last `days` days.
    Needs the `last_touch` annotation."""
    cutoff = as_of - dt.timedelta(days=days)
    return (
        Q(contact_level=ContactLevel.REDUCED, reduced_on__lte=cutoff)
        & (Q(last_touch__isnull=True) | Q(last_touch__lte=cutoff))
        & ~Q(stage__in=CLOSED_STAGES)
    )


# The published parameter is `class` (a Python keyword, so declared under another name).
OpportunityFilter.base_filters = {
    ("class" if name == "pipeline_class" else name): spec
    for name, spec in OpportunityFilter.base_filters.items()
}
