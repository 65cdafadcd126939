"""The project's adapters: how the reusable apps meet Beer Locker's own (``OAUTHCLIENTS["ADAPTER"]``
and ``SOCIALACCOUNTS["ADAPTER"]`` name them). The apps never import each other or ``accounts``; the
flows between them are wired here, and drawn in docs/development.md ("A provider's logout").
"""

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from accounts import emails, factors, services
from accounts.models import UserSession
from accounts.sessions import session_public_id
from accounts.signals import session_ended
from socialaccounts.adapter import SessionPredicate, SocialAccountsAdapter
from socialaccounts.grants import TokenExchangeAdapter


class BeerLockerOAuthClientsAdapter(TokenExchangeAdapter):
    """The ID token's sid is accounts' public session id; every end of a session
    (``accounts.services.session_end``) queues logout tokens; token exchange is on the token
    endpoint; ``email_verified`` is accounts' verification by link."""

    def session_id(self, request) -> str | None:
        return session_public_id(request)

    def session_ended_signal(self):
        return session_ended

    def password_grant_allowed(self, user) -> tuple[bool, str]:
        """Not for a user with a second factor, which the password grant cannot ask for."""
        refusal = factors.password_only_refusal(user)
        return refusal is None, refusal or ""

    def email_verified(self, user) -> bool:
        """True only for an address verified by following its e-mailed link."""
        return emails.email_verified(user)

    def second_factor_levels(self, user) -> list[str]:
        """mfa with any confirmed factor, phr too with a passkey (accounts.factors)."""
        return factors.step_up_levels(user)

    def step_up_url(self, request, *, acr: str, next_url: str) -> str | None:
        """accounts' step-up page: a code or a passkey for mfa, a passkey for phr."""
        return f"{reverse('accounts:step-up')}?{urlencode({'acr': acr, 'next': next_url})}"

    def second_factor_setup_url(self, request) -> str | None:
        """The account security page, where authenticator apps and passkeys are added."""
        return reverse("accounts:security")


class BeerLockerSocialAccountsAdapter(SocialAccountsAdapter):
    """A provider's back-channel logout ends sessions through accounts' one ``session_end``, so
    the activity log hears of it and our own relying parties get their logout tokens in turn;
    association by e-mail finds only addresses verified by their link."""

    def end_sessions(self, *, user_id: Any, where: SessionPredicate) -> int:
        """One query for the user's live sessions (indexed), then each one's data is read."""
        ended = 0
        for session in UserSession.objects.live().filter(user_id=user_id).select_for_update():
            if where(session.get_decoded()):
                services.session_end(session=session, by=services.EndedBy.PROVIDER_LOGOUT, actor=None)
                ended += 1
        return ended

    def token_exchange_allowed(self, user) -> tuple[bool, str]:
        """Not for a user with a second factor: a provider's token is one factor, and the token
        endpoint cannot ask for the other."""
        refusal = factors.password_only_refusal(user)
        return refusal is None, refusal or ""

    def users_with_verified_email(self, email: str):
        """Only users who verified ``email`` by its link (and still have it)."""
        return emails.users_with_verified_email(email)
