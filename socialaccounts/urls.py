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
    path("account/connections/<int:pk>/disconnect", views.DisconnectView.as_view(), name="disconnect"),
    path("account/connections/<int:pk>/refresh", views.RefreshView.as_view(), name="refresh"),
]
