from django.urls import path

from salesdesk.pipeline import views

urlpatterns = [
    path("opportunities/", views.opportunity_list, name="pipeline_list"),
    path("opportunities/new/", views.opportunity_create, name="pipeline_create"),
    path("opportunities/<str:code>/", views.opportunity_detail, name="pipeline_detail"),
    path("opportunities/<str:code>/edit/", views.opportunity_edit, name="pipeline_edit"),
    path(
        "opportunities/<str:code>/qualification/",
        views.opportunity_qualification,
        name="pipeline_qualification",
    ),
    path(
        "opportunities/<str:code>/questions/",
        views.opportunity_questions,
        name="pipeline_questions",
    ),
    path("opportunities/<str:code>/risk/", views.opportunity_risk, name="pipeline_risk"),
    path(
        "opportunities/<str:code>/risk/preview/",
        views.opportunity_risk_preview,
        name="pipeline_risk_preview",
    ),
    path("opportunities/<str:code>/stage/", views.opportunity_stage, name="pipeline_stage"),
    path("opportunities/<str:code>/touch/", views.opportunity_touch, name="pipeline_touch"),
    path(
        "opportunities/<str:code>/<slug:action>/",
        views.opportunity_action,
        name="pipeline_action",
    ),
    path("pipeline/kanban/", views.kanban, name="pipeline_kanban"),
    path("pipeline/board/", views.class_board, name="pipeline_board"),
    path("pipeline/conversion/", views.conversion, name="pipeline_conversion"),
    path("pipeline/fab/", views.fab_list, name="pipeline_fab"),
    path("pipeline/fab/new/", views.fab_edit, name="pipeline_fab_create"),
    path("pipeline/fab/<int:product_id>/", views.fab_edit, name="pipeline_fab_edit"),
    path("pipeline/fab/<int:product_id>/delete/", views.fab_delete, name="pipeline_fab_delete"),
]
