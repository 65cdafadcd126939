"""The oauthclients app's own settings: ``settings.OAUTHCLIENTS`` overrides these defaults."""

from django.conf import settings

from oauthclients.grants import DEFAULT_SCOPE

DEFAULTS = {
    # Server-wide switches for the grants RFC 9700 discourages; a client must also register for them.
    "ALLOW_IMPLICIT_GRANT": True,
    "ALLOW_PASSWORD_GRANT": True,
    # Scopes only an application token (client credentials, no user) may hold.
    "APP_SCOPES": ["stats:read"],
    # Scopes only a first-party client (DOT's ``skip_authorization``, set by an administrator) may
    # hold: connecting a sign-in method to an account would let a third party sign in as the user.
    "FIRST_PARTY_SCOPES": ["social:write"],
    # What a client may ask for when it registers without a ``scope``.
    "DEFAULT_CLIENT_SCOPE": DEFAULT_SCOPE,
    # Grants other apps add to the token endpoint: {grant type name: dotted path of an oauthlib
    # grant class}, each built with the server's request validator (oauthclients.oauth2.server).
    "EXTRA_GRANTS": {},
    # Request objects (OIDC Core §6, request and request_uri); off, they are refused as before.
    "REQUEST_OBJECTS": True,
    # RFC 7591 registration without a signed-in user (oauth2.endpoints.registration): off unless asked.
    "DCR_OPEN": False,
    # Debug only: where `make run` (``manage.py createoidckey``) keeps the development signing key.
    "OIDC_DEV_KEY_FILE": "var/oidc.key",
    # A refresh token not used for this long is rejected (rotation makes each use a new token).
    "REFRESH_TOKEN_IDLE_SECONDS": 30 * 24 * 3600,
    # Back-channel logout (oauthclients.oauth2.logout.backchannel): a dotted path to a function(request)
    # returning the browser session's public id (the ID token's sid); None derives one from the
    # session key by HMAC. And the dotted path of a signal sent when a browser session ends (with
    # ``session`` having ``public_id`` and ``user_id``, or ``user`` and ``session_public_id``).
    "SESSION_ID_FUNCTION": None,
    # Dotted path of a function ``(user) -> bool``: whether the user's address is verified, for the
    # ``email_verified`` claim. None: every address is claimed unverified (never claim what
    # nobody checked).
    "EMAIL_VERIFIED_FUNCTION": None,
    "SESSION_ENDED_SIGNAL": None,
    # Delivered and failed back-channel logout deliveries older than this many days are deleted by
    # ``manage.py prunelogoutdeliveries`` (pending ones never are).
    "LOGOUT_DELIVERY_RETENTION_DAYS": 30,
    # Networks (CIDR) the server may fetch client-registered URLs from (jwks_uri, request_uri) and
    # POST logout tokens to although they are not public (oauthclients.outbound): for clients that
    # live on the operator's private network. Loopback is allowed anyway while DEBUG is on.
    "OUTBOUND_ALLOWED_NETWORKS": [],
}


def get(name):
    """The value of one oauthclients setting."""
    return getattr(settings, "OAUTHCLIENTS", {}).get(name, DEFAULTS[name])
