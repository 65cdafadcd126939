from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import RedirectURLMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import render
from django.views.generic import FormView, TemplateView
from rest_framework.throttling import SimpleRateThrottle

from accounts import services
from accounts.forms import SignUpForm


class HomeView(TemplateView):
    """What Beer Locker is, and where to go from here."""

    template_name = "accounts/home.html"


class SignUpThrottle(SimpleRateThrottle):
    """The API's sign-up rate (``API_SIGNUP_RATE``) and counter: one budget per address for both."""

    scope = "signup"

    def get_cache_key(self, request, view):
        # The key ScopedRateThrottle gives POST /api/users, so the page is no way around its limit.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignUpView(RedirectURLMixin, FormView):
    """Creates an account with the same rules as ``POST /api/users``, signs it in, follows a safe ``next``."""

    template_name = "registration/signup.html"
    form_class = SignUpForm
    next_page = settings.LOGIN_REDIRECT_URL

    def post(self, request, *args, **kwargs):
        throttle = SignUpThrottle()
        if not throttle.allow_request(request, self):
            context = {"wait": throttle.wait()}
            return render(request, "registration/signup_throttled.html", context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"], email=data["email"], password=data["password1"]
            )
        except ValidationError as error:
            # The service's validators (unique username, password rules) speak for the form's fields.
            form.add_error(None, _on_form_fields(error))
            return self.form_invalid(form)
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        # Only a ``next`` that passed RedirectURLMixin's same-host check is carried through the form.
        return super().get_context_data(next=self.get_redirect_url(), **kwargs)


def _on_form_fields(error):
    """A service ValidationError keyed by the form's field names (the password is ``password1``)."""
    return ValidationError(
        {
            ("password1" if field == "password" else field): errors
            for field, errors in error.error_dict.items()
        }
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, then ``user_password_changed``: the old password's tokens, codes
    and other sessions end; this session stays signed in."""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            services.user_password_changed(user=form.user)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's password reset, then ``user_password_changed`` as for a password change."""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            services.user_password_changed(user=form.user)
        return response
