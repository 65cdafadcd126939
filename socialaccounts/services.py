"""Writes for linked provider accounts: sign in with a provider token, link, unlink, refresh profile."""

import logging

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop  # English in OAuth JSON, translated on pages
from social_core.exceptions import SocialAuthBaseException
from social_django.utils import load_strategy

from socialaccounts import conf, signals
from socialaccounts.models import SocialAccount

log = logging.getLogger(__name__)

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 - a type name
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"  # noqa: S105

_PROVIDER_DOWN = {"connection_failed", "timeout", "unavailable", "rate_limited", "tls_error"}
_OUR_CONFIGURATION = {"missing_setting", "invalid_setting", "backend_missing"}
_IN_USE = {"identity_in_use", "email_in_use", "username_in_use"}


class ProviderTokenError(Exception):
    """A provider token could not be used; ``error`` is the RFC 6749/8693 error code to answer with."""

    def __init__(self, error, description, status=400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class AccountInUse(Exception):
    """The provider account is already linked to another local user."""


class LastSignInMethod(Exception):
    """Removing this link would leave the user with no way to sign in."""


def provider_error(error: SocialAuthBaseException) -> Exception:
    """Classify a social-core 7 failure by its structured code, stage and status (never its text)."""
    backend = getattr(error.backend, "name", "?")
    log.info(
        "social token rejected: backend=%s code=%s stage=%s status=%s",
        backend,
        error.code,
        error.stage,
        error.status_code,
    )
    if error.code in _IN_USE:
        return AccountInUse(_("This provider account is already linked to another user."))
    if error.code in _PROVIDER_DOWN or (error.status_code or 0) >= 500:
        return ProviderTokenError(
            "temporarily_unavailable",
            gettext_noop("The provider could not be reached; try again later."),
            status=503,
        )
    if error.code == "unsupported_feature":
        # Our backends say why in context["description"] (e.g. X's OAuth 2.0 tokens name no app).
        description = error.context.get("description") or gettext_noop(
            "This provider cannot verify that kind of token."
        )
        return ProviderTokenError("invalid_request", description)
    if error.code == "missing_parameter" and error.stage == "token_validation":
        # The token as sent is incomplete (an X OAuth 1.0a token without its secret).
        return ProviderTokenError(
            "invalid_request", error.context.get("description") or gettext_noop("Incomplete token.")
        )
    if error.code in _OUR_CONFIGURATION:
        # The provider refused *our* credentials or settings: not the caller's fault, and retrying
        # won't help until an administrator fixes it, but it is never a 500 with details.
        log.error("social provider misconfigured: backend=%s parameter=%s", backend, error.parameter)
        return ProviderTokenError(
            "temporarily_unavailable",
            gettext_noop("Sign-in with this provider is not available right now."),
            status=503,
        )
    if error.stage == "refresh":
        # Renewing the stored token failed: only a new sign-in with the provider can help.
        return ProviderTokenError(
            "invalid_grant",
            gettext_noop("The provider no longer accepts the stored token; sign in with it again."),
        )
    if error.claim in {"aud", "azp"}:
        return ProviderTokenError(
            "invalid_grant", gettext_noop("The token was issued to another application.")
        )
    if error.code == "response_expired":
        return ProviderTokenError("invalid_grant", gettext_noop("The token has expired."))
    if error.claim == "email_verified":
        return ProviderTokenError(
            "invalid_grant", gettext_noop("The provider has not verified this e-mail address.")
        )
    return ProviderTokenError("invalid_grant", gettext_noop("The provider did not accept the token."))


def token_backend(provider):
    """A backend instance for a configured provider that can verify tokens, or None."""
    if provider not in conf.get("TOKEN_BACKENDS"):
        return None
    strategy = load_strategy()
    try:
        backend = strategy.get_backend(provider)
    except SocialAuthBaseException:
        return None
    return backend if hasattr(backend, "exchange_access_token") else None


def _verify(backend, token, token_type, user):
    try:
        if token_type == ID_TOKEN_TYPE:
            exchange_id_token = getattr(backend, "exchange_id_token", None)
            if exchange_id_token is None:
                raise ProviderTokenError(
                    "invalid_request", gettext_noop("This provider takes access tokens only.")
                )
            result = exchange_id_token(token, user=user)
        else:
            result = backend.exchange_access_token(token, user=user)
    except SocialAuthBaseException as error:
        raise provider_error(error) from error
    if result is None or not hasattr(result, "social_user"):
        raise ProviderTokenError("invalid_grant", gettext_noop("The provider did not accept the token."))
    return result


@transaction.atomic
def social_sign_in_with_token(*, provider: str, token: str, token_type: str = ACCESS_TOKEN_TYPE):
    """The user linked to a verified provider token, or a new one; nothing is written on failure."""
    backend = token_backend(provider)
    if backend is None:
        raise ProviderTokenError("invalid_request", gettext_noop("Unknown subject_issuer."))
    user = _verify(backend, token, token_type, None)
    if not user.is_active:
        raise ProviderTokenError("invalid_grant", gettext_noop("This account is disabled."))
    return user


@transaction.atomic
def social_account_connect(*, user, provider: str, access_token: str) -> tuple[SocialAccount, bool]:
    """Link the provider account behind a verified token to ``user``; refused if linked to someone else."""
    backend = token_backend(provider)
    if backend is None:
        raise ProviderTokenError("invalid_request", gettext_noop("Unknown provider."))
    existing = set(SocialAccount.objects.owned_by(user).values_list("pk", flat=True))
    # Given a user, the pipeline links to that user or fails with identity_in_use (AccountInUse).
    account = _verify(backend, access_token, ACCESS_TOKEN_TYPE, user).social_user
    return account, account.pk not in existing


LAST_SIGN_IN_METHOD = _("This is your only way to sign in: set a password or connect another account first.")


def social_account_disconnect_allowed(*, user, other_accounts: int) -> bool:
    """Whether one of ``user``'s links may be removed while ``other_accounts`` others remain: the
    rule ``social_account_disconnect`` enforces, which the connections page asks before it offers
    a Disconnect button."""
    return user.has_usable_password() or other_accounts > 0


@transaction.atomic
def social_account_disconnect(*, account: SocialAccount) -> None:
    """Remove a link, unless it is the user's last way to sign in (no usable password, no other link)."""
    user = account.user
    others = SocialAccount.objects.owned_by(user).exclude(pk=account.pk).select_for_update()
    if not social_account_disconnect_allowed(user=user, other_accounts=others.count()):
        raise LastSignInMethod(LAST_SIGN_IN_METHOD)
    account.delete()
    signals.account_unlinked.send(sender=SocialAccount, account=account, user=user)


def _provider_profile(account, backend, strategy):
    # get_access_token() renews with the refresh token once the stored expiry has passed, and saves.
    access_token = account.get_access_token(strategy)
    if not access_token:
        raise ProviderTokenError(
            "invalid_grant", gettext_noop("No provider token is stored; sign in with it again.")
        )
    try:
        return backend.user_data(access_token) or {}
    except SocialAuthBaseException as error:
        # A provider may end a token before the expiry it announced, or announce none: renew once.
        if error.status_code != 401 or not backend.get_refresh_token(account.extra_data):
            raise
    account.refresh_token(strategy)
    return backend.user_data(account.access_token) or {}


def social_account_refresh_profile(*, account: SocialAccount) -> SocialAccount:
    """Read the account's profile from the provider with the stored token, renewing the token if needed.

    A renewed token is saved at once, on its own: the provider may have retired the old refresh
    token, so it must survive a profile request that then fails.
    """
    strategy = load_strategy()
    try:
        backend = account.get_backend_instance(strategy)
        if backend is None:
            raise ProviderTokenError(
                "invalid_request", gettext_noop("This provider is not configured any more.")
            )
        data = _provider_profile(account, backend, strategy)
    except SocialAuthBaseException as error:
        raise provider_error(error) from error
    details = backend.get_user_details(data)
    if str(backend.get_user_id(details, data)) != account.uid:
        raise ProviderTokenError("invalid_grant", gettext_noop("The provider returned a different account."))
    with transaction.atomic():
        account = SocialAccount.objects.select_for_update().get(pk=account.pk)
        account.extra_data["profile"] = {
            "username": details.get("username") or "",
            "email": details.get("email") or "",
            "name": details.get("fullname") or "",
        }
        account.save(update_fields=["extra_data", "modified"])
    return account
