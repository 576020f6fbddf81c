from django.contrib import admin

from salesdesk.core.admin import ReadOnlyAdmin
from salesdesk.pipeline.models import FabProduct, Opportunity, OpportunityTouch

# Opportunities and FAB lines change through the pipeline pages, which validate and audit.


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "customer", "owner", "stage", "value", "expected_close"]
    list_filter = ["stage", "source", "contact_level"]
    search_fields = ["code", "name", "customer__name"]
    list_select_related = ["customer", "owner"]


@admin.register(OpportunityTouch)
class OpportunityTouchAdmin(ReadOnlyAdmin):
    list_display = ["opportunity", "date", "recorded_by"]
    list_select_related = ["opportunity", "recorded_by"]


@admin.register(FabProduct)
class FabProductAdmin(ReadOnlyAdmin):
    list_display = ["name", "updated_at"]
    search_fields = ["name"]
