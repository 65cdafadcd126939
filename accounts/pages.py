import base64
import time

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import RedirectURLMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views import View
from django.views.generic import FormView, TemplateView
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.throttling import SimpleRateThrottle

from accounts import factors, passkeys, services
from accounts.forms import CodeForm, PasswordResetForm, ReauthenticateForm, SignUpForm, TotpConfirmForm
from accounts.models import RecoveryCodeDevice, UserSession
from accounts.sessions import current_session, describe_user_agent, session_amr
from beerlocker_api import limits
from beerlocker_api.signals import rate_limited
from oauthclients.oauth2.oidc import authn


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
                "signed_in_with": sign_in_methods(session_amr(session)),
            }
            for session in UserSession.objects.signed_in_as(self.request.user)
        ]
        others = sum(not entry["current"] for entry in sessions)
        return super().get_context_data(sessions=sessions, others=others, **kwargs)


_METHOD_NAMES = {
    "pwd": gettext_noop("password"),
    "otp": gettext_noop("one-time code"),
    "hwk": gettext_noop("passkey"),
    "swk": gettext_noop("passkey"),
}


def sign_in_methods(amr: list[str]) -> str:
    """RFC 8176 methods in words: "password + one-time code"; "" when unknown."""
    names = list(dict.fromkeys(_(_METHOD_NAMES[m]) for m in amr if m in _METHOD_NAMES))
    return " + ".join(names)


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


# --- Sign-in with a second factor ------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """Django's sign-in page, whose correct password signs in only a user without a second factor;
    one with a factor goes to the second step (``SignInVerifyView``) still signed out."""

    def form_valid(self, form):
        user = form.get_user()
        if not factors.has_second_factor(user):
            return super().form_valid(form)
        factors.pending_start(self.request, user=user, backend=user.backend, next_url=self.get_success_url())
        return redirect("accounts:sign-in-verify")


class AdminSignInView(SignInView):
    """The admin's sign-in (/admin/login/): the same two steps, with the admin's staff-only form."""

    authentication_form = AdminAuthenticationForm
    template_name = "admin/login.html"  # the site's sign-in page, for staff (no sign-up offer)

    def get_default_redirect_url(self):
        return reverse("admin:index")

    def get_context_data(self, **kwargs):
        return super().get_context_data(**admin.site.each_context(self.request), **kwargs)


class SignInVerifyView(FormView):
    """The second step: a code from an authenticator app or a recovery code (a passkey, where that
    plugin is installed, has its own block in the template). Reachable only after a first step
    in this browser, for a few minutes; wrong codes count like wrong passwords."""

    template_name = "registration/sign_in_verify.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        self.pending = factors.pending_get(request)
        if self.pending is None:
            messages.info(
                request, _("Sign in with your password first (or again: the step before timed out).")
            )
            return redirect("login")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            pending_user=self.pending.user,
            has_passkey=passkeys.passkeys_of(self.pending.user).exists(),
            **kwargs,
        )

    def form_valid(self, form):
        request, user = self.request, self.pending.user
        if limits.one_time_code_wait(request, user):
            return limits.lockout_response(request)
        device = _matching_device(user, form.cleaned_data["token"])
        if device is None:
            limits.one_time_code_failed(request, user)
            form.add_error("token", _("That code is not right, or was used already."))
            return self.form_invalid(form)
        if isinstance(device, RecoveryCodeDevice):
            services.recovery_code_spent(device=device)
        return complete_sign_in(request, pending=self.pending, device=device)


class StepUpView(LoginRequiredMixin, FormView):
    """An application asks for more than this session's sign-in (``acr``): the signed-in user
    confirms a second factor without their password again, a code (authenticator app or recovery
    code) or a passkey for ``mfa``, a passkey only for the phishing-resistant level. Then back to
    the application's request (a safe ``next`` only). Wrong codes count like wrong passwords, as
    on the sign-in's second step."""

    template_name = "accounts/step_up.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        wanted = request.GET.get("acr")
        self.acr = wanted if wanted in authn.MINIMUM_ACR_VALUES else authn.ACR_MFA
        nxt = request.GET.get("next") or ""
        safe = url_has_allowed_host_and_scheme(
            nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        self.next_url = nxt if safe else resolve_url(settings.LOGIN_REDIRECT_URL)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if authn.acr_satisfies(request.session.get(authn.SESSION_ACR), self.acr):
            return redirect(self.next_url)  # confirmed already (another tab, the back button)
        return super().get(request, *args, **kwargs)

    def codes_accepted(self) -> bool:
        return self.acr == authn.ACR_MFA

    def get_context_data(self, **kwargs):
        kinds = {factor.kind for factor in factors.factors_of(self.request.user)}
        return super().get_context_data(
            next_url=self.next_url,
            phishing_resistant=self.acr == authn.ACR_PHR,
            has_passkey=factors.KIND_PASSKEY in kinds,
            has_codes=self.codes_accepted() and bool(kinds & {factors.KIND_TOTP, factors.KIND_RECOVERY}),
            **kwargs,
        )

    def form_valid(self, form):
        request, user = self.request, self.request.user
        if not self.codes_accepted():
            form.add_error("token", _("This application asks for a passkey: a code is not enough."))
            return self.form_invalid(form)
        if limits.one_time_code_wait(request, user):
            return limits.lockout_response(request)
        device = _matching_device(user, form.cleaned_data["token"])
        if device is None:
            limits.one_time_code_failed(request, user)
            form.add_error("token", _("That code is not right, or was used already."))
            return self.form_invalid(form)
        if isinstance(device, RecoveryCodeDevice):
            services.recovery_code_spent(device=device)
        otp_login(request, device)
        authn.record_second_factor(request, methods=factors.amr_for(device))
        # A second factor confirmed now is an authentication now (auth_time), as a passkey's is.
        request.session[authn.SESSION_AUTH_TIME] = time.time()
        return redirect(self.next_url)

    def render_to_response(self, context, **response_kwargs):
        return _no_store(super().render_to_response(context, **response_kwargs))


def _matching_device(user, token: str):
    """The user's factor that accepts ``token`` (and, doing so, spends it), or None. django-otp's
    own throttle (each device's failure delay) applies on top of the password's counters."""
    token = "".join(token.split())
    with transaction.atomic():
        for device in factors.code_devices(user, token):
            allowed, _ = device.verify_is_allowed()
            if allowed and device.verify_token(token):
                return device
    return None


def complete_sign_in(request, *, pending, device):
    """The second step succeeded: sign the user in (``login()`` marks the session verified and its
    acr/amr, ``accounts.receivers``), or resume a provider's sign-in where it paused."""
    methods = factors.amr_for(device)
    factors.pending_verified(request, pending=pending, device=device, methods=methods)
    authn.second_factor_checked(
        request,
        user=pending.user,
        methods=methods,
        # A passkey is bound to this site's origin: a phishing page cannot relay it.
        phishing_resistant=factors.device_kind(device) == factors.KIND_PASSKEY,
    )
    if pending.resume:
        return redirect(pending.resume)
    login(request, pending.user, backend=pending.backend)
    return redirect(pending.next or settings.LOGIN_REDIRECT_URL)


# --- The security page: second factors -------------------------------------------------------


def _no_store(response):
    # Secrets (a new authenticator's key, recovery codes) are on these pages: never cached.
    response["Cache-Control"] = "no-store"
    return response


class SecurityView(LoginRequiredMixin, TemplateView):
    """The user's second factors: authenticator apps, passkeys (managed on their own page, linked
    from here) and recovery codes."""

    template_name = "accounts/security.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        found = factors.factors_of(user)
        recovery = next((f for f in found if f.kind == factors.KIND_RECOVERY), None)
        return super().get_context_data(
            factors=[f for f in found if f.kind not in (factors.KIND_RECOVERY, factors.KIND_PASSKEY)],
            passkeys=[f for f in found if f.kind == factors.KIND_PASSKEY],
            recovery=recovery,
            recovery_remaining=recovery.device.remaining() if recovery else 0,
            reauth_form=None if factors.signed_in_recently(self.request) else ReauthenticateForm(),
            required=factors.second_factor_required(user) or (user.is_staff and _staff_rule()),
            **kwargs,
        )


def _staff_rule() -> bool:
    return bool(factors.setting("REQUIRE_SECOND_FACTOR_FOR_STAFF"))


class TotpStartView(LoginRequiredMixin, View):
    """POST only: start adding an authenticator app (a new secret, unconfirmed until its code)."""

    http_method_names = ["post"]

    def post(self, request):
        services.totp_device_start(user=request.user)
        return redirect("accounts:totp-confirm")


class TotpConfirmView(LoginRequiredMixin, FormView):
    """Shows the new authenticator's QR code and secret; its current code confirms it."""

    template_name = "accounts/totp_confirm.html"
    form_class = TotpConfirmForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if self.device is None:
            return redirect("accounts:security")
        return _no_store(super().dispatch(request, *args, **kwargs))

    def get_context_data(self, **kwargs):
        secret = base64.b32encode(self.device.bin_key).decode().rstrip("=")
        return super().get_context_data(
            qr_svg=_qr_svg(self.device.config_url),
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            **kwargs,
        )

    def form_valid(self, form):
        device = self.device
        if form.cleaned_data["name"]:
            device.name = form.cleaned_data["name"]
            device.save(update_fields=["name"])
        try:
            device = services.totp_device_confirm(device=device, token=form.cleaned_data["token"])
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        # Proving the new factor verifies this session too (django-otp's is_verified()).
        otp_login(self.request, device)
        if not RecoveryCodeDevice.objects.filter(user=self.request.user).exists():
            codes = services.recovery_codes_generate(user=self.request.user)
            return _no_store(
                render(self.request, "accounts/recovery_codes.html", {"codes": codes, "first": True})
            )
        messages.success(self.request, _("Your authenticator app is added: sign-ins now ask for its code."))
        return redirect("accounts:security")


def _qr_svg(data: str) -> str:
    """A QR code of ``data`` as an inline SVG element: no script and no image request (the CSP)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    return mark_safe(svg[svg.index("<svg") :])  # noqa: S308 - our own drawing of our own URL


def _reauthenticated(request, form) -> bool:
    """A recent sign-in, or the password (or a code) given in ``form`` now. Wrong ones count like
    wrong passwords."""
    if factors.signed_in_recently(request):
        return True
    if not form.is_valid() or not form.cleaned_data["password"]:
        return False
    if limits.one_time_code_wait(request, request.user):
        return False
    given = form.cleaned_data["password"]
    if request.user.has_usable_password() and request.user.check_password(given):
        return True
    if _matching_device(request.user, given) is not None:
        return True
    limits.one_time_code_failed(request, request.user)
    return False


class FactorRemoveView(LoginRequiredMixin, View):
    """POST only: remove one of the user's factors (another's is a 404), after a recent sign-in."""

    http_method_names = ["post"]

    def post(self, request, factor_id):
        device = factors.factor_of(request.user, factor_id)
        if device is None:
            raise Http404("No such factor.")
        form = ReauthenticateForm(request.POST)
        try:
            services.second_factor_remove(
                device=device, recently_authenticated=_reauthenticated(request, form)
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("accounts:security")
        messages.success(request, _("“%(name)s” is removed.") % {"name": device.name})
        return redirect("accounts:security")


class RecoveryCodesView(LoginRequiredMixin, View):
    """POST only: a new set of recovery codes (replacing the old), shown once, after a recent sign-in."""

    http_method_names = ["post"]

    def post(self, request):
        if not _reauthenticated(request, ReauthenticateForm(request.POST)):
            messages.error(request, _("Enter your password (or a code) again to make new recovery codes."))
            return redirect("accounts:security")
        codes = services.recovery_codes_generate(user=request.user)
        return _no_store(render(request, "accounts/recovery_codes.html", {"codes": codes}))
