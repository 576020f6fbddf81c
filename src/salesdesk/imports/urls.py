from django.urls import path

from salesdesk.imports import views

urlpatterns = [
    path("import/", views.import_upload, name="import_upload"),
]
