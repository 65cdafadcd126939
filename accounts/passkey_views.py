"""Passkey pages and ceremonies. The ceremonies are django-otp-webauthn's JSON views (its JavaScript,
served as static files, drives the browser's side) with the project's rules added: adding a passkey
takes a recent sign-in, a registration is all or nothing, and a sign-in or confirmation with a
passkey is recorded as phishing-resistant (``accounts.passkeys.session_passkey_used``). On the
second sign-in step (``/accounts/login/verify/``, after the password) the ceremony is the pending
user's and completes the sign-in like a code would (``accounts.pages.complete_sign_in``). Signed
out, beginning a ceremony is rate-limited per address (``PasskeySignInThrottle``): each one keeps a
challenge in a new anonymous session row.

Each ceremony answers bad input with a 4xx JSON ``{"detail": ..., "code": ...}``: a wrong origin,
challenge or signature is 422, a ceremony not begun (or its challenge already spent) 400, an
unknown or removed passkey 404.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from django_otp_webauthn import exceptions, views
from django_otp_webauthn.models import WebAuthnCredential
from rest_framework.throttling import SimpleRateThrottle

from accounts import factors, pages, passkeys
from beerlocker_api.signals import rate_limited


class SignInAgain(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = gettext_lazy("Sign in again (or confirm with a passkey) to add a passkey.")
    default_code = "reauthenticate"


class RecentSignInRequired:
    """Adding a passkey adds a way into the account: a browser left signed in must not do it."""

    def check_can_register(self):
        super().check_can_register()
        if not passkeys.recently_signed_in(self.request):
            raise SignInAgain()


class PasskeyRegistrationBeginView(RecentSignInRequired, views.BeginCredentialRegistrationView):
    """POST: creation options (a fresh challenge kept in the session) for a new passkey."""


class PasskeyRegistrationCompleteView(RecentSignInRequired, views.CompleteCredentialRegistrationView):
    """POST: the browser's new credential, verified against the challenge, origin and RP ID, kept
    (with its attestation and the passkey_added event, all or none: ``PasskeyHelper``)."""


class SlowDown(exceptions.OTPWebAuthnApiError):
    status_code = 429
    default_detail = gettext_lazy(
        "Too many passkey sign-ins from your address: wait a few minutes and try again."
    )
    default_code = "throttled"


class PasskeySignInThrottle(SimpleRateThrottle):
    """Signed-out passkey ceremonies per address (``API_PASSKEY_SIGN_IN_RATE``): each begin stores
    a challenge in a new anonymous session, which an unlimited script would pile up by the million.
    Signed-in users and a pending second step (one session, already there) are not counted."""

    scope = "passkey_sign_in"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PendingSignInUser:
    """The ceremony's user: the signed-in one, else the one whose password sign-in waits for its
    second step in this browser (their passkeys only), else none (a discoverable passkey)."""

    def get_user(self):
        user = super().get_user()
        if user is None and (pending := factors.pending_get(self.request)) is not None:
            return pending.user
        return user


class PasskeyAuthenticationBeginView(PendingSignInUser, views.BeginCredentialAuthenticationView):
    """POST: request options. Signed out: no credentials listed (the authenticator offers its
    discoverable ones, user verification required), at most ``PasskeySignInThrottle``'s rate per
    address; signed in, or on the second sign-in step: the user's passkeys (a second factor)."""

    def initial(self, request, *args, **kwargs):
        if self.get_user() is None:
            throttle = PasskeySignInThrottle()
            if not throttle.allow_request(request, self):
                rate_limited.send(sender=type(self), request=request, scope=throttle.scope)
                raise SlowDown()
        super().initial(request, *args, **kwargs)


class PasskeyAuthenticationCompleteView(PendingSignInUser, views.CompleteCredentialAuthenticationView):
    """POST: the browser's assertion. Signed out: signs the passkey's owner in. On the second
    sign-in step: the passkey must be the pending user's, and completes that sign-in (``pwd``,
    ``hwk``/``swk``, ``user``, ``mfa``). Signed in: the passkey must be the user's, a confirmation.
    Either way the session's acr becomes phishing-resistant."""

    _redirect_url = ""

    # No transaction around the whole request: the library spends the ceremony's state (its
    # challenge) by saving the session first, and a rollback must never give it back.
    @transaction.atomic
    def complete_auth(self, device: WebAuthnCredential):
        request = self.request
        if not request.user.is_authenticated and (pending := factors.pending_get(request)) is not None:
            # The library checked the passkey is the pending user's (authenticate_complete's user).
            response = pages.complete_sign_in(request, pending=pending, device=device)
            self._redirect_url = response["Location"]
            return
        second_factor = request.user.is_authenticated
        super().complete_auth(device)
        passkeys.session_passkey_used(request, device, second_factor=second_factor)

    def get_success_url(self):
        return self._redirect_url or super().get_success_url()


class PasskeyListPageView(LoginRequiredMixin, TemplateView):
    """The user's passkeys (name, added, last used) and the button that adds one."""

    template_name = "accounts/passkey_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            passkeys=passkeys.passkey_list(user=self.request.user),
            recent=passkeys.recently_signed_in(self.request),
            name_max_length=passkeys.NAME_MAX_LENGTH,
            **kwargs,
        )


class PasskeyVerifyPageView(LoginRequiredMixin, TemplateView):
    """Confirm it is you with one of your passkeys (a second factor, or before removing a passkey);
    then on to a safe ``next``. The button and its script fit any page that wants the same."""

    template_name = "accounts/passkey_verify.html"


class PasskeyRenamePageView(LoginRequiredMixin, View):
    """POST only: name one of your passkeys (the page sends the name typed before adding it)."""

    http_method_names = ["post"]

    def post(self, request):
        try:
            passkeys.passkey_rename(
                user=request.user,
                passkey_id=_passkey_id(request.POST.get("passkey")),
                name=request.POST.get("name", ""),
            )
        except WebAuthnCredential.DoesNotExist as error:
            raise Http404(_("No such passkey.")) from error
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("accounts:passkeys")
        messages.success(request, _("Passkey saved."))
        return redirect("accounts:passkeys")


class PasskeyDeletePageView(LoginRequiredMixin, View):
    """POST only: remove one of your passkeys; without a recent sign-in, sign in again first."""

    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            passkeys.passkey_delete(
                user=request.user, passkey_id=pk, recently_authenticated=passkeys.recently_signed_in(request)
            )
        except WebAuthnCredential.DoesNotExist as error:
            raise Http404(_("No such passkey.")) from error
        except ValidationError:
            messages.info(request, _("To remove a passkey, sign in again first."))
            return redirect_to_login(reverse("accounts:passkeys"))
        messages.success(request, _("Passkey removed: it can no longer sign in to your account."))
        return redirect("accounts:passkeys")


def _passkey_id(value) -> int:
    if not str(value or "").isdigit():
        raise Http404(_("No such passkey."))
    return int(value)
