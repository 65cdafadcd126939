"""DPoP proofs (RFC 9449): the one module that reads and checks them, for the authorization
server's token endpoint (``oauthclients.oauth2.tokens.dpop``) and every protected resource (the
API's ``BearerAuthentication``, userinfo, the MCP endpoint).

A proof is a JWT the client signs, for one HTTP request, with a key whose public half it carries in
its header (``jwk``). A token bound to that key (``cnf.jkt``, its RFC 7638 SHA-256 thumbprint) is
usable only with a fresh proof signed by it: a stolen token is useless without the private key.

This module lives in the shared policy package because the API (``beerlocker_api``) must check
proofs and may not import ``oauthclients`` (import-linter); the authorization server imports it.
Signatures are verified by jwcrypto (already the JOSE library of DOT and of the client keys),
with the algorithms of ``BEERLOCKER_API["DPOP_SIGNING_ALGS"]`` only.

Single use: each proof's ``jti`` is recorded in the shared cache (Django's ``cache.add``, atomic on
Redis, which production uses for every instance) for as long as its ``iat`` is acceptable, so a
replayed proof fails on any instance. Server nonces (``DPoP-Nonce``, §8 and §9) are stateless: an
HMAC of the current time window with the project's secret key, the previous window's accepted too,
so every instance issues and accepts the same ones without sharing anything.
"""

import base64
import functools
import hashlib
import json
import math
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext, gettext_noop
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from beerlocker_api import conf

# The authorization scheme, the request header, the JWT type and the nonce header (RFC 9449).
SCHEME = "DPoP"
HEADER = "HTTP_DPOP"
JWT_TYPE = "dpop+jwt"
NONCE_HEADER = "DPoP-Nonce"
# The reverse one-to-one from DOT's access token (and refresh token) to the row that binds it to a
# key: ``oauthclients`` names its binding models' relations so, the API's token lookup joins it.
BINDING_RELATED_NAME = "dpop_binding"
# A proof larger than this is no proof anyone sends (a header jwk of RSA-4096 is under 1 KiB).
MAX_PROOF_CHARS = 8 * 1024
# How many clients' public keys a process keeps read (``_public_key``).
PUBLIC_KEY_CACHE_SIZE = 1024
# The members of a JWK that only a private key has (RFC 7518 §6): never in a proof's header.
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = "-._~"


class InvalidProof(Exception):
    """The request's DPoP proof is missing, malformed or fails a check (``invalid_dpop_proof``)."""

    error = "invalid_dpop_proof"

    def __init__(self, message: str, **params: str):
        # ``message`` is English, marked with gettext_noop: the challenge's error_description
        # (``description``) stays English, the JSON detail is translated (``detail``).
        self.message, self.params = message, params
        self.description = message % params if params else message
        super().__init__(self.description)

    def detail(self) -> str:
        """The description in the active language."""
        return gettext(self.message) % self.params if self.params else gettext(self.message)


class UseNonce(InvalidProof):
    """The server demands a nonce the proof lacks or has let expire (``use_dpop_nonce``, §8): the
    answer carries a fresh one in ``DPoP-Nonce``."""

    error = "use_dpop_nonce"


@dataclass(frozen=True)
class Proof:
    """A proof that passed every check: the thumbprint of the key that signed it, and its claims."""

    jkt: str
    jti: str
    htm: str
    htu: str
    iat: float
    alg: str = ""  # the JWS algorithm that signed it (a FAPI 2.0 client may use PS256 and ES256 only)


def signing_algs() -> list[str]:
    """The algorithms a proof may be signed with (discovery's ``dpop_signing_alg_values_supported``,
    the challenges' ``algs``)."""
    return list(conf.get("DPOP_SIGNING_ALGS"))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def access_token_hash(token: str) -> str:
    """``ath`` (§4.2): the base64url SHA-256 of the access token's ASCII value."""
    return b64url(hashlib.sha256(token.encode()).digest())


def thumbprint(key: jwk.JWK) -> str:
    """RFC 7638 SHA-256 thumbprint of a public key, base64url: the ``jkt`` a token is bound to."""
    return key.thumbprint()  # jwcrypto's default: SHA-256 over the required members, base64url


def _normalised_component(value: str, safe: str) -> str:
    # RFC 3986 §6.2.2: percent-escapes in upper case, unreserved characters decoded.
    return quote(unquote(value), safe=safe + _UNRESERVED + "%")


def normalise_htu(uri: str) -> str | None:
    """``uri`` without its query and fragment, normalised as RFC 9449 §4.3 asks (RFC 3986 §6.2.2 and
    §6.2.3: scheme and host in lower case, the default port dropped, an empty path "/", escapes
    normalised); None for anything that is not an absolute http(s) URI."""
    if not isinstance(uri, str) or len(uri) > 4096:
        return None
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _normalised_component(parts.path or "/", safe="/:@!$&'()*+,;=")
    return urlunsplit((scheme, netloc, path, "", ""))


# --- Server nonces (§8, §9) ---------------------------------------------------------------------


def _nonce_window(offset: int = 0) -> int:
    return int(time.time() // conf.get("DPOP_NONCE_SECONDS")) - offset


def _nonce_for(window: int) -> str:
    return b64url(salted_hmac("beerlocker_api.dpop.nonce", str(window), algorithm="sha256").digest())


def current_nonce() -> str:
    """The nonce to send in ``DPoP-Nonce`` now (the same on every instance)."""
    return _nonce_for(_nonce_window())


def nonce_is_fresh(nonce) -> bool:
    """The nonce is this window's or the previous one's: at most two windows old."""
    if not isinstance(nonce, str):
        return False
    return any(constant_time_compare(nonce, _nonce_for(_nonce_window(offset))) for offset in (0, 1))


# --- Reading and checking a proof ------------------------------------------------------------------


def proof_header(request) -> str | None:
    """The request's one ``DPoP`` header (a Django request's META), None when there is none.
    Several are refused: a proxy folds repeated headers with commas, which no JWT contains."""
    value = request.META.get(HEADER)
    if value is None:
        return None
    if "," in value:
        raise InvalidProof(gettext_noop("Send exactly one DPoP header."))
    return value.strip()


def _header_and_claims(proof: str) -> tuple[dict, str, dict]:
    if not isinstance(proof, str) or len(proof) > MAX_PROOF_CHARS or proof.count(".") != 2:
        raise InvalidProof(gettext_noop("The DPoP proof is not a compact JWS."))
    parsed = jws.JWS()
    try:
        parsed.deserialize(proof)
        header = parsed.jose_header
    except (JWException, ValueError, TypeError) as exc:
        raise InvalidProof(gettext_noop("The DPoP proof is not a JWS.")) from exc
    if not isinstance(header, dict) or not isinstance(header.get("typ"), str):
        raise InvalidProof(gettext_noop("The DPoP proof must have typ dpop+jwt."))
    if header["typ"].lower() != JWT_TYPE:
        raise InvalidProof(gettext_noop("The DPoP proof must have typ dpop+jwt."))
    alg = header.get("alg")
    if alg not in signing_algs():
        raise InvalidProof(
            gettext_noop("The DPoP proof's alg must be one of: %(algs)s."), algs=" ".join(signing_algs())
        )
    public = header.get("jwk")
    if not isinstance(public, dict):
        raise InvalidProof(gettext_noop("The DPoP proof's header must carry the public key (jwk)."))
    if _PRIVATE_MEMBERS & set(public):
        raise InvalidProof(
            gettext_noop("The DPoP proof's jwk must be a public key: it carries private members.")
        )
    try:
        key, jkt = _public_key(json.dumps(public, sort_keys=True))
    except (JWException, ValueError, TypeError) as exc:
        raise InvalidProof(gettext_noop("The DPoP proof's jwk is not a usable public key.")) from exc
    try:
        parsed.verify(key, alg=alg)
    except (JWException, ValueError, TypeError) as exc:
        raise InvalidProof(gettext_noop("The DPoP proof's signature does not verify with its jwk.")) from exc
    try:
        claims = json.loads(parsed.payload)
    except ValueError as exc:
        raise InvalidProof(gettext_noop("The DPoP proof's claims are not JSON.")) from exc
    if not isinstance(claims, dict):
        raise InvalidProof(gettext_noop("The DPoP proof's claims are not an object."))
    return header, jkt, claims


@functools.lru_cache(maxsize=PUBLIC_KEY_CACHE_SIZE)
def _public_key(members: str) -> tuple[jwk.JWK, str]:
    """The public key a proof's header carries (its JSON members, sorted) and its thumbprint. A
    client signs every proof with the same key: kept per process (bounded), the key is read and
    thumbprinted once, the signature is verified on every proof. An error is not kept."""
    key = jwk.JWK(**json.loads(members))
    if key.has_private or key.get("kty") == "oct":
        raise InvalidProof(gettext_noop("The DPoP proof's jwk must be a public key."))
    return key, thumbprint(key)


def _proof_lifetime() -> int:
    """How long a proof is acceptable at most: its age limit plus the future skew tolerated."""
    return int(conf.get("DPOP_PROOF_MAX_AGE_SECONDS")) + int(conf.get("DPOP_PROOF_FUTURE_SECONDS"))


def _first_use(jkt: str, jti: str) -> bool:
    """Record the proof's ``jti`` (per key) for as long as the proof could be accepted; False when it
    was recorded already: a replay. One atomic ``add`` in the shared cache."""
    digest = hashlib.sha256(f"{jkt} {jti}".encode()).hexdigest()
    return cache.add(f"beerlocker_api:dpop-jti:{digest}", 1, timeout=_proof_lifetime() + 1)


def verify_proof(
    proof: str | None,
    *,
    method: str,
    uri: str,
    access_token: str | None = None,
    nonce_required: bool = False,
) -> Proof:
    """Check ``proof`` for a ``method`` request to ``uri`` (RFC 9449 §4.3) and spend it; the Proof,
    else InvalidProof (UseNonce when ``nonce_required`` and the nonce is missing or stale).

    ``access_token`` (at a protected resource): the proof must carry its hash (``ath``). The key
    binding (the token's ``jkt`` against ``Proof.jkt``) is the caller's check.
    """
    if not proof:
        raise InvalidProof(gettext_noop("A DPoP proof is required (the DPoP header)."))
    header, jkt, claims = _header_and_claims(proof)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise InvalidProof(gettext_noop("The DPoP proof must have a jti."))
    htm = claims.get("htm")
    if not isinstance(htm, str) or htm != method.upper():
        raise InvalidProof(gettext_noop("The DPoP proof's htm is not this request's method."))
    htu = claims.get("htu")
    expected = normalise_htu(uri)
    if not isinstance(htu, str) or expected is None or normalise_htu(htu) != expected:
        raise InvalidProof(gettext_noop("The DPoP proof's htu is not this request's URI."))
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float) or not math.isfinite(iat):
        raise InvalidProof(gettext_noop("The DPoP proof must have an iat."))
    now = time.time()
    if iat > now + conf.get("DPOP_PROOF_FUTURE_SECONDS"):
        raise InvalidProof(gettext_noop("The DPoP proof's iat is in the future."))
    if iat < now - conf.get("DPOP_PROOF_MAX_AGE_SECONDS"):
        raise InvalidProof(
            gettext_noop("The DPoP proof is too old (iat): make a fresh one for each request.")
        )
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not constant_time_compare(ath, access_token_hash(access_token)):
            raise InvalidProof(gettext_noop("The DPoP proof's ath is not the hash of this access token."))
    if nonce_required and not nonce_is_fresh(claims.get("nonce")):
        raise UseNonce(gettext_noop("Make the DPoP proof again with the nonce in the DPoP-Nonce header."))
    if not _first_use(jkt, jti):
        raise InvalidProof(
            gettext_noop("The DPoP proof was used already (jti): make a fresh one for each request.")
        )
    return Proof(jkt=jkt, jti=jti, htm=htm, htu=htu, iat=float(iat), alg=header["alg"])


def verify_request_proof(request, *, access_token: str | None = None, nonce_required: bool = False) -> Proof:
    """``verify_proof`` for a Django request: its one DPoP header, its method and absolute URI."""
    return verify_proof(
        proof_header(request),
        method=request.method,
        uri=request.build_absolute_uri(request.path),
        access_token=access_token,
        nonce_required=nonce_required,
    )


# --- Tokens bound to a key -----------------------------------------------------------------------


def bound_jkt(token) -> str | None:
    """The thumbprint the access (or refresh) token ``token`` is bound to, None for a bearer token.
    Reads the binding joined to the token when its lookup joined it (no query), else one query."""
    try:
        binding = getattr(token, BINDING_RELATED_NAME)
    except (AttributeError, ObjectDoesNotExist):  # no binding models installed, or no binding row
        return None
    return binding.jkt if binding is not None else None


def challenge(error: str | None = None, description: str | None = None, *, realm: str | None = None) -> str:
    """A ``WWW-Authenticate: DPoP`` challenge (§7.1): the error, and the algorithms accepted."""
    params = []
    if realm:
        params.append(f'realm="{realm}"')
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{description}"')
    params.append(f'algs="{" ".join(signing_algs())}"')
    return f"{SCHEME} " + ", ".join(params)
