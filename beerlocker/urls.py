from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from accounts import pages
from beerlocker_api.exceptions import api_not_found

# Importing the schema module also registers our OpenAPI extensions.
from beerlocker_api.schema import SwaggerOAuthRedirectView, SwaggerView
from beerlocker_api.views import ApiRootView
from oauthclients.oauth2 import urls as oauth2_urls
from ops import health, operations, scrape

# One sign-in page for the whole site: the browsable API's leads to it, keeping `next`; the admin
# shows it at /admin/login/ (its staff-only form, so a sign-in there is recorded as the admin's).
sign_in = RedirectView.as_view(pattern_name="login", query_string=True)
admin.site.login_template = "admin/login.html"  # templates/admin/login.html: the site's, for staff
# The admin says whose it is, not "Django administration".
admin.site.site_header = "Beer Locker administration"
admin.site.site_title = "Beer Locker admin"
api_auth_urls = ([path("login/", sign_in, name="login")], "rest_framework")

api_root = ApiRootView.as_view(
    endpoints={
        "users": "accounts-api:user-list",
        "me": "accounts-api:user-me",
        "beers": "lockers:beer-list",
        "stats": "lockers:stats",
        "clients": "oauthclients:client-list",
        "client_registration": "oauthclients:dcr-register",
        "social_accounts": "socialaccounts:account-list",
        "sessions": "accounts-api:session-list",
        "activity": "activity-api:event-list",
        "openid_configuration": "oauth2_provider:oidc-connect-discovery-info",
        "docs": "api-docs",
        "schema": "schema",
    }
)

urlpatterns = [
    # Load-balancer probes: liveness (no dependencies) and readiness (database and cache).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # The operator's Prometheus scrape (answered by HealthCheckMiddleware first; ops/scrape.py).
    path("metrics", scrape.metrics, name="metrics"),
    # Charts of the last day and month, for staff (before admin/, whose catch-all would take it).
    path("admin/operations/", admin.site.admin_view(operations.OperationsView.as_view()), name="operations"),
    # The admin's sign-in is the site's two-step one (a second factor is asked for, too).
    path("admin/login/", pages.AdminSignInView.as_view(), name="admin-login"),
    path("admin/", admin.site.urls),
    # The language switcher's POST target (django.views.i18n.set_language).
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.auth_urls")),  # password change and reset end other sessions
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/oauth2/", include("oauthclients.oauth2.urls")),
    path("", include(oauth2_urls.root_urlpatterns)),
    # RFC 9728: the API's protected-resource metadata (root and path forms).
    path("", include("beerlocker_api.urls")),
    path("api/", include("accounts.urls")),
    path("api/", include("activity.urls")),
    path("api/", include("personaltokens.urls")),
    path("api/", include("lockers.urls")),
    # Client registration: /api/clients and DCR at /api/oauth2/register (before DOT's own routes).
    path("api/", include("oauthclients.urls")),
    path("", include("socialaccounts.urls")),
    # The locker as an MCP server for AI assistants (docs/mcp.md): /mcp and its RFC 9728 metadata.
    path("", include("lockers.mcp.urls")),
    path("social/", include("social_django.urls", namespace="social")),
    path("api-auth/", include(api_auth_urls)),
    # --- web pages and API docs
    path("", include("accounts.page_urls")),
    path("account/beers/", include("lockers.page_urls")),
    path("account/", include("oauthclients.page_urls")),
    path("account/activity/", include("activity.page_urls")),
    path("account/tokens/", include("personaltokens.page_urls")),
    # The passkey ceremonies' JSON endpoints (accounts.passkey_views, django-otp-webauthn's script).
    path("account/passkeys/webauthn/", include("accounts.passkey_urls")),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path(
        "api/docs/oauth2-redirect.html",
        SwaggerOAuthRedirectView.as_view(),
        name="api-docs-oauth2-redirect",
    ),
    re_path(r"^api/?$", api_root, name="api-root"),
    path("favicon.ico", pages.favicon),
    # Last: anything else under /api/ is a JSON 404, in debug mode too.
    re_path(r"^api/", api_not_found),
]

handler404 = "beerlocker_api.exceptions.not_found"
handler500 = "beerlocker_api.exceptions.server_error"
