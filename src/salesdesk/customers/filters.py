"""Filters shared by the customer and project lists of the UI and the API."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.models import Plant, User
from salesdesk.customers.choices import CustomerStatus, ProjectStatus, Tier
from salesdesk.customers.models import Customer, Project
from salesdesk.lib import names


def search_condition(value: str, fields: tuple[str, ...]) -> Q:
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": value})
    return condition


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    tier = django_filters.ChoiceFilter(
        label=_("Tier"), choices=[*Tier.choices, ("none", _("Not tiered"))], method="filter_tier"
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CustomerStatus.choices)
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"),
        queryset=User.objects.filter(role_set__role__in=["sales", "manager"]).distinct(),
        to_field_name="username",
    )
    plant = django_filters.ModelChoiceFilter(
        label=_("Plant"), queryset=Plant.objects.all(), to_field_name="code", method="filter_plant"
    )
    region = django_filters.CharFilter(label=_("Region"), lookup_expr="iexact")
    sort = django_filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("name", "name"),
            ("code", "code"),
            ("tier", "tier"),
            ("status", "status"),
            ("region", "region"),
            ("owner__username", "owner"),
            ("created_at", "created"),
        ),
        field_labels={
            "name": _("Name"),
            "code": _("Code"),
            "tier": _("Tier"),
            "status": _("Status"),
            "region": _("Region"),
            "owner__username": _("Owner"),
            "created_at": _("Created"),
        },
    )

    class Meta:
        model = Customer
        fields = ["q", "tier", "status", "owner", "plant", "region"]

    def filter_search(self, queryset, name, value):
        # Three plain LIKEs on values stored in one case: PostgreSQL answers them from
        # its trigram indexes (migration 0004), where UPPER(...) LIKE would scan.
        value = value.strip()
        if not value:
            return queryset
        upper = names.to_halfwidth(value).upper()
        condition = Q(code__contains=upper) | Q(credit_code__contains=upper)
        folded = names.fold(value)
        if folded:
            condition |= Q(search_key__contains=folded)
        return queryset.filter(condition)

    def filter_tier(self, queryset, name, value):
        return queryset.filter(tier="" if value == "none" else value)

    def filter_plant(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Exists(Project.objects.filter(customer_id=OuterRef("pk"), plant=value))
        )


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    customer = django_filters.CharFilter(label=_("Customer code"), field_name="customer__code")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProjectStatus.choices)
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"),
        queryset=User.objects.filter(role_set__role__in=["sales", "manager"]).distinct(),
        to_field_name="username",
    )
    plant = django_filters.ModelChoiceFilter(
        label=_("Plant"), queryset=Plant.objects.all(), to_field_name="code"
    )
    sort = django_filters.OrderingFilter(
        label=_("Sort"),
        fields=(("code", "code"), ("name", "name"), ("customer__name", "customer"),
                ("status", "status"), ("started_on", "started")),
    )  # fmt: skip

    class Meta:
        model = Project
        fields = ["q", "customer", "status", "owner", "plant"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            search_condition(
                value, ("code", "name", "contract_no", "customer__name", "customer__code")
            )
        )
