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
    # The project's side of the app (oauthclients.adapter): extra grants on the token endpoint,
    # the browser session's public id (the ID token's sid), the signal sent when a session ends.
    "ADAPTER": "oauthclients.adapter.OAuthClientsAdapter",
    # Request objects (OIDC Core §6, request and request_uri); off, they are refused as before.
    "REQUEST_OBJECTS": True,
    # RFC 7591 registration without a signed-in user (oauth2.endpoints.registration): off unless asked.
    "DCR_OPEN": False,
    # Debug only: where `make run` (``manage.py createoidckey``) keeps the development signing key.
    "OIDC_DEV_KEY_FILE": "var/oidc.key",
    # A refresh token not used for this long is rejected (rotation makes each use a new token).
    "REFRESH_TOKEN_IDLE_SECONDS": 30 * 24 * 3600,
    # Delivered and failed back-channel logout deliveries older than this many days are deleted by
    # ``manage.py prunelogoutdeliveries`` (pending ones never are).
    "LOGOUT_DELIVERY_RETENTION_DAYS": 30,
    # Networks (CIDR) the server may fetch client-registered URLs from (jwks_uri, request_uri) and
    # POST logout tokens to although they are not public (oauthclients.outbound): for clients that
    # live on the operator's private network. Loopback is allowed anyway while DEBUG is on.
    "OUTBOUND_ALLOWED_NETWORKS": [],
    # The hard wall-clock bound of each of those requests: lookup, connect, TLS, headers and body,
    # however slowly the peer sends its bytes.
    "OUTBOUND_DEADLINE_SECONDS": 5,
    # How many web workers (threads and processes together, counted in the shared cache) may wait
    # on a client's host at once (jwks_uri, request_uri); one more is answered at once with an
    # error instead. Keep it below the number of workers so that the site always answers.
    "OUTBOUND_REQUEST_SLOTS": 2,
    # A jwks_uri or request_uri that could not be fetched is not asked again for this long.
    "OUTBOUND_FAILURE_CACHE_SECONDS": 30,
    # A request object fetched from a request_uri is kept this long (OIDC Core §6.2: a client
    # that changes it changes the URI's fragment; a new fragment is fetched at most once per
    # cool-down).
    "REQUEST_URI_CACHE_SECONDS": 60,
    # How many logout tokens ``manage.py logoutworker`` sends at once (at most one per client).
    "LOGOUT_DELIVERY_THREADS": 4,
}

# Keys that were replaced by an adapter method (a system check names the method to override).
REPLACED_BY_ADAPTER = {
    "EXTRA_GRANTS": "extra_grants()",
    "SESSION_ID_FUNCTION": "session_id(request)",
    "SESSION_ENDED_SIGNAL": "session_ended_signal()",
}


def get(name):
    """The value of one oauthclients setting."""
    return getattr(settings, "OAUTHCLIENTS", {}).get(name, DEFAULTS[name])
