"""Reads of the customer archive, always scoped to what the user may see."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from salesdesk.core.models import AuditEntry, User
from salesdesk.customers.choices import BuyingRole
from salesdesk.customers.filters import CustomerFilter, ProjectFilter
from salesdesk.customers.models import Contact, Customer, Project


def _ties_by_code(queryset: QuerySet) -> QuerySet:
    """Break ties of a sort on a non-unique column (status, owner, ...) by code. Without
    it PostgreSQL may order the ties differently in each page's LIMIT/OFFSET query, so
    paging lists some records twice and others never."""
    return queryset.order_by(*queryset.query.order_by, "code")


def customer_queryset(user: User) -> QuerySet[Customer]:
    return Customer.objects.visible_to(user)


def customer_list(user: User, params) -> tuple[CustomerFilter, QuerySet[Customer]]:
    """The customers `user` may see, filtered and sorted by `params` (a QueryDict or dict)."""
    base = customer_queryset(user).select_related("owner")
    filterset = CustomerFilter(params, queryset=base)
    queryset = filterset.qs if filterset.is_valid() else base.none()
    if not params.get("sort"):
        return filterset, queryset.order_by("name", "code")
    return filterset, _ties_by_code(queryset)


def customer_get(user: User, code: str) -> Customer:
    """The customer with this code if `user` may see it; Customer.DoesNotExist otherwise."""
    return customer_queryset(user).select_related("owner").get(code=code)


def customer_contacts(customer: Customer) -> list[Contact]:
    return list(customer.contacts.order_by("role", "name"))


def customer_has_decision_maker(customer: Customer) -> bool:
    return customer.contacts.filter(
        Q(decision_authority=True) | Q(role=BuyingRole.DECISION_MAKER)
    ).exists()


def customer_projects(user: User, customer: Customer) -> list[Project]:
    return list(
        Project.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("plant", "owner")
        .order_by("-started_on", "code")
    )


def customer_audit(user: User, customer: Customer, limit: int = 50) -> list[AuditEntry]:
    """The customer's audit trail, with the changes of those of its projects `user` sees."""
    visible_projects = project_queryset(user).filter(customer=customer)
    project_ids = [str(pk) for pk in visible_projects.values_list("pk", flat=True)]
    return list(
        AuditEntry.objects.filter(
            Q(object_type="customers.customer", object_id=str(customer.pk))
            | Q(object_type="customers.project", object_id__in=project_ids)
        )
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def project_queryset(user: User) -> QuerySet[Project]:
    return Project.objects.visible_to(user)


def project_list(user: User, params) -> tuple[ProjectFilter, QuerySet[Project]]:
    base = project_queryset(user).select_related("customer", "owner", "plant")
    filterset = ProjectFilter(params, queryset=base)
    queryset = filterset.qs if filterset.is_valid() else base.none()
    if not params.get("sort"):
        return filterset, queryset.order_by("code")
    return filterset, _ties_by_code(queryset)


def project_details() -> QuerySet[Project]:
    """Projects with their customer, owner and plant; scope them with `visible_to`."""
    return Project.objects.select_related("customer", "owner", "plant")


def project_get(user: User, code: str) -> Project:
    return project_details().visible_to(user).get(code=code)


def project_audit(project: Project, limit: int = 50) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type="customers.project", object_id=str(project.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def archive_counts(user: User) -> dict:
    """Headline figures for the home page, in two queries."""
    customers = customer_queryset(user).aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(status="active")),
        untiered=Count("pk", filter=Q(status="active", tier="")),
    )
    no_decision_maker = (
        customer_queryset(user)
        .filter(status="active")
        .exclude(
            Exists(
                Contact.objects.filter(customer_id=OuterRef("pk")).filter(
                    Q(decision_authority=True) | Q(role=BuyingRole.DECISION_MAKER)
                )
            )
        )
        .count()
    )
    projects = project_queryset(user).aggregate(
        total=Count("pk"), active=Count("pk", filter=Q(status="active"))
    )
    return {"customers": customers, "projects": projects, "no_decision_maker": no_decision_maker}
