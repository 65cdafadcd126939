from django.urls import re_path

from accounts import views

app_name = "accounts-api"

# Both with and without the trailing slash, like every API route.
urlpatterns = [
    re_path(r"^users/?$", views.UserSignUpView.as_view(), name="user-list"),
    re_path(r"^users/me/?$", views.UserMeView.as_view(), name="user-me"),
    re_path(r"^me/authenticators/?$", views.MyAuthenticatorListView.as_view(), name="authenticator-list"),
    re_path(
        r"^me/authenticators/(?P<factor_id>[\w.]+-\d+)/?$",
        views.MyAuthenticatorDetailView.as_view(),
        name="authenticator-detail",
    ),
    re_path(r"^me/sessions/?$", views.MySessionListView.as_view(), name="session-list"),
    re_path(
        r"^me/sessions/end-others/?$", views.MySessionsEndOthersView.as_view(), name="sessions-end-others"
    ),
    re_path(
        r"^me/sessions/(?P<public_id>[\w-]+)/?$", views.MySessionDetailView.as_view(), name="session-detail"
    ),
]
