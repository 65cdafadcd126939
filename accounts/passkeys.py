"""Passkeys: WebAuthn credentials, kept by django-otp-webauthn as django-otp devices
(``WebAuthnCredential``), so ``django_otp.user_has_device(user)`` counts them with any TOTP device.

A passkey signs a fresh challenge for this site's relying-party ID, which the browser binds to the
origin it is on: a look-alike site gets nothing it could relay. Used alone (a discoverable
credential, no username typed) or as the second step after the password (the verify page,
``accounts.pages.complete_sign_in``), the session's sign-in is recorded as ``ACR_PHR`` with RFC 8176
``amr`` names (``oauthclients.oauth2.oidc.authn``).

Reads and writes the pages, the ceremony views and an API share: ``passkey_list`` (serializer
friendly), ``passkey_rename``, ``passkey_delete``; the ceremonies themselves are the library's,
with ``PasskeyHelper`` deciding the relying party and announcing each new passkey.
"""

import time
from typing import Any

from django.contrib.auth.models import User as UserModel
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http.request import split_domain_port
from django.utils.translation import gettext as _
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from accounts import factors
from accounts.sessions import describe_user_agent, user_agent
from accounts.signals import passkey_added, passkey_removed
from oauthclients.oauth2.oidc import authn

NAME_MAX_LENGTH = 64  # django-otp's Device.name


def request_rp_id(request) -> str:
    """``OTP_WEBAUTHN_RP_ID_CALLABLE`` when no RP ID is set: the request's host without its port
    (the host passed ALLOWED_HOSTS)."""
    return split_domain_port(request.get_host())[0]


class PasskeyHelper(WebAuthnHelper):
    """django-otp-webauthn's helper (``OTP_WEBAUTHN_HELPER_CLASS``): the allowed origins from
    settings or, unset, the request's; a readable default name; each new passkey announced."""

    def get_allowed_origins(self) -> list[str]:
        # Without OTP_WEBAUTHN_ALLOWED_ORIGINS: the origin this request came to (its host passed
        # ALLOWED_HOSTS; its scheme is https behind a TLS proxy only with SECURE_PROXY_SSL_HEADER).
        return list(super().get_allowed_origins()) or [f"{self.request.scheme}://{self.request.get_host()}"]

    def create_credential(self, user, response, parsed_credential, original_data):
        passkey = super().create_credential(user, response, parsed_credential, original_data)
        # "Chrome on Linux": the user may rename it; the page offers a name before the ceremony.
        passkey.name = str(describe_user_agent(user_agent(self.request)))[:NAME_MAX_LENGTH]
        return passkey

    @transaction.atomic
    def register_complete(self, user, state, data):
        # The credential, its attestation and the passkey_added event (activity, the e-mail after
        # commit): all or none. Not the view's whole request: the library spent the ceremony's
        # state by saving the session before this, and a rollback must never give it back.
        passkey = super().register_complete(user=user, state=state, data=data)
        passkey_added.send(sender=WebAuthnCredential, user=user, passkey=passkey)
        return passkey


def passkeys_of(user) -> QuerySet[WebAuthnCredential]:
    """``user``'s usable passkeys, oldest first."""
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def passkey_list(*, user) -> list[dict[str, Any]]:
    """``user``'s passkeys as plain values (for a page, a serializer or JSON): id, name, when it
    was added and last used (None: never), and whether it is synced between devices."""
    return [
        {
            "id": passkey.pk,
            "name": passkey.name,
            "added": passkey.created_at,
            "last_used": passkey.last_used_at,
            "synced": bool(passkey.backup_eligible),
        }
        for passkey in passkeys_of(user)
    ]


def session_passkey_used(request, passkey: WebAuthnCredential, *, second_factor: bool) -> None:
    """Record in the session that it was signed in with ``passkey`` alone (``amr`` e.g. ``["hwk",
    "user"]``) or, ``second_factor``, that the signed-in user confirmed with it (``record_second_factor``:
    ``mfa`` joins). Either way phishing-resistant (``ACR_PHR``), and authenticated just now. A
    password sign-in's second step goes through ``accounts.pages.complete_sign_in`` instead."""
    if second_factor:
        authn.record_second_factor(request, methods=factors.amr_for(passkey), phishing_resistant=True)
    else:
        request.session[authn.SESSION_ACR] = authn.ACR_PHR
        request.session[authn.SESSION_AMR] = factors.amr_for(passkey)
    # A passkey ceremony is an authentication now: "recently signed in" for what asks for one.
    request.session[authn.SESSION_AUTH_TIME] = time.time()


def recently_signed_in(request) -> bool:
    """True when this session signed in (or confirmed with a passkey) within the ACCOUNTS
    ``RECENT_SIGN_IN_SECONDS`` (``accounts.factors.signed_in_recently``: one notion of recent)."""
    return factors.signed_in_recently(request)


@transaction.atomic
def passkey_rename(*, user: UserModel, passkey_id: int, name: str) -> WebAuthnCredential:
    """Name one of ``user``'s passkeys (someone else's is DoesNotExist)."""
    passkey = passkeys_of(user).select_for_update().get(pk=passkey_id)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": [_("Give the passkey a name.")]}, code="required")
    passkey.name = name
    passkey.full_clean(validate_unique=False)
    passkey.save(update_fields=["name"])
    return passkey


@transaction.atomic
def passkey_delete(*, user: UserModel, passkey_id: int, recently_authenticated: bool) -> None:
    """Remove one of ``user``'s passkeys (someone else's is DoesNotExist): it can no longer sign in
    or confirm a sign-in. Takes a recent sign-in (``recently_authenticated``), so a browser left
    signed in cannot strip the account's passkeys; then ``passkey_removed`` is sent."""
    passkey = passkeys_of(user).select_for_update().get(pk=passkey_id)
    if not recently_authenticated:
        raise ValidationError(_("Sign in again to remove a passkey."), code="reauthenticate")
    name = passkey.name
    passkey.delete()
    passkey.name = name
    passkey_removed.send(sender=WebAuthnCredential, user=user, passkey=passkey)
