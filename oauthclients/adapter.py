"""What a project tells oauthclients, in one class it subclasses (allauth's ``get_adapter()``).

The app asks its adapter whenever it needs something only the project knows; a project overrides
the methods it cares about and names its subclass in ``OAUTHCLIENTS["ADAPTER"]``:

.. code-block:: python

    # myproject/adapters.py
    class MyOAuthClientsAdapter(OAuthClientsAdapter):
        def session_id(self, request):
            return request.session.get("my_public_session_id")

    # settings.py
    OAUTHCLIENTS = {"ADAPTER": "myproject.adapters.MyOAuthClientsAdapter"}

Every method has a safe default, so a project that names no adapter gets a server with oauthlib's
grants only and ``sid`` values derived from the session key, and sends no logout tokens.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.dispatch import Signal
from django.utils.module_loading import import_string
from oauthlib.oauth2.rfc6749.grant_types.base import GrantTypeBase

from oauthclients import conf


class EndedSession(Protocol):
    """What the receiver reads from the ``session`` keyword of the project's session-ended signal
    (``OAuthClientsAdapter.session_ended_signal``)."""

    user_id: Any  # the primary key of the user who was signed in
    public_id: str  # the session's sid: what ``session_id(request)`` returned for it


@dataclass(frozen=True)
class PasswordGrantToken:
    """What ``OAuthClientsAdapter.password_grant_token`` found: the token's ``user`` (None when the
    token is not usable: unknown, expired, revoked, or another account's) and the ``scopes`` it
    holds, which bound the scopes of the tokens the password grant issues with it. ``expires``
    bounds their lifetime too (None: no bound); ``source`` is the project's own handle on the token
    (opaque here), handed back to ``password_grant_tokens_issued`` when tokens are issued with it."""

    user: Any
    scopes: frozenset[str] = frozenset()
    expires: datetime | None = None
    source: Any = None


class OAuthClientsAdapter:
    """The project's side of oauthclients. Subclass it and override a method to change one thing."""

    def session_id(self, request) -> str | None:
        """The public id of the request's signed-in browser session: the ID token's ``sid`` and
        what back-channel logout names the session by; None without a session.

        Default: an HMAC of the session key (stable for the session, never the key itself, which
        is a bearer secret). Override it when the project has its own public session ids."""
        key = getattr(getattr(request, "session", None), "session_key", None)
        if not key:
            return None
        digest = hmac.new(settings.SECRET_KEY.encode(), b"oauthclients.sid:" + key.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def extra_grants(self) -> dict[str, type[GrantTypeBase]]:
        """Grants the token endpoint accepts beside oauthlib's: ``{grant type name: oauthlib grant
        class}``. Each class is built with the server's request validator
        (``oauthclients.oauth2.server.Server``) and is listed in discovery's
        ``grant_types_supported``. Default: none."""
        return {}

    def session_ended_signal(self) -> Signal | None:
        """The signal the project sends when a browser session ends, however it ends; oauthclients
        connects ``oauthclients.oauth2.logout.backchannel.session_ended`` to it at start-up and
        queues a logout token for every client that took part in the session.

        The signal must be sent with the keyword ``session``: an object with ``user_id`` and
        ``public_id`` (``EndedSession``); other keywords are ignored. Default: None, no back-channel
        logout (discovery then says ``backchannel_logout_supported: false``)."""
        return None

    def password_grant_allowed(self, user) -> tuple[bool, str]:
        """Whether the password grant may issue tokens for ``user`` once the password was right:
        ``(allowed, error_description)``. A refusal is an ``invalid_grant`` error carrying the
        description (say what the user should use instead). Override it for accounts that need
        more than a password, e.g. a second factor, which the password grant cannot ask for.

        Default: ``(True, "")``, the password is enough."""
        return True, ""

    def password_grant_token(self, username: str, password: str) -> PasswordGrantToken | None:
        """A token the project accepts as the password grant's ``password`` instead of the
        password (e.g. a personal access token, which a user with a second factor uses where only
        a password fits), or None when ``password`` is not such a token: it is then checked as a
        password. A token found is not held to ``password_grant_allowed`` (it is the alternative
        that method names); the tokens issued with it get no more than its ``scopes`` and stand
        for no sign-in (no ``acr``: the API's step-up requirements refuse them).

        Default: None, every password is a password."""
        return None

    def password_grant_tokens_issued(self, source, *, access_token, refresh_token) -> None:
        """The password grant has just saved ``access_token`` and ``refresh_token`` (DOT rows; the
        refresh token None when the client gets none) with the token whose ``PasswordGrantToken``
        carried ``source`` (never called for a None source), inside the transaction that saved
        them: link them to it, to revoke them with it. Refreshes rotate within the refresh token's
        ``token_family``, so a link to the family holds every token later refreshes issue.

        Default: nothing kept."""

    def refresh_token_expires(self, refresh_token) -> datetime | None:
        """When the tokens a refresh with ``refresh_token`` (a DOT row) issues must stop, because
        the credential they were first issued with (``password_grant_tokens_issued``) stops then:
        a refresh at or past it is ``invalid_grant``, and the access token it issues expires no
        later. None: no bound beyond the server's own lifetimes.

        Default: None."""
        return None

    def email_verified(self, user) -> bool:
        """Whether ``user``'s current e-mail address was verified (the ``email_verified`` claim).

        Default: False, never claim what nobody checked. Override it when the project verifies
        addresses (Beer Locker: by a signed link e-mailed to the address)."""
        return False

    def second_factor_levels(self, user) -> list[str]:
        """The ``acr`` levels above one factor that ``user`` can reach now by confirming a factor
        they have: ``ACR_MFA`` with any second factor, ``ACR_PHR`` too with a passkey
        (``oauthclients.oauth2.oidc.authn``). The authorization endpoint asks only when a request
        (``acr_values``, ``default_acr_values``, an essential ``acr``) or the client's
        ``minimum_acr`` wants more than the session has.

        Default: none, no factors known, so such a level is out of reach (a voluntary request goes
        on at the session's level; a required one is refused)."""
        return []

    def step_up_url(self, request, *, acr: str, next_url: str) -> str | None:
        """Where the signed-in user confirms a second factor that brings the session to ``acr``
        (recorded with ``authn.record_second_factor``), to come back to ``next_url`` (the
        authorization request) afterwards; ``ACR_PHR`` must take a passkey. Default: None (none)."""
        return None

    def second_factor_setup_url(self, request) -> str | None:
        """Where a user without a second factor sets one up: linked from the page that tells them a
        client requires one (``minimum_acr``). Default: None (no link)."""
        return None


def get_adapter() -> OAuthClientsAdapter:
    """An instance of the adapter ``OAUTHCLIENTS["ADAPTER"]`` names (default ``OAuthClientsAdapter``)."""
    return import_string(conf.get("ADAPTER"))()
