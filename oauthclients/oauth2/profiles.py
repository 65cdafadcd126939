"""The FAPI 2.0 Security Profile (Final) at run time: what a client held to it (``Client.is_fapi2``:
it registered ``profile: "fapi2"``, or ``OAUTHCLIENTS["SECURITY_PROFILE"]`` is ``"fapi2"``) may do.

Registration holds the metadata to the profile (``oauthclients.validation``: private_key_jwt, no
password or implicit grant, PS256/ES256); the endpoints ask this module, so a client registered
before the server-wide switch was turned on is held to the same rules at each request:

- client authentication: private_key_jwt only, the assertion signed PS256 or ES256, its ``aud``
  the issuer identifier as a string (§5.3.2.1; ``clientauth.assertions``);
- the authorization endpoint: pushed requests only (``endpoints.par.required_for``), PKCE S256
  (``server.pkce_required_for``), ``response_type=code`` (``Client.allows_grant``: no implicit);
- the token endpoint: a DPoP proof on every request (``tokens.dpop.token_request_jkt``), signed
  PS256 or ES256; no password grant; codes that live 60 seconds at most; refresh tokens that are
  not rotated (§5.3.2.1: "shall not use refresh token rotation except in extraordinary
  circumstances");
- request objects signed PS256 or ES256 (or unsigned), ``exp`` at most 60 minutes after ``nbf``.

Every client, FAPI 2.0 or not, gets ``iss`` in authorization responses (RFC 9207), 303 after a
POST to the authorization endpoint, and errors about an unregistered redirect URI on a page of
ours, never at that URI.
"""

from datetime import timedelta

from django.utils import timezone

from oauthclients import conf
from oauthclients.grants import (
    CLIENT_KEY_SIGNING_ALGS,
    FAPI2,
    FAPI2_AUTH_METHODS,
    FAPI2_DEFAULT_ID_TOKEN_SIGNING_ALG,
    FAPI2_MAX_CODE_LIFETIME_SECONDS,
    FAPI2_REFUSED_GRANT_TYPES,
    FAPI2_RESPONSE_TYPES,
    FAPI2_SIGNING_ALGS,
    REQUEST_OBJECT_SIGNING_ALGS,
    UNSIGNED_ALG,
)


def is_fapi2(client) -> bool:
    """``client`` is held to the FAPI 2.0 Security Profile (False for no client)."""
    return client is not None and bool(getattr(client, "is_fapi2", False))


def server_wide() -> bool:
    """Every client is held to the FAPI 2.0 Security Profile (discovery then says only that)."""
    return conf.get("SECURITY_PROFILE") == FAPI2


def client_key_algs(client) -> list[str]:
    """The algorithms ``client``'s assertions (and DPoP proofs) may be signed with."""
    return FAPI2_SIGNING_ALGS if is_fapi2(client) else CLIENT_KEY_SIGNING_ALGS


def request_object_algs(client) -> list[str]:
    """The ``alg`` values ``client``'s request objects may carry (``none``: unsigned)."""
    if is_fapi2(client):
        return [UNSIGNED_ALG, *FAPI2_SIGNING_ALGS]
    return REQUEST_OBJECT_SIGNING_ALGS


def dpop_alg_problem(client, alg) -> str | None:
    """Why a DPoP proof signed with ``alg`` is refused for ``client``, or None."""
    if is_fapi2(client) and alg not in FAPI2_SIGNING_ALGS:
        return f"A FAPI 2.0 client signs DPoP proofs with {' or '.join(FAPI2_SIGNING_ALGS)}."
    return None


def response_signing_alg(client, alg: str) -> str:
    """The algorithm that signs what ``client`` registered ``alg`` for (ID tokens, signed userinfo,
    logout tokens): ``alg``, except that a FAPI 2.0 client registered with another one (RS256,
    before the server-wide switch was turned on) gets PS256 (the same RSA key, §5.4.1). ``""``
    (no OpenID Connect, no signed userinfo) stays ``""``."""
    if alg and is_fapi2(client) and alg not in FAPI2_SIGNING_ALGS:
        return FAPI2_DEFAULT_ID_TOKEN_SIGNING_ALG
    return alg


def rotates_refresh_tokens(client, default: bool) -> bool:
    """Whether ``client``'s refresh tokens are replaced at each use: never for a FAPI 2.0 client."""
    return False if is_fapi2(client) else default


def cap_code_lifetime(grant, client) -> bool:
    """Shorten ``grant`` (an unsaved or saved code) to FAPI 2.0's 60 seconds when the server's
    ``AUTHORIZATION_CODE_EXPIRE_SECONDS`` is longer; True when it changed."""
    if not is_fapi2(client):
        return False
    latest = timezone.now() + timedelta(seconds=FAPI2_MAX_CODE_LIFETIME_SECONDS)
    if grant.expires <= latest:
        return False
    grant.expires = latest
    return True


def discovery_metadata(data: dict) -> dict:
    """The discovery document narrowed to what the profile allows, when every client is held to
    it (with per-client profiles only, the document says what the server allows anyone)."""
    if not server_wide():
        return data
    algs = list(FAPI2_SIGNING_ALGS)
    narrowed = {
        **data,
        "token_endpoint_auth_methods_supported": list(FAPI2_AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "require_pushed_authorization_requests": True,
        "response_types_supported": list(FAPI2_RESPONSE_TYPES),
        "dpop_signing_alg_values_supported": [
            alg for alg in data.get("dpop_signing_alg_values_supported", []) if alg in algs
        ],
        "grant_types_supported": [
            grant for grant in data.get("grant_types_supported", []) if grant not in FAPI2_REFUSED_GRANT_TYPES
        ],
    }
    for name in (
        "id_token_signing_alg_values_supported",
        "userinfo_signing_alg_values_supported",
        "request_object_signing_alg_values_supported",
        "revocation_endpoint_auth_signing_alg_values_supported",
        "introspection_endpoint_auth_signing_alg_values_supported",
    ):
        if name in narrowed:
            narrowed[name] = [alg for alg in narrowed[name] if alg in algs or alg == UNSIGNED_ALG]
            if name != "request_object_signing_alg_values_supported":
                narrowed[name] = [alg for alg in narrowed[name] if alg != UNSIGNED_ALG]
    for name in (
        "revocation_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
    ):
        if name in narrowed:
            narrowed[name] = [method for method in narrowed[name] if method in FAPI2_AUTH_METHODS]
    return narrowed
