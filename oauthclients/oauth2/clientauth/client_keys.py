"""A client's registered public keys (RFC 7591 ``jwks`` or ``jwks_uri``) and the JWTs it signs
with them: private_key_jwt client assertions and signed request objects.

A ``jwks_uri`` is fetched over https, from public addresses only, within a hard deadline, by at
most ``OUTBOUND_REQUEST_SLOTS`` web workers at once, and with a size cap (``oauthclients.outbound``);
kept in the shared cache for a few minutes (a failure for ``OUTBOUND_FAILURE_CACHE_SECONDS``: a
client cannot make the server fetch on every request), and fetched again (at most once per
cool-down) when a JWT names a key the cached set does not hold: that is how a client rotates its
keys (OIDC Core §10.1.1). Signatures are verified by jwcrypto, with the algorithms we advertise only.
"""

import base64
import binascii
import hashlib
import json
import logging

import requests
from django.core.cache import cache
from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException, JWKeyNotFound

from oauthclients import conf, outbound
from oauthclients.grants import CLIENT_KEY_SIGNING_ALGS
from oauthclients.validation import MAX_JWKS_BYTES, client_jwks_problem, fetch_url_problem

logger = logging.getLogger(__name__)

# How long a fetched key set is trusted, and how often an unknown kid may trigger a new fetch.
JWKS_CACHE_SECONDS = 300
JWKS_REFETCH_COOLDOWN_SECONDS = 10
# What the cache holds for a key set that could not be fetched.
_FAILED = "failed"
# A JWT larger than this is not a client assertion or request object anyone sends.
MAX_JWT_CHARS = 16 * 1024


class UnverifiedJWT(Exception):
    """The JWT is malformed, signed with an algorithm or key we do not accept, or not verifiable."""


def fetch_limited(url: str, *, name: str, max_bytes: int, accept: str) -> bytes | None:
    """The body of a GET to ``url`` (https, or loopback http in debug), or None when it is not
    allowed, is on a non-public address, fails, misses the deadline, redirects, answers other than
    200 or is larger than ``max_bytes`` (``oauthclients.outbound``). Raises ``outbound.Busy``,
    before any connection, when as many web workers as allowed already wait on clients' hosts."""
    if fetch_url_problem(url, name=name):
        return None
    try:
        with outbound.request_slot():
            answer = outbound.request("GET", url, max_bytes=max_bytes, headers={"Accept": accept})
    except outbound.RefusedAddress:
        logger.info("Fetching a client's %s was refused: non-public address.", name)
        return None
    except outbound.DeadlineExceeded:
        logger.info("Fetching a client's %s was cut off at the deadline.", name)
        return None
    except requests.RequestException:
        logger.info("Fetching a client's %s failed.", name)
        return None
    return answer.content if answer.status_code == 200 else None


def _cache_key(client) -> str:
    digest = hashlib.sha256(f"{client.client_id} {client.jwks_uri}".encode()).hexdigest()
    return f"oauthclients:jwks:{digest}"


def _fetch_jwks(client) -> dict | None:
    body = fetch_limited(
        client.jwks_uri, name="jwks_uri", max_bytes=MAX_JWKS_BYTES, accept="application/json"
    )
    if body is None:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return None if client_jwks_problem(data) else data


def client_key_set(client, *, refetch: bool = False) -> jwk.JWKSet | None:
    """The client's public keys, or None when it registered none (or they cannot be fetched now).
    ``refetch`` asks the ``jwks_uri`` again, unless it was asked again very recently."""
    if client.jwks:
        return jwk.JWKSet.from_json(json.dumps(client.jwks))
    if not client.jwks_uri:
        return None
    key = _cache_key(client)
    data = cache.get(key)
    if data == _FAILED:
        return None  # failed moments ago: not asked again until the failure expires
    if refetch and data is not None and not cache.add(f"{key}:refetched", 1, JWKS_REFETCH_COOLDOWN_SECONDS):
        return None  # asked again moments ago: nothing new to learn, and no amplification
    if data is None or refetch:
        try:
            fetched = _fetch_jwks(client)
        except outbound.Busy:
            return None  # nothing was asked: nothing learnt, nothing to remember
        if fetched is None:
            if data is None:
                cache.set(key, _FAILED, conf.get("OUTBOUND_FAILURE_CACHE_SECONDS"))
            return None
        data = fetched
        cache.set(key, data, JWKS_CACHE_SECONDS)
    return jwk.JWKSet.from_json(json.dumps(data))


def jose_header(token: str) -> dict:
    """The protected header of a compact JWS (not verified), or UnverifiedJWT."""
    if not isinstance(token, str) or len(token) > MAX_JWT_CHARS or token.count(".") != 2:
        raise UnverifiedJWT("not a compact JWS")
    parsed = jws.JWS()
    try:
        parsed.deserialize(token)
        header = parsed.jose_header
    except (JWException, ValueError, TypeError) as exc:
        raise UnverifiedJWT("not a JWS") from exc
    if not isinstance(header, dict):
        raise UnverifiedJWT("no header")
    return header


def unverified_payload(token: str) -> dict:
    """The claims of a compact JWS, NOT verified: only to find out who claims to have signed it
    (or, for an unsigned request object, what it says). Raises UnverifiedJWT if unreadable."""
    jose_header(token)
    encoded = token.split(".")[1]
    try:
        payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise UnverifiedJWT("payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise UnverifiedJWT("payload is not an object")
    return payload


def verified_claims(client, token: str, *, algs=CLIENT_KEY_SIGNING_ALGS) -> dict:
    """The claims of ``token``, a JWS the client signed with one of its registered keys using one
    of ``algs``; raises UnverifiedJWT otherwise. No claim is checked here: the caller knows which."""
    alg = jose_header(token).get("alg")
    if alg not in algs:
        raise UnverifiedJWT(f"alg {alg!r} is not accepted")
    for refetch in (False, True):
        keys = client_key_set(client, refetch=refetch)
        if keys is None:
            break
        try:
            verified = jwt.JWT(jwt=token, key=keys, algs=[alg], check_claims=False)
        except JWKeyNotFound:
            if not client.jwks_uri:
                break
            continue  # perhaps the client rotated its keys: ask its jwks_uri once more
        except (JWException, ValueError, TypeError) as exc:
            raise UnverifiedJWT("bad signature") from exc
        try:
            claims = json.loads(verified.claims)
        except ValueError as exc:
            raise UnverifiedJWT("claims are not JSON") from exc
        if not isinstance(claims, dict):
            raise UnverifiedJWT("claims are not an object")
        return claims
    raise UnverifiedJWT("no registered key verifies this JWT")
