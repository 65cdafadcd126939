"""Django's password change and reset views with what follows them (other sessions end, the
``password_changed`` signal). Included before ``django.contrib.auth.urls`` under the same names and
paths, so every ``{% url 'password_change' %}`` reaches these."""

from django.urls import path

from accounts import pages

urlpatterns = [
    # Two steps for a user with a second factor (accounts.factors): the password, then a code.
    path("login/", pages.SignInView.as_view(), name="login"),
    path("password_change/", pages.PasswordChangeView.as_view(), name="password_change"),
    # Its e-mail also reaches users who signed up through a provider (their first password).
    path("password_reset/", pages.PasswordResetPage.as_view(), name="password_reset"),
    path("reset/<uidb64>/<token>/", pages.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
]
