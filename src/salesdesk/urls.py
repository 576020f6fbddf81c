from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from salesdesk.analytics import views as analytics_views
from salesdesk.api import api
from salesdesk.core import views as core_views
from salesdesk.core.forms import LoginForm
from salesdesk.customers import views as customer_views
from salesdesk.customers.claims import views as claims_views
from salesdesk.tiering import views as tiering_views

# An exception outside any view: a 500 page with an error id, never a traceback.
handler500 = "salesdesk.core.middleware.server_error"

urlpatterns = [
    path("", analytics_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("policy/", core_views.policy, name="policy"),
    path("tokens/", core_views.token_list, name="token_list"),
    path("tokens/<int:token_id>/revoke/", core_views.token_revoke_view, name="token_revoke"),
    path("tokens/revoke-all/", core_views.token_revoke_all_view, name="token_revoke_all"),
    path("customers/", customer_views.customer_list, name="customer_list"),
    path("customers/new/", customer_views.customer_create, name="customer_create"),
    # Before customers/<code>/, which would take "tiering" for a customer code.
    path("customers/tiering/", tiering_views.tiering_preview, name="tiering_preview"),
    path("customers/tiering/apply/", tiering_views.tiering_apply, name="tiering_apply"),
    path("customers/tiering/history/", tiering_views.tiering_history, name="tiering_history"),
    path("customers/<str:code>/", customer_views.customer_detail, name="customer_detail"),
    path("customers/<str:code>/edit/", customer_views.customer_edit, name="customer_edit"),
    path(
        "customers/<str:code>/reassign/", customer_views.customer_reassign, name="customer_reassign"
    ),
    path("customers/<str:code>/tier/", customer_views.customer_tier, name="customer_tier"),
    path("customers/<str:code>/contacts/new/", customer_views.contact_edit, name="contact_create"),
    path(
        "customers/<str:code>/contacts/<int:contact_id>/",
        customer_views.contact_edit,
        name="contact_edit",
    ),
    path(
        "customers/<str:code>/projects/new/", customer_views.project_create, name="project_create"
    ),
    path("claims/", claims_views.claim_list, name="claim_list"),
    path("claims/register/", claims_views.claim_register, name="claim_register"),
    path("claims/check/", claims_views.claim_check, name="claim_check"),
    path("claims/<int:claim_id>/release/", claims_views.claim_release, name="claim_release"),
    path("claims/disputes/", claims_views.dispute_list, name="claim_disputes"),
    path("claims/disputes/<int:dispute_id>/", claims_views.dispute_detail, name="claim_dispute"),
    path("projects/", customer_views.project_list, name="project_list"),
    path("projects/<str:code>/", customer_views.project_detail, name="project_detail"),
    path("projects/<str:code>/edit/", customer_views.project_edit, name="project_edit"),
    path("", include("salesdesk.ledger.urls")),
    path("", include("salesdesk.collections.urls")),
    path("", include("salesdesk.compensation.urls")),
    path("", include("salesdesk.imports.urls")),
    path("", include("salesdesk.pipeline.urls")),
    path("", include("salesdesk.visits.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

# A clear page for the edge checks' BadRequest (a date outside 1900-2200 in a query string).
handler400 = "salesdesk.core.views.bad_request"
