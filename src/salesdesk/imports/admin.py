from django.contrib import admin

from salesdesk.imports.models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """The history of imports, for inspection: rows are written by the importer only."""

    list_display = ["created_at", "source", "actor", "rows", "seconds"]
    list_filter = ["actor"]
    readonly_fields = ["source", "actor", "counts", "rows", "seconds", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
