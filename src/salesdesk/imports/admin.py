from django.contrib import admin

from salesdesk.core.admin import ReadOnlyAdmin
from salesdesk.imports.models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    """The history of imports, for inspection: rows are written by the importer only."""

    list_display = ["created_at", "source", "actor", "rows", "seconds"]
    list_filter = ["actor"]
    readonly_fields = ["source", "actor", "counts", "rows", "seconds", "created_at"]
