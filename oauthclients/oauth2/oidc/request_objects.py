"""Request objects (OIDC Core §6, RFC 9101): authorization request parameters sent as a JWT, by
value (``request``) or by reference (``request_uri``).

The object is unsigned (``alg=none``) or signed with a key the client registered (RS256, ES256);
a client that registered ``request_object_signing_alg`` must use exactly that. A ``request_uri``
is fetched only when it is one the client registered (``request_uris``), over https, from a public
address, within a hard deadline and by a bounded number of web workers, with a size cap
(``oauthclients.outbound``): the server never fetches a URL that a stranger typed into a browser.
What it fetched (or failed to) is kept in the shared cache (``REQUEST_URI_CACHE_SECONDS``,
``OUTBOUND_FAILURE_CACHE_SECONDS``); a URI with a new fragment (OIDC Core §6.2: how a client says
the object changed) is fetched again at most once per cool-down, so no client can make the server
fetch on every request.

The parameters inside the object take precedence over the query (OIDC Core §6.3.3); the query's
``client_id`` and ``response_type`` must match the object's. The resolved request replaces the
query, so DOT, the sign-in redirect and the consent form all see one plain authorization request.
A request object that cannot be used is remembered on the request and answered, once the client
and redirect URI are known good, with ``invalid_request_object`` / ``invalid_request_uri``
redirected to the client with its ``state``.
"""

import hashlib
import json
import time
from urllib.parse import urldefrag

from django.core.cache import cache
from django.http import QueryDict
from oauth2_provider.settings import oauth2_settings

from oauthclients import conf, outbound
from oauthclients.grants import CLIENT_KEY_SIGNING_ALGS, FAPI2_MAX_FUTURE_SECONDS, UNSIGNED_ALG
from oauthclients.models import Client
from oauthclients.oauth2 import profiles
from oauthclients.oauth2.clientauth.client_keys import (
    UnverifiedJWT,
    fetch_limited,
    jose_header,
    unverified_payload,
    verified_claims,
)

MAX_REQUEST_OBJECT_BYTES = 16 * 1024
PARAMETERS = ("request", "request_uri")
# JWT claims about the object itself, never authorization request parameters.
# FAPI 2.0 Security Profile §5.3.2.1: a JWT more than 60 s ahead of our clock is refused.
MAX_FUTURE_SECONDS = FAPI2_MAX_FUTURE_SECONDS
# FAPI 2.0 Message Signing §5.3.1: a request object lives at most 60 minutes (exp - nbf).
MAX_LIFETIME_SECONDS = 3600
_ENVELOPE_CLAIMS = {"iss", "aud", "exp", "iat", "nbf", "jti", "request", "request_uri"}
# A request_uri with a fragment not fetched before is fetched at most once in this many seconds.
REFETCH_COOLDOWN_SECONDS = 10


class RequestObjectError(Exception):
    """An OAuth error code (invalid_request_object, invalid_request_uri, ...) and its description."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error
        self.description = description


def enabled() -> bool:
    """Request objects are processed (``OAUTHCLIENTS["REQUEST_OBJECTS"]``); off, they are refused."""
    return conf.get("REQUEST_OBJECTS")


def _fetched(client: Client, request_uri: str) -> bytes | None:
    """The body at ``request_uri`` (None when it could not be fetched), from the shared cache when
    this client's URI was fetched recently."""
    url, fragment = urldefrag(request_uri)
    key = "oauthclients:request-uri:" + hashlib.sha256(f"{client.client_id} {url}".encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None and (
        cached["fragment"] == fragment or not cache.add(f"{key}:refetched", 1, REFETCH_COOLDOWN_SECONDS)
    ):
        return cached["body"]
    try:
        body = fetch_limited(
            request_uri,
            name="request_uri",
            max_bytes=MAX_REQUEST_OBJECT_BYTES,
            accept="application/oauth-authz-req+jwt, application/jwt, application/jose",
        )
    except outbound.Busy:
        raise RequestObjectError(
            "temporarily_unavailable", "The request_uri cannot be fetched right now; try again shortly."
        ) from None
    ttl = (
        conf.get("REQUEST_URI_CACHE_SECONDS")
        if body is not None
        else conf.get("OUTBOUND_FAILURE_CACHE_SECONDS")
    )
    cache.set(key, {"fragment": fragment, "body": body}, ttl)
    return body


def _fetch(client: Client, request_uri: str) -> str:
    registered = {urldefrag(uri).url for uri in client.request_uris or []}
    if urldefrag(request_uri).url not in registered:
        raise RequestObjectError("invalid_request_uri", "request_uri is not one the client registered.")
    body = _fetched(client, request_uri)
    if body is None:
        raise RequestObjectError("invalid_request_uri", "The request_uri could not be fetched.")
    try:
        return body.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise RequestObjectError("invalid_request_uri", "The request_uri holds no request object.") from exc


def _claims(client: Client, token: str, issuer: str) -> dict:
    """The object's claims, verified as the client registered; raises RequestObjectError."""
    try:
        alg = jose_header(token).get("alg")
    except UnverifiedJWT as exc:
        raise RequestObjectError("invalid_request_object", "The request object is not a JWT.") from exc
    registered_alg = client.request_object_signing_alg
    if registered_alg and alg != registered_alg:
        raise RequestObjectError(
            "invalid_request_object", f"The client registered request objects signed with {registered_alg}."
        )
    if alg not in profiles.request_object_algs(client):
        raise RequestObjectError(
            "invalid_request_object", "A FAPI 2.0 client signs request objects with PS256 or ES256."
        )
    try:
        if alg == UNSIGNED_ALG:
            return unverified_payload(token)
        claims = verified_claims(client, token, algs=CLIENT_KEY_SIGNING_ALGS)
    except UnverifiedJWT as exc:
        raise RequestObjectError(
            "invalid_request_object", "The request object's signature does not verify with the client's keys."
        ) from exc
    # RFC 9101 §6.3 / OIDC Core §6.1: a signed object names its client and this server.
    if "iss" in claims and claims["iss"] != client.client_id:
        raise RequestObjectError("invalid_request_object", "The request object's iss is not the client_id.")
    audience = claims.get("aud")
    audience = [audience] if isinstance(audience, str) else audience
    if audience is not None and (not isinstance(audience, list) or issuer not in audience):
        raise RequestObjectError("invalid_request_object", "The request object's aud is not this server.")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or exp <= time.time()):
        raise RequestObjectError("invalid_request_object", "The request object has expired.")
    if problem := _time_problem(client, claims):
        raise RequestObjectError("invalid_request_object", problem)
    return claims


def _time_problem(client: Client, claims: dict) -> str | None:
    """The clock rules of a signed request object: ``iat`` and ``nbf`` no more than 60 s ahead of
    our clock (FAPI 2.0 Security Profile §5.3.2.1, for every client); for a FAPI 2.0 client also
    ``nbf`` and ``exp``, at most 60 minutes apart, ``nbf`` at most 60 minutes ago (FAPI 2.0
    Message Signing §5.3.1)."""
    now = time.time()
    for name in ("iat", "nbf"):
        value = claims.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"The request object's {name} must be a number."
        if value > now + MAX_FUTURE_SECONDS:
            return f"The request object's {name} is in the future."
    if not profiles.is_fapi2(client):
        return None
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if nbf is None or exp is None:
        return "A FAPI 2.0 client's request object must have nbf and exp."
    if exp - nbf > MAX_LIFETIME_SECONDS:
        return "The request object's exp must be at most 60 minutes after its nbf."
    if nbf < now - MAX_LIFETIME_SECONDS:
        return "The request object's nbf is more than 60 minutes ago."
    return None


def _as_parameter(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, dict | list | bool) or value is None else str(value)


def _merged(query: QueryDict, claims: dict) -> QueryDict:
    for name in ("client_id", "response_type"):
        if name in claims and query.get(name) and _as_parameter(claims[name]) != query[name]:
            raise RequestObjectError(
                "invalid_request_object", f"{name} in the request object does not match the request."
            )
    params = QueryDict(mutable=True)
    for key, values in query.lists():
        if key not in PARAMETERS:
            params.setlist(key, values)
    for key, value in claims.items():
        if key not in _ENVELOPE_CLAIMS:
            params[key] = _as_parameter(value)
    return params


def _replace_query(request, params: QueryDict) -> None:
    request.META["QUERY_STRING"] = params.urlencode()
    request.GET = params


def error_for(request, credentials):
    """The OAuth error for the request object this request carried, redirected to the client with
    its ``state``, or None when there was none or it resolved."""
    from oauth2_provider.exceptions import OAuthToolkitError
    from oauthlib.oauth2.rfc6749.errors import CustomOAuth2Error

    problem = getattr(request, "request_object_error", None)
    if problem is None:
        return None
    return OAuthToolkitError(
        error=CustomOAuth2Error(
            error=problem.error,
            description=problem.description,
            state=credentials.get("state"),
            request=credentials.get("request"),
        ),
        redirect_uri=credentials["redirect_uri"],
    )


def request_object_parameters(client: Client, query: QueryDict, issuer: str) -> QueryDict:
    """The authorization request ``query`` stands for, its ``request`` object (by value) verified as
    ``client`` registered and merged in; raises RequestObjectError. The PAR endpoint's way in
    (RFC 9126 §3), where the client has authenticated and no request_uri is fetched."""
    claims = _claims(client, query.get("request") or "", issuer)
    return _merged(query, claims)


def resolve(request) -> None:
    """Replace an authorization request carrying a request object with the request it stands
    for. On failure ``request.request_object_error`` says why (the view answers it once the
    client and redirect URI are validated)."""
    query = request.GET
    if not enabled() or not any(name in query for name in PARAMETERS):
        return
    client_id = query.get("client_id") or ""
    # PostgreSQL refuses NUL in a text parameter (a DataError); no client_id holds one.
    client = None if "\x00" in client_id else Client.objects.filter(client_id=client_id).first()
    if client is None:
        return  # DOT answers an unknown client with its error page
    try:
        if all(query.get(name) for name in PARAMETERS):
            raise RequestObjectError("invalid_request", "Send request or request_uri, not both.")
        token = query.get("request") or _fetch(client, query.get("request_uri") or "")
        claims = _claims(client, token, oauth2_settings.oidc_issuer(request))
        _replace_query(request, _merged(query, claims))
    except RequestObjectError as error:
        # The query stays as sent (oauthlib ignores these parameters), so a sign-in in between
        # comes back to the same failing request rather than to one without its object.
        request.request_object_error = error
