from django.contrib import admin

from salesdesk.core.admin import ReadOnlyAdmin
from salesdesk.customers.models import Contact, Customer, Project

# Customers and projects change through the archive pages, which validate and audit.


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "owner", "tier", "status", "region"]
    list_filter = ["tier", "status"]
    search_fields = ["code", "name", "credit_code"]
    list_select_related = ["owner"]


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["name", "customer", "role", "decision_authority"]
    list_select_related = ["customer"]


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "customer", "owner", "plant", "status"]
    list_filter = ["status", "plant"]
    search_fields = ["code", "name", "contract_no"]
    list_select_related = ["customer", "owner", "plant"]
