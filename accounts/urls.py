from django.urls import re_path

from accounts import views

app_name = "accounts-api"

# Both with and without the trailing slash, like every API route.
urlpatterns = [
    re_path(r"^users/?$", views.UserSignUpView.as_view(), name="user-list"),
    re_path(r"^users/me/?$", views.UserMeView.as_view(), name="user-me"),
]
