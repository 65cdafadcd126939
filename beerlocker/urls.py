from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from api.exceptions import api_not_found
from api.schema import SwaggerOAuthRedirectView, SwaggerView  # also registers our OpenAPI extensions
from oauthclients.oauth2 import urls as oauth2_urls
from ops import health

urlpatterns = [
    # Load-balancer probes: liveness (no dependencies) and readiness (database and cache).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.auth_urls")),  # password change and reset end other sessions
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/oauth2/", include("oauthclients.oauth2.urls")),
    path("", include(oauth2_urls.root_urlpatterns)),
    path("api/", include("accounts.urls")),
    path("api/", include("activity.urls")),
    path("api/", include("lockers.urls")),
    # Client registration: /api/clients and DCR at /api/oauth2/register (before DOT's own routes).
    path("api/", include("oauthclients.urls")),
    path("", include("socialaccounts.urls")),
    path("social/", include("social_django.urls", namespace="social")),
    path("api-auth/", include("rest_framework.urls")),
    # --- web pages and API docs
    path("", include("accounts.page_urls")),
    path("account/beers/", include("lockers.page_urls")),
    path("account/", include("oauthclients.page_urls")),
    path("account/activity/", include("activity.page_urls")),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path(
        "api/docs/oauth2-redirect.html",
        SwaggerOAuthRedirectView.as_view(),
        name="api-docs-oauth2-redirect",
    ),
    # Last: anything else under /api/ is a JSON 404, in debug mode too.
    re_path(r"^api/", api_not_found),
]

handler500 = "api.exceptions.server_error"
