from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import RedirectURLMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, TemplateView
from rest_framework.throttling import SimpleRateThrottle

from accounts import services
from accounts.forms import PasswordResetForm, SignUpForm
from accounts.models import UserSession
from accounts.sessions import current_session, describe_user_agent
from beerlocker_api.signals import rate_limited


def favicon(request):
    """Browsers ask for /favicon.ico: the site's icon, a static file (its hashed name in production,
    looked up per request so importing the URLs never needs the manifest)."""
    return redirect(static("favicon.svg"))


class HomeView(TemplateView):
    """What Beer Locker is, and where to go from here."""

    template_name = "accounts/home.html"


class PasswordSetView(LoginRequiredMixin, FormView):
    """A first password for a user who signed up through a provider (no old password to give)."""

    template_name = "registration/password_set_form.html"
    form_class = SetPasswordForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.has_usable_password():
            return redirect("password_change")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        user = services.user_set_password(user=self.request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)  # setting it keeps this browser signed in
        # Like a change: every other session ends and password_changed is sent (activity, notices).
        services.user_password_changed(user=user, how="change", keep_session=current_session(self.request))
        messages.success(self.request, _("Your password is set: you can now sign in with it."))
        return redirect("socialaccounts:connections")


class PasswordResetPage(auth_views.PasswordResetView):
    """Django's reset page, whose e-mail also reaches users who have no password yet."""

    form_class = PasswordResetForm


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
            rate_limited.send(sender=type(self), request=request, scope=throttle.scope)
            context = {"wait": throttle.wait()}
            return render(request, "registration/signup_throttled.html", context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                site_url=self.request.build_absolute_uri("/").rstrip("/"),
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


class SessionListPageView(LoginRequiredMixin, TemplateView):
    """Where the signed-in user is signed in: browser, system, address, start, last activity."""

    template_name = "accounts/session_list.html"

    def get_context_data(self, **kwargs):
        key = self.request.session.session_key
        sessions = [
            {
                "session": session,
                "device": describe_user_agent(session.user_agent),
                "current": session.session_key == key,
            }
            for session in UserSession.objects.signed_in_as(self.request.user)
        ]
        others = sum(not entry["current"] for entry in sessions)
        return super().get_context_data(sessions=sessions, others=others, **kwargs)


class SessionEndPageView(LoginRequiredMixin, View):
    """POST only: sign one of the user's sessions out (this one: a plain sign-out); another's is a 404."""

    http_method_names = ["post"]

    def post(self, request, public_id):
        session = get_object_or_404(UserSession.objects.signed_in_as(request.user), public_id=public_id)
        if session.session_key == request.session.session_key:
            logout(request)
            return redirect(settings.LOGOUT_REDIRECT_URL)
        services.session_end(session=session, by=services.EndedBy.USER, actor=request.user)
        messages.success(request, _("That session is signed out."))
        return redirect("accounts:sessions")


class SessionsEndOthersPageView(LoginRequiredMixin, View):
    """POST only: sign out everywhere but this browser."""

    http_method_names = ["post"]

    def post(self, request):
        ended = services.user_sessions_end(
            user=request.user,
            except_session=current_session(request),
            by=services.EndedBy.USER,
            actor=request.user,
        )
        messages.success(
            request,
            ngettext(
                "Signed out of %(count)d other session.", "Signed out of %(count)d other sessions.", ended
            )
            % {"count": ended},
        )
        return redirect("accounts:sessions")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, after which every other session of the user is signed out."""

    def form_valid(self, form):
        response = super().form_valid(form)  # keeps this session signed in (update_session_auth_hash)
        services.user_password_changed(
            user=form.user, how="change", keep_session=current_session(self.request)
        )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's password reset, after which every session of the user is signed out."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.user_password_changed(
            user=form.user, how="reset", keep_session=current_session(self.request)
        )
        return response


class EmailVerifyView(View):
    """GET only: the link e-mailed to an address; following it verifies that address."""

    http_method_names = ["get"]

    def get(self, request, token):
        try:
            user = services.email_verify(token=token)
        except ValidationError as error:
            return render(request, "accounts/email_verified.html", {"error": error.messages[0]}, status=400)
        return render(request, "accounts/email_verified.html", {"email": user.email})
