"""A DRF authentication class for any other Django API that accepts this server's JWT access
tokens (RFC 9068), verified by the issuer's published keys (its JWKS), without sharing its database
or its cache.

    from oauthclients.jwt_authentication import JWKSAccessTokenAuthentication

    class BeerLockerTokens(JWKSAccessTokenAuthentication):
        issuer = "https://beerlocker.example.com/api/oauth2"
        audience = "https://reviews.example.com/api/"   # this API's RFC 8707 resource identifier

    REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["reviews.auth.BeerLockerTokens"]}

What it checks (RFC 9068 §4): ``typ`` ``at+jwt``; ``alg`` in ``algorithms`` (never ``none`` or a
symmetric one); the signature, by the key the header's ``kid`` names; ``iss``; ``aud`` includes
``audience``; ``exp`` (with a few seconds' leeway), and every claim RFC 9068 requires.

The key set is fetched from ``jwks_uri`` (default: the issuer's ``/.well-known/jwks.json``) with
``oauthclients.outbound`` (a hard wall-clock deadline, a size cap, no redirects, public addresses
only unless ``OAUTHCLIENTS["OUTBOUND_ALLOWED_NETWORKS"]`` says), kept in this process for
``jwks_cache_seconds``, and fetched again when a token names a key it does not hold (the issuer
rotated its key) at most once per ``jwks_refetch_seconds`` across processes (the shared cache).

Revocation: this API learns of it only when the token expires (5 minutes by default). An API
that must refuse a revoked token at once calls the issuer's introspection endpoint instead.

``request.user`` is a ``TokenUser`` (``sub``, the scopes, no database row) and ``request.auth``
the verified claims; override ``get_user(claims)`` to map ``sub`` to a local account.
"""

import json
import threading
import time

import jwt
from django.core.cache import cache
from rest_framework import authentication, exceptions

from beerlocker_api import jwt_access
from beerlocker_api.authentication import bearer_token
from oauthclients.oauth2.clientauth.client_keys import fetch_limited
from oauthclients.validation import MAX_JWKS_BYTES


class TokenUser:
    """The user a verified token acts for, as far as the token says: no database row."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, claims: dict):
        self.claims = claims
        self.pk = self.id = self.username = claims["sub"]
        self.scopes = frozenset(claims.get("scope", "").split())

    def __str__(self) -> str:
        return self.username


class _Keys:
    """One issuer's key set in this process: kid -> key, and when it was fetched."""

    def __init__(self, keys: dict, fetched: float):
        self.keys, self.fetched = keys, fetched


_key_sets: dict[str, _Keys] = {}
_key_sets_lock = threading.Lock()


class JWKSAccessTokenAuthentication(authentication.BaseAuthentication):
    """Bearer JWT access tokens of ``issuer`` for ``audience``, verified by the issuer's JWKS."""

    issuer: str = ""
    audience: str = ""
    jwks_uri: str = ""
    algorithms: tuple[str, ...] = ("RS256", "PS256", "ES256")
    leeway_seconds: int = jwt_access.LEEWAY_SECONDS
    jwks_cache_seconds: int = 300
    jwks_refetch_seconds: int = 10
    www_authenticate_realm = "api"

    def get_jwks_uri(self) -> str:
        return self.jwks_uri or f"{self.issuer.rstrip('/')}/.well-known/jwks.json"

    def authenticate(self, request):
        token = bearer_token(request)
        if token is None:
            return None
        try:
            claims = self.verify(token)
        except jwt_access.RefusedToken as refusal:
            raise exceptions.AuthenticationFailed(str(refusal)) from None
        return self.get_user(claims), claims

    def authenticate_header(self, request):
        return f'Bearer realm="{self.www_authenticate_realm}", error="invalid_token"'

    def get_user(self, claims: dict):
        """Who ``request.user`` is: a ``TokenUser`` (override to map ``sub`` to a local account)."""
        return TokenUser(claims)

    def verify(self, token: str) -> dict:
        """The claims of ``token`` when it is a valid access token for this API; RefusedToken otherwise."""
        if not jwt_access.looks_like_jwt(token):
            raise jwt_access.RefusedToken("The access token is not a JWT.")
        header = jwt_access.unverified_header(token)
        alg = jwt_access.check_header(header, algorithms=self.algorithms)
        key = self.key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": list(jwt_access.REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise jwt_access.RefusedToken("The access token has expired.") from exc
        except jwt.InvalidAudienceError as exc:
            raise jwt_access.RefusedToken("The access token is not valid for this resource.") from exc
        except jwt.InvalidIssuerError as exc:
            raise jwt_access.RefusedToken("The access token was issued by another server.") from exc
        except jwt.PyJWTError as exc:
            raise jwt_access.RefusedToken("The access token is not valid.") from exc
        jwt_access.check_claims(claims, issuer=self.issuer, leeway=self.leeway_seconds)
        return claims

    # --- The issuer's keys --------------------------------------------------------------------

    def key(self, kid):
        """The issuer's public key named ``kid``: from this process's copy of its key set, which is
        fetched when missing or stale, and again (rate-limited) when it does not hold ``kid``."""
        if not isinstance(kid, str) or not kid:
            raise jwt_access.RefusedToken("The access token names no key (kid).")
        uri = self.get_jwks_uri()
        held = _key_sets.get(uri)
        stale = held is None or time.monotonic() - held.fetched > self.jwks_cache_seconds
        # An unknown kid: the issuer may have rotated its key; ask again, at most once per cool-down.
        rotated = held is not None and kid not in held.keys and self._may_refetch(uri)
        if stale or rotated:
            held = self._fetch(uri) or held
        if held is None or kid not in held.keys:
            raise jwt_access.RefusedToken("The access token was not signed by a key of its issuer.")
        return held.keys[kid]

    def _may_refetch(self, uri: str) -> bool:
        return cache.add(f"oauthclients:issuer-jwks-refetch:{uri}", 1, self.jwks_refetch_seconds)

    def _fetch(self, uri: str) -> _Keys | None:
        body = fetch_limited(
            uri, name="the issuer's jwks_uri", max_bytes=MAX_JWKS_BYTES, accept="application/json"
        )
        if body is None:
            return None
        try:
            key_set = jwt.PyJWKSet.from_dict(json.loads(body))
        except (ValueError, jwt.PyJWTError):
            return None
        keys = {
            key.key_id: key.key for key in key_set.keys if key.key_id and key.public_key_use in (None, "sig")
        }
        fetched = _Keys(keys, time.monotonic())
        with _key_sets_lock:
            _key_sets[uri] = fetched
        return fetched
