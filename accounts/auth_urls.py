"""Django's account URLs (sign in and out, password change and reset), mounted at ``/accounts/``,
with the two views that set a password replaced by ours (``accounts.pages``)."""

from django.contrib.auth import urls as auth_urls
from django.urls import path

from accounts import pages

_OURS = {"password_change", "password_reset_confirm"}

urlpatterns = [
    path("password_change/", pages.PasswordChangeView.as_view(), name="password_change"),
    path("reset/<uidb64>/<token>/", pages.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    *(pattern for pattern in auth_urls.urlpatterns if pattern.name not in _OURS),
]
