"""Turns the project's signals into activity events: each receiver picks the facts worth keeping,
never a credential. Connected once, in ``ActivityConfig.ready``."""

from axes.signals import user_locked_out
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django_otp_webauthn.backends import WebAuthnBackend
from oauth2_provider.signals import app_authorized

from accounts import signals as accounts_signals
from accounts.services import EndedBy
from accounts.sessions import client_address, describe_user_agent, user_agent
from accounts.signals import (
    email_changed,
    email_verified,
    passkey_added,
    passkey_removed,
    password_changed,
    session_ended,
)
from activity import notifications
from activity.models import LOCKOUT_LIMIT, Event, Kind
from activity.services import event_record
from beerlocker_api import limits
from beerlocker_api.signals import rate_limited
from oauthclients import signals as clients
from oauthclients.grants import PASSWORD, TOKEN_EXCHANGE
from personaltokens import signals as personal
from socialaccounts import signals as social


def _backend_method(path: str) -> dict:
    """How a browser signed in, from the authentication backend that accepted it."""
    from django.contrib.auth import load_backend

    backend = load_backend(path) if path else None
    if isinstance(backend, WebAuthnBackend):
        return {"method": "passkey"}
    provider = getattr(backend, "name", None)  # social-auth backends name their provider
    return {"method": "provider", "provider": provider} if provider else {"method": "password"}


def _tell_of_unknown_browser(request, user) -> None:
    """E-mail the user when a browser without their device cookie (``beerlocker_api.limits``: set
    by every sign-in) signs in as them, unless the account never signed in before (the sign-in
    right after sign-up, or a first one with a provider, is no news to its owner)."""
    if request is None or limits.known_device(request, user.get_username()) is not None:
        return
    if not Event.objects.filter(kind=Kind.SIGN_IN, user=user).exists():
        return
    device = str(describe_user_agent(user_agent(request)))
    address = client_address(request)
    transaction.on_commit(lambda: notifications.new_sign_in(user=user, device=device, address=address))


def signed_in(sender, request, user, **kwargs):
    path = getattr(user, "backend", None) or getattr(request, "session", {}).get(BACKEND_SESSION_KEY)
    via_admin = request is not None and request.path.startswith("/admin/")
    _tell_of_unknown_browser(request, user)  # before this sign-in is itself recorded
    event_record(kind=Kind.SIGN_IN, user=user, **_backend_method(path), via="admin" if via_admin else None)


def sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password; of the rest only the account is kept, and only when
    # it exists (a mistyped password in the username field must not end up in the log).
    username = credentials.get("username")
    user = get_user_model()._default_manager.filter(username=username).first() if username else None
    event_record(kind=Kind.SIGN_IN_FAILED, user=user, method="password")


def signed_out(sender, request, user, **kwargs):
    if user is not None:
        event_record(kind=Kind.SIGN_OUT, user=user)


def session_was_ended(sender, session, by, actor, **kwargs):
    if by == EndedBy.SIGN_OUT:
        return  # recorded as the sign-out itself
    if session.user_id is None:
        return
    user = get_user_model()._default_manager.filter(pk=session.user_id).first()
    # An administrator ended it: with the admin action, or by resetting the user's password.
    by_admin = actor is not None and (by == EndedBy.ADMIN or actor.pk != session.user_id)
    event_record(
        kind=Kind.SESSION_ENDED,
        user=user,
        session=session.public_id,
        reason=str(by),
        admin=actor.get_username() if by_admin else None,
    )


def password_was_changed(sender, user, how, admin=None, **kwargs):
    kind = Kind.PASSWORD_CHANGED if how == "change" else Kind.PASSWORD_RESET
    if how == "admin":
        event_record(kind=kind, user=user, by="administrator", admin=admin.get_username() if admin else None)
    else:
        event_record(kind=kind, user=user)
    transaction.on_commit(lambda: notifications.password_changed(user=user, how=how))


def email_was_changed(sender, user, old_email, **kwargs):
    # The addresses are the account's own facts, not credentials; both are kept, so the user sees
    # where mail went before and after.
    event_record(kind=Kind.EMAIL_CHANGED, user=user, old_email=old_email, new_email=user.email)
    if old_email:
        transaction.on_commit(lambda: notifications.email_changed(user=user, old_email=old_email))


def email_was_verified(sender, user, **kwargs):
    event_record(kind=Kind.EMAIL_VERIFIED, user=user, email=user.email)


def passkey_was_added(sender, user, passkey, **kwargs):
    # The passkey's name and id only: its public key and credential id stay with it.
    name = passkey.name
    event_record(kind=Kind.PASSKEY_ADDED, user=user, name=name)
    transaction.on_commit(lambda: notifications.passkey_added(user=user, name=name))


def passkey_was_removed(sender, user, passkey, **kwargs):
    name = passkey.name
    event_record(kind=Kind.PASSKEY_REMOVED, user=user, name=name)
    transaction.on_commit(lambda: notifications.passkey_removed(user=user, name=name))


def token_issued(sender, request, token, **kwargs):
    """DOT's ``app_authorized``: a sign-in only for the grants that take the user's credentials
    or a provider's token (password, token exchange); the other grants follow a sign-in."""
    grant = request.POST.get("grant_type")
    if token.user_id is None or grant not in {PASSWORD, TOKEN_EXCHANGE}:
        return
    method = {"method": "password"}
    if grant == TOKEN_EXCHANGE:
        method = {"method": "token_exchange", "provider": request.POST.get("subject_issuer")}
    event_record(kind=Kind.SIGN_IN, user=token.user, client_id=token.application.client_id, **method)


def _client(client) -> dict:
    return {"client_id": client.client_id, "client": client.name}


def consent_given(sender, client, user, scopes, **kwargs):
    event_record(kind=Kind.CONSENT_GIVEN, user=user, scopes=list(scopes), **_client(client))


def device_authorized(sender, client, user, scopes, **kwargs):
    event_record(kind=Kind.DEVICE_AUTHORIZED, user=user, scopes=list(scopes), **_client(client))


def access_revoked(sender, client, user, **kwargs):
    event_record(kind=Kind.ACCESS_REVOKED, user=user, **_client(client))


def refresh_token_reused(sender, client, user, **kwargs):
    event_record(kind=Kind.REFRESH_TOKEN_REUSED, user=user, **_client(client))


def client_registered(sender, client, **kwargs):
    event_record(kind=Kind.CLIENT_REGISTERED, user=client.user, **_client(client))


def client_secret_rotated(sender, client, **kwargs):
    event_record(kind=Kind.CLIENT_SECRET_ROTATED, user=client.user, **_client(client))


def client_deleted(sender, client, **kwargs):
    event_record(kind=Kind.CLIENT_DELETED, user=client.user, **_client(client))


def provider_linked(sender, account, user, new_user, **kwargs):
    event_record(kind=Kind.PROVIDER_LINKED, user=user, provider=account.provider, new_account=new_user)
    if not new_user:
        provider = account.provider
        transaction.on_commit(lambda: notifications.provider_linked(user=user, provider=provider))


def provider_unlinked(sender, account, user, **kwargs):
    event_record(kind=Kind.PROVIDER_UNLINKED, user=user, provider=account.provider)


def rate_was_limited(sender, request, scope, **kwargs):
    user = getattr(request, "user", None)
    event_record(
        kind=Kind.RATE_LIMITED,
        user=user if user is not None and user.is_authenticated else None,
        limit=scope,
        path=getattr(request, "path", None),
    )


def sign_ins_locked_out(sender, request, username, **kwargs):
    # django-axes: too many failed passwords or client secrets for this account or address. As
    # for a failed sign-in, the account is named only when it exists.
    user = get_user_model()._default_manager.filter(username=username).first() if username else None
    event_record(
        kind=Kind.RATE_LIMITED,
        user=user,
        limit=LOCKOUT_LIMIT,
        path=getattr(request, "path", None),
    )


def second_factor_was_added(sender, user, kind, name, **kwargs):
    event_record(kind=Kind.SECOND_FACTOR_ADDED, user=user, factor=kind, name=name)
    transaction.on_commit(
        lambda: notifications.second_factor_changed(user=user, added=True, factor=kind, name=name)
    )


def second_factor_was_removed(sender, user, kind, name, reset, admin=None, **kwargs):
    by_admin = {"by": "administrator", "admin": admin.get_username() if admin else None} if reset else {}
    event_record(kind=Kind.SECOND_FACTOR_REMOVED, user=user, factor=kind, name=name, **by_admin)
    transaction.on_commit(
        lambda: notifications.second_factor_changed(user=user, added=False, factor=kind, name=name)
    )


def recovery_codes_were_generated(sender, user, count, **kwargs):
    event_record(kind=Kind.RECOVERY_CODES_GENERATED, user=user, count=count)
    transaction.on_commit(lambda: notifications.recovery_codes(user=user, used=False, remaining=count))


def recovery_code_was_used(sender, user, remaining, **kwargs):
    event_record(kind=Kind.RECOVERY_CODE_USED, user=user, remaining=remaining)
    transaction.on_commit(lambda: notifications.recovery_codes(user=user, used=True, remaining=remaining))


def personal_token_created(sender, token, user, **kwargs):
    # The token's name, scopes and expiry; never the token (it exists only in its owner's hands).
    event_record(
        kind=Kind.PERSONAL_TOKEN_CREATED,
        user=user,
        name=token.name,
        scopes=token.scopes,
        expires=token.expires.isoformat(),
    )
    transaction.on_commit(
        lambda: notifications.personal_token_created(
            user=user, name=token.name, scopes=token.scopes, expires=token.expires
        )
    )


def personal_token_revoked(sender, token, user, **kwargs):
    event_record(kind=Kind.PERSONAL_TOKEN_REVOKED, user=user, name=token.name)


RECEIVERS = [
    (user_logged_in, signed_in),
    (user_login_failed, sign_in_failed),
    (user_logged_out, signed_out),
    (session_ended, session_was_ended),
    (password_changed, password_was_changed),
    (email_changed, email_was_changed),
    (email_verified, email_was_verified),
    (passkey_added, passkey_was_added),
    (passkey_removed, passkey_was_removed),
    (app_authorized, token_issued),
    (clients.consent_given, consent_given),
    (clients.device_authorized, device_authorized),
    (clients.access_revoked, access_revoked),
    (clients.refresh_token_reuse_detected, refresh_token_reused),
    (clients.client_registered, client_registered),
    (clients.client_secret_rotated, client_secret_rotated),
    (clients.client_deleted, client_deleted),
    (social.account_linked, provider_linked),
    (social.account_unlinked, provider_unlinked),
    (rate_limited, rate_was_limited),
    (user_locked_out, sign_ins_locked_out),
    (accounts_signals.second_factor_added, second_factor_was_added),
    (accounts_signals.second_factor_removed, second_factor_was_removed),
    (accounts_signals.recovery_codes_generated, recovery_codes_were_generated),
    (accounts_signals.recovery_code_used, recovery_code_was_used),
    (personal.token_created, personal_token_created),
    (personal.token_revoked, personal_token_revoked),
]


def connect():
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=f"activity.{receiver.__name__}")
