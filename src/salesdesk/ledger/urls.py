from django.urls import path

from salesdesk.ledger import views

urlpatterns = [
    path("projects/<str:code>/deliveries/new/", views.delivery_post, name="delivery_post"),
    path("projects/<str:code>/invoices/new/", views.invoice_post, name="invoice_post"),
    path("projects/<str:code>/payments/new/", views.payment_post, name="payment_post"),
    path(
        "projects/<str:code>/<str:kind>/<int:pk>/reverse/",
        views.record_reverse,
        name="record_reverse",
    ),
    path("projects/<str:code>/offsets/new/", views.offset_apply, name="offset_apply"),
    path(
        "projects/<str:code>/offsets/<int:pk>/<str:step>/",
        views.offset_step,
        name="offset_step",
    ),
    path("projects/<str:code>/statement/", views.statement, name="project_statement"),
    path(
        "projects/<str:code>/statement.<str:fmt>",
        views.statement_download,
        name="project_statement_download",
    ),
    path("aging/", views.aging, name="aging"),
    path("aging/export.<str:fmt>", views.aging_export, name="aging_export"),
    path("floor-prices/", views.floor_prices, name="floor_prices"),
    path("products/", views.products, name="products"),
    path("products/<str:code>/edit/", views.product_edit, name="product_edit"),
    path(
        "projects/<str:code>/delivery-override/",
        views.delivery_override,
        name="delivery_override",
    ),
    path("deliveries/below-floor/", views.below_floor, name="floor_below"),
    path("deliveries/<int:pk>/approve/", views.delivery_approve, name="floor_approve"),
]
