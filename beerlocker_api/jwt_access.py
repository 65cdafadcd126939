"""JWT access tokens (RFC 9068) verified where they are spent, without a database query.

The server (``oauthclients``) signs a JWT access token with its OpenID Connect key for the clients
and resources that ask for one, and keeps a row per token as it does for an opaque token (by the
checksum of the JWT: introspection, revocation, the authorized-applications page and logout read
it). A protected resource on the same site verifies such a token here instead of reading that row:

- the header: ``typ`` ``at+jwt`` (RFC 9068 §2.1), an ``alg`` in ``ALGORITHMS`` and the ``kid`` of
  one of the server's keys (the active one or a previous one still published);
- the signature, ``iss`` (this server), ``exp`` (with ``LEEWAY_SECONDS``), ``iat``, ``sub``,
  ``client_id``, ``jti``; the audience is the caller's check (``resource.audience_refusal``, as
  for an opaque token);
- that it was not revoked since, in **one** round trip to the shared cache (``cache.get_many``):
  the token's own revocation mark (its checksum, set when its row is deleted: revocation, a
  password change, the client's deletion, a refresh that replaces it) and the "no token issued
  before" marks of its user and its client (set when an account is deactivated). A mark lives
  until the tokens it refuses have expired anyway; that is why JWT access tokens are short-lived
  (``OAUTHCLIENTS["JWT_ACCESS_TOKEN_EXPIRE_SECONDS"]``): a mark the cache lost (a flush, an
  eviction) leaves a revoked token usable for at most that long.

The signature of a token already seen by this process is not verified again
(``_verified_claims``, bounded, keyed by the server's keys): its expiry and the revocation marks
are checked on every request.
"""

import base64
import binascii
import functools
import hashlib
import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime

import jwt
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils.translation import gettext, gettext_noop

TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type (RFC 9068 §2.1)
# The signature algorithms a JWT access token of this server may use: the server signs with one
# (oauthclients.oauth2.tokens.jwt_access.signing_key); a key of another type never verifies.
ALGORITHMS = ("RS256", "PS256", "ES256")
REQUIRED_CLAIMS = ("iss", "exp", "iat", "sub", "client_id", "jti", "aud")
LEEWAY_SECONDS = 5
# A JWT access token larger than this is not one this server signed.
MAX_TOKEN_CHARS = 8 * 1024
_CACHE_PREFIX = "beerlocker_api:jwt-at"
VERIFIED_CACHE_SIZE = 4096


class RefusedToken(Exception):
    """A JWT access token that must not be accepted; the message says why (never the token).
    ``str()`` is the English (an error_description); ``detail()`` the active language's."""

    def __init__(self, message: str, **params: str):
        self.message, self.params = message, params
        super().__init__(message % params if params else message)

    def detail(self) -> str:
        return gettext(self.message) % self.params if self.params else gettext(self.message)


def looks_like_jwt(token: str) -> bool:
    """Whether ``token`` has the shape of a compact JWS (the server's opaque tokens have no dot)."""
    return token.count(".") == 2 and len(token) <= MAX_TOKEN_CHARS


def token_checksum(token: str) -> str:
    """The checksum the token's row and its revocation mark are keyed by (DOT's ``token_checksum``)."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- Revocation marks in the shared cache ----------------------------------------------------------


def revoked_key(checksum: str) -> str:
    return f"{_CACHE_PREFIX}:revoked:{checksum}"


def user_key(user_pk) -> str:
    return f"{_CACHE_PREFIX}:user:{user_pk}"


def client_key(client_id: str) -> str:
    return f"{_CACHE_PREFIX}:client:{hashlib.sha256(client_id.encode()).hexdigest()}"


def revoke_tokens(revoked: Iterable[tuple[str, datetime]]) -> None:
    """Mark the tokens whose (checksum, expiry) are given revoked until they expire. A token that
    has expired already needs no mark."""
    now = time.time()
    marks = {}
    longest = 0.0
    for checksum, expires in revoked:
        left = expires.timestamp() - now + LEEWAY_SECONDS
        if left > 0:
            marks[revoked_key(checksum)] = 1
            longest = max(longest, left)
    if marks:
        # One write; every mark lives as long as the longest-lived token needs (seconds apart).
        cache.set_many(marks, timeout=int(longest) + 1)


def refuse_tokens_issued_before_now(
    *, user_pks: Iterable = (), client_ids: Iterable[str] = (), ttl: int
) -> None:
    """Refuse every JWT access token issued until now for these users and clients (an account
    deactivated, a client whose owner was). ``ttl``: the longest lifetime a token may have."""
    now = time.time()
    marks = {user_key(pk): now for pk in user_pks} | {client_key(client_id): now for client_id in client_ids}
    if marks:
        cache.set_many(marks, timeout=ttl + LEEWAY_SECONDS + 1)


class CacheReads:
    """Cache entries a view will read for the token's user, fetched in the round trip that reads
    the token's revocation marks (``verify(..., reads=)``) instead of one of their own.

    ``keys_for(claims)`` names them (the view's ``prefetch_cache_keys(request, user_pk)``, see
    ``BearerAuthentication.authenticate_jwt``). ``get_many(keys)`` answers as the cache's
    ``get_many`` does: from what was fetched when every key was, once (a second read of the same
    keys, after a write perhaps, goes to the cache), else from the cache itself.
    """

    def __init__(self, keys_for):
        self.keys_for = keys_for
        self.fetched: dict = {}  # key -> value, or _ABSENT

    def get_many(self, keys) -> dict:
        keys = list(keys)
        if not keys or any(key not in self.fetched for key in keys):
            return cache.get_many(keys)
        values = [self.fetched.pop(key) for key in keys]
        return {key: value for key, value in zip(keys, values, strict=True) if value is not _ABSENT}


_ABSENT = object()


def _marked(claims: dict, checksum: str, reads: CacheReads | None = None) -> str | None:
    """Why the cache says the token may no longer be used, else None: one ``get_many``, which also
    fetches the entries ``reads`` names."""
    keys = [revoked_key(checksum), user_key(claims["sub"]), client_key(claims["client_id"])]
    extra = [key for key in reads.keys_for(claims) if key not in keys] if reads is not None else []
    found = cache.get_many(keys + extra)
    if reads is not None:
        reads.fetched = {key: found.get(key, _ABSENT) for key in extra}
    if found.get(keys[0]):
        return gettext_noop("The access token was revoked.")
    issued = claims["iat"]
    for key in keys[1:]:
        not_before = found.get(key)
        if not_before is not None and issued <= int(not_before):
            return gettext_noop("The access token was issued before its account or client was disabled.")
    return None


# --- Issuer and keys ------------------------------------------------------------------------------


def issuer(request) -> str:
    """This server's issuer identifier as seen by ``request`` (a Django request): DOT's
    ``oidc_issuer`` (``OIDC_ISS_ENDPOINT``, else built from the request's origin and the URLconf),
    kept per origin and URLconf: it reverses a URL, a cost a token verified without a query
    should not pay on every request."""
    from oauth2_provider.settings import oauth2_settings

    configured = oauth2_settings.OIDC_ISS_ENDPOINT
    if configured:
        return configured
    from django.conf import settings

    urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
    return _issuer_at((request.scheme, request.get_host(), str(urlconf)), request)


def _issuer_at(key: tuple[str, str, str], request) -> str:
    found = _issuers.get(key)
    if found is None:
        from oauth2_provider.settings import oauth2_settings

        found = oauth2_settings.oidc_issuer(request)
        if len(_issuers) < 64:  # only ALLOWED_HOSTS get here; bounded all the same
            _issuers[key] = found
    return found


_issuers: dict[tuple[str, str, str], str] = {}


@functools.lru_cache(maxsize=8)
def _public_keys(pems: tuple[str, ...]) -> dict:
    """kid (the JWK thumbprint, as DOT names the server's keys in its JWKS) -> (public key, alg family)."""
    from jwcrypto import jwk

    keys = {}
    for pem in pems:
        if not pem:
            continue
        key = jwk.JWK.from_pem(pem.encode())
        public = jwk.JWK.from_json(key.export_public())
        keys[key.thumbprint()] = public.get_op_key("verify")
    return keys


def server_keys() -> tuple[tuple[str, ...], dict]:
    """The server's signing keys that verify (the active one and the previous ones DOT still
    publishes), as (the PEMs, kid -> public key)."""
    from oauth2_provider.settings import oauth2_settings

    pems = (oauth2_settings.OIDC_RSA_PRIVATE_KEY, *(oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE or ()))
    return pems, _public_keys(pems)


def unverified_header(token: str) -> dict:
    """The JOSE header of a compact JWS, not verified; RefusedToken when unreadable."""
    encoded = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise RefusedToken(gettext_noop("The access token is not a JWT.")) from exc
    if not isinstance(header, dict):
        raise RefusedToken(gettext_noop("The access token is not a JWT."))
    return header


def check_header(header: dict, *, algorithms: tuple[str, ...] = ALGORITHMS) -> str:
    """The header's ``alg`` when the header is an RFC 9068 access token's; RefusedToken otherwise."""
    typ = str(header.get("typ", "")).lower()
    if typ not in (TOKEN_TYPE, f"application/{TOKEN_TYPE}"):
        raise RefusedToken(gettext_noop("The token is not a JWT access token (typ at+jwt)."))
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise RefusedToken(gettext_noop("The access token's signature algorithm is not accepted."))
    return alg


def check_claims(claims: dict, *, issuer: str, leeway: int = LEEWAY_SECONDS) -> None:
    """RFC 9068 §4 on verified claims: every required claim, the issuer, not expired."""
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        raise RefusedToken(gettext_noop("The access token lacks %(claims)s."), claims=", ".join(missing))
    if claims["iss"] != issuer:
        raise RefusedToken(gettext_noop("The access token was issued by another server."))
    exp, iat = claims["exp"], claims["iat"]
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise RefusedToken(gettext_noop("The access token's exp or iat is not a number."))
    if exp + leeway <= time.time():
        raise RefusedToken(gettext_noop("The access token has expired."))


@functools.lru_cache(maxsize=VERIFIED_CACHE_SIZE)
def _verified_claims(token: str, pems: tuple[str, ...]) -> dict:
    """The claims of ``token`` once its header and signature check out against the keys ``pems``
    (part of the cache key: a key taken out of service stops verifying at once)."""
    header = unverified_header(token)
    alg = check_header(header)
    key = _public_keys(pems).get(header.get("kid"))
    if key is None:
        raise RefusedToken(gettext_noop("The access token was not signed by this server."))
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            # Checked by check_claims on every request (the signature only once).
            options={"verify_exp": False, "verify_iat": False, "verify_aud": False, "verify_iss": False},
        )
    except jwt.PyJWTError as exc:
        raise RefusedToken(gettext_noop("The access token's signature is not valid.")) from exc
    return claims


def verify(token: str, *, issuer: str, reads: CacheReads | None = None) -> dict:
    """The claims of ``token``, a JWT access token this server signed, valid and not revoked right
    now (signature, typ, alg, iss, exp, the cache's marks); RefusedToken otherwise. The caller
    checks the audience. ``reads``: cache entries to fetch in the same round trip as the marks."""
    pems, _keys = server_keys()
    claims = dict(_verified_claims(token, pems))  # a copy: the verified claims are shared
    check_claims(claims, issuer=issuer)
    refusal = _marked(claims, token_checksum(token), reads)
    if refusal is not None:
        raise RefusedToken(refusal)
    return claims


# --- What a request authenticated by a JWT access token carries ----------------------------------


def deferred_user(pk):
    """The user whose primary key is ``pk``, read from the database only when an attribute other
    than the primary key is first used: then every field at once, in one query.

    A real user instance (``isinstance``, ``pk``, ``is_authenticated``, filters by owner), built
    with Django's ``Model.from_db`` with every other field deferred. A deferred field normally
    loads alone (a query per field); ``refresh_from_db`` is replaced on this instance to load
    them all the first time.
    """
    model = get_user_model()
    pk_field = model._meta.pk
    user = model.from_db(None, [pk_field.attname], [pk_field.to_python(pk)])
    user.refresh_from_db = functools.partial(_refresh_deferred_user, user)
    return user


def _refresh_deferred_user(user, using=None, fields=None, from_queryset=None):
    deferred = user.get_deferred_fields()
    if fields is not None and set(fields) <= deferred:
        fields = list(deferred)  # the first deferred field read loads them all
    type(user).refresh_from_db(user, using=using, fields=fields, from_queryset=from_queryset)


def access_token_from_claims(claims: dict):
    """An unsaved DOT access token carrying what the API's permissions read (user, scope, expiry,
    RFC 8707 resources), built from verified claims without a query. ``jwt_claims`` keeps the
    claims (``client_id``, ``jti``, ``cnf`` ...). A client-credentials token's ``sub`` is its
    ``client_id`` (RFC 9068 §2.2): no user."""
    from oauth2_provider.models import get_access_token_model

    audience = claims["aud"]
    token = get_access_token_model()(
        scope=claims.get("scope", ""),
        expires=datetime.fromtimestamp(claims["exp"], tz=UTC),
        resource=[audience] if isinstance(audience, str) else list(audience),
    )
    if claims["sub"] != claims["client_id"]:
        token.user = deferred_user(claims["sub"])
    token.jwt_claims = claims
    return token
