"""Filters shared by the visit and commitment lists of the UI and the API."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from salesdesk.core.forms import DateField
from salesdesk.core.models import User
from salesdesk.visits.choices import CommitmentState, Outcome
from salesdesk.visits.models import Commitment, Visit

SALESPEOPLE = User.objects.filter(role_set__role__in=["sales", "manager"]).distinct()


def _customer_search(queryset, value: str, prefix: str = ""):
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(
        Q(**{f"{prefix}customer__code__iexact": value})
        | Q(**{f"{prefix}customer__name__icontains": value})
    )


class DateFilter(django_filters.DateFilter):
    field_class = DateField


class VisitFilter(django_filters.FilterSet):
    salesperson = django_filters.ModelChoiceFilter(
        label=_("Salesperson"), queryset=SALESPEOPLE, to_field_name="username"
    )
    customer = django_filters.CharFilter(label=_("Customer"), method="filter_customer")
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=Outcome.choices)
    date_from = DateFilter(
        label=pgettext_lazy("period", "From"), field_name="date", lookup_expr="gte"
    )
    date_to = DateFilter(label=pgettext_lazy("period", "To"), field_name="date", lookup_expr="lte")
    project = django_filters.CharFilter(label=_("Project code"), field_name="project__code")

    class Meta:
        model = Visit
        fields = ["salesperson", "customer", "outcome", "date_from", "date_to", "project"]

    def filter_customer(self, queryset, name, value):
        return _customer_search(queryset, value)


NOT_DONE = "todo"


class CommitmentFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=[(NOT_DONE, _("Not done")), *CommitmentState.choices],
        method="filter_state",
    )
    salesperson = django_filters.ModelChoiceFilter(
        label=_("Salesperson"),
        queryset=SALESPEOPLE,
        to_field_name="username",
        field_name="visit__salesperson",
    )
    customer = django_filters.CharFilter(label=_("Customer"), method="filter_customer")

    class Meta:
        model = Commitment
        fields = ["state", "salesperson", "customer"]

    def filter_state(self, queryset, name, value):
        if value == NOT_DONE:
            return queryset.filter(done_on__isnull=True)
        return queryset.state(value, timezone.localdate()) if value else queryset

    def filter_customer(self, queryset, name, value):
        return _customer_search(queryset, value, "visit__")
