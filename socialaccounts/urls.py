from django.urls import path, re_path

from socialaccounts import views

app_name = "socialaccounts"

# API routes answer with and without a trailing slash, like the rest of /api/.
urlpatterns = [
    re_path(r"^api/me/social-accounts/?$", views.SocialAccountListCreateView.as_view(), name="account-list"),
    re_path(
        r"^api/me/social-accounts/(?P<pk>[0-9]{1,18})/?$",
        views.SocialAccountDetailView.as_view(),
        name="account-detail",
    ),
    re_path(
        r"^api/me/social-accounts/(?P<pk>[0-9]{1,18})/refresh/?$",
        views.SocialAccountRefreshView.as_view(),
        name="account-refresh",
    ),
    path("account/connections", views.ConnectionsView.as_view(), name="connections"),
    # OpenID Connect Back-Channel Logout 1.0: register this URL at the provider as the client's
    # backchannel_logout_uri (e.g. https://beerlocker.example/social/backchannel-logout/oidc/).
    re_path(
        r"^social/backchannel-logout/(?P<backend>[a-z0-9-]{1,40})/?$",
        views.BackChannelLogoutView.as_view(),
        name="backchannel-logout",
    ),
    path("account/connections/<int:pk>/disconnect", views.DisconnectView.as_view(), name="disconnect"),
    path("account/connections/<int:pk>/refresh", views.RefreshView.as_view(), name="refresh"),
]
