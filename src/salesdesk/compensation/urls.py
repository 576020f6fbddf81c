from django.urls import path

from salesdesk.compensation import views

urlpatterns = [
    path("commissions/", views.statement_list, name="commission_statements"),
    path("commissions/finalise/", views.statement_finalise, name="commission_finalise"),
    path("commissions/<str:statement_id>/", views.statement_detail, name="commission_statement"),
    path(
        "commissions/<str:statement_id>.pdf", views.statement_pdf, name="commission_statement_pdf"
    ),
    path(
        "commissions/<str:statement_id>.xlsx",
        views.statement_xlsx,
        name="commission_statement_xlsx",
    ),
    path("advances/", views.advance_list, name="advance_list"),
    path("advances/<int:advance_id>/<str:step>/", views.advance_step, name="advance_step"),
]
