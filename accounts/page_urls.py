from django.urls import path

from accounts import pages

app_name = "accounts"

urlpatterns = [
    path("", pages.HomeView.as_view(), name="home"),
    path("accounts/signup/", pages.SignUpView.as_view(), name="signup"),
    path("accounts/password_set/", pages.PasswordSetView.as_view(), name="password-set"),
]
