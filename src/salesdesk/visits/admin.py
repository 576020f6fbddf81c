from django.contrib import admin

from salesdesk.core.admin import ReadOnlyAdmin
from salesdesk.visits.models import Commitment, Visit

# Visits change through the visit pages and the API, which validate and audit.


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["date", "customer", "salesperson", "outcome", "manager_involved"]
    list_filter = ["outcome", "manager_involved"]
    search_fields = ["customer__code", "customer__name", "salesperson__username"]
    list_select_related = ["customer", "salesperson"]


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyAdmin):
    list_display = ["what", "who", "due", "done_on", "visit"]
    list_select_related = ["visit__customer", "visit__salesperson"]
