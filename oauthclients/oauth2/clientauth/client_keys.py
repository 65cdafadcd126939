"""A client's registered public keys (RFC 7591 ``jwks`` or ``jwks_uri``) and the JWTs it signs
with them: private_key_jwt client assertions and signed request objects.

A ``jwks_uri`` is fetched over https, from public addresses only (``oauthclients.outbound``),
with a short timeout and a size cap, kept in the cache for a few minutes, and fetched again (at
most once per cool-down) when a JWT names a key the cached set does not hold: that is how a
client rotates its keys (OIDC Core §10.1.1). Signatures are verified by jwcrypto, with the
algorithms we advertise only.
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

from oauthclients import outbound
from oauthclients.grants import CLIENT_KEY_SIGNING_ALGS
from oauthclients.validation import MAX_JWKS_BYTES, client_jwks_problem, fetch_url_problem

logger = logging.getLogger(__name__)

# How long a fetched key set is trusted, and how often an unknown kid may trigger a new fetch.
JWKS_CACHE_SECONDS = 300
JWKS_REFETCH_COOLDOWN_SECONDS = 10
# connect, read: a slow client must not hold a worker.
FETCH_TIMEOUT = (3, 5)
# A JWT larger than this is not a client assertion or request object anyone sends.
MAX_JWT_CHARS = 16 * 1024


class UnverifiedJWT(Exception):
    """The JWT is malformed, signed with an algorithm or key we do not accept, or not verifiable."""


def fetch_limited(url: str, *, name: str, max_bytes: int, accept: str) -> bytes | None:
    """The body of a GET to ``url`` (https, or loopback http in debug), or None when it is not
    allowed, is on a non-public address (``oauthclients.outbound``), fails, redirects, answers
    other than 200 or is larger than ``max_bytes``."""
    if fetch_url_problem(url, name=name):
        return None
    try:
        with outbound.request(
            "GET", url, timeout=FETCH_TIMEOUT, stream=True, headers={"Accept": accept}
        ) as response:
            if response.status_code != 200:
                return None
            body = response.raw.read(max_bytes + 1, decode_content=True)
    except outbound.RefusedAddress:
        logger.info("Fetching a client's %s was refused: non-public address.", name)
        return None
    except (requests.RequestException, OSError, ValueError):
        logger.info("Fetching a client's %s failed.", name)
        return None
    return body if len(body) <= max_bytes else None


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
    """The client's public keys, or None when it registered none (or they cannot be fetched).
    ``refetch`` asks the ``jwks_uri`` again, unless it was asked again very recently."""
    if client.jwks:
        return jwk.JWKSet.from_json(json.dumps(client.jwks))
    if not client.jwks_uri:
        return None
    key = _cache_key(client)
    data = cache.get(key)
    if refetch and data is not None and not cache.add(f"{key}:refetched", 1, JWKS_REFETCH_COOLDOWN_SECONDS):
        return None  # asked again moments ago: nothing new to learn, and no amplification
    if data is None or refetch:
        data = _fetch_jwks(client)
        if data is None:
            return None
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
