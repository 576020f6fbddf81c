"""The Django admin: a read-mostly back office for administrators.

Business data is changed through the pages and services (which validate and audit);
the admin lists records for inspection and lets administrators manage accounts.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from salesdesk.core.models import ApiToken, AuditEntry, Plant, PolicyValue, User, UserRole


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [UserRoleInline]
    list_display = ["username", "name", "manager", "plant", "is_active"]
    list_filter = ["is_active", "role_set__role", "plant"]
    search_fields = ["username", "name", "email"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("SalesDesk", {"fields": ["name", "manager", "plant"]}),
    ]


@admin.register(Plant)
class PlantAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Listed for inspection only: these records are written by services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor__username"]


@admin.register(PolicyValue)
class PolicyValueAdmin(ReadOnlyAdmin):
    list_display = ["key", "value", "effective_from", "set_by", "reason"]
    search_fields = ["key"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
