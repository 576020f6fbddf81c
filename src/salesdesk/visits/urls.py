from django.urls import path

from salesdesk.visits import views

urlpatterns = [
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/new/", views.visit_create, name="visit_create"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("visits/commitments/", views.commitment_list, name="visit_commitments"),
    path("visits/commitments/<int:pk>/done/", views.commitment_done, name="visit_commitment_done"),
    path("visits/compliance/", views.compliance, name="visit_compliance"),
]
