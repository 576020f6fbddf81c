from django.urls import path

from salesdesk.collections import views

urlpatterns = [
    path("collections/tasks/", views.tasks, name="collections_tasks"),
    path("collections/tasks/sign/", views.tasks_sign, name="collections_tasks_sign"),
    path(
        "collections/tasks/<str:month>/<str:username>.pdf",
        views.task_letter,
        name="collections_task_letter",
    ),
    path("collections/letters/", views.letters, name="collections_letters"),
    path("collections/letters/<int:pk>.pdf", views.letter_pdf, name="collections_letter_pdf"),
    path("collections/holds/", views.holds, name="collections_holds"),
    path("collections/legal/", views.legal, name="legal_queue"),
    path(
        "projects/<str:code>/letters/send/",
        views.project_letter_send,
        name="collections_letter_send",
    ),
    path(
        "projects/<str:code>/hold-override/",
        views.project_hold_override,
        name="collections_hold_override",
    ),
    path(
        "projects/<str:code>/legal/",
        views.project_send_to_legal,
        name="collections_send_to_legal",
    ),
]
