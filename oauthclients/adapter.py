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
