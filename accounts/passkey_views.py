"""Passkey pages and ceremonies. The ceremonies are django-otp-webauthn's JSON views (its JavaScript,
served as static files, drives the browser's side) with the project's rules added: adding a passkey
takes a recent sign-in, a registration is all or nothing, and a sign-in or confirmation with a
passkey is recorded as phishing-resistant (``accounts.passkeys.session_passkey_used``).

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
from django.views import View
from django.views.generic import TemplateView
from django_otp_webauthn import exceptions, views
from django_otp_webauthn.models import WebAuthnCredential

from accounts import passkeys


class SignInAgain(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = "Sign in again (or confirm with a passkey) to add a passkey."
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


class PasskeyAuthenticationBeginView(views.BeginCredentialAuthenticationView):
    """POST: request options. Signed out: no credentials listed (the authenticator offers its
    discoverable ones, user verification required); signed in: the user's passkeys (a second factor)."""


class PasskeyAuthenticationCompleteView(views.CompleteCredentialAuthenticationView):
    """POST: the browser's assertion. Signed out: signs the passkey's owner in. Signed in: the
    passkey must be the user's, and completes the sign-in as a second factor. Either way the
    session's acr becomes phishing-resistant."""

    # No transaction around the whole request: the library spends the ceremony's state (its
    # challenge) by saving the session first, and a rollback must never give it back.
    @transaction.atomic
    def complete_auth(self, device: WebAuthnCredential):
        second_factor = self.request.user.is_authenticated
        super().complete_auth(device)
        passkeys.session_passkey_used(self.request, device, second_factor=second_factor)


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
            raise Http404("No such passkey.") from error
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("accounts:passkeys")
        messages.success(request, "Passkey saved.")
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
            raise Http404("No such passkey.") from error
        except ValidationError:
            messages.info(request, "To remove a passkey, sign in again first.")
            return redirect_to_login(reverse("accounts:passkeys"))
        messages.success(request, "Passkey removed: it can no longer sign in to your account.")
        return redirect("accounts:passkeys")


def _passkey_id(value) -> int:
    if not str(value or "").isdigit():
        raise Http404("No such passkey.")
    return int(value)
