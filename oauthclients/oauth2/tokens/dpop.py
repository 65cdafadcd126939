"""DPoP at the authorization server (RFC 9449): the token endpoint's proofs, tokens bound to the
proof's key, and codes bound at the authorization endpoint (``dpop_jkt``, §10).

The proof itself is read and checked by ``beerlocker_api.dpop`` (the one module for proofs, shared
with the protected resources). Here:

- ``token_request_proof``: the token endpoint's check of a request's proof (``htm`` POST, ``htu``
  the endpoint, a server nonce when ``OAUTHCLIENTS["DPOP_NONCE"]``); the key's thumbprint is kept
  for this request (``proved_jkt``), where the validator reads it;
- ``token_request_jkt``: the validator's rules before anything is spent: a client registered with
  ``dpop_bound_access_tokens`` must prove; a code bound with ``dpop_jkt`` and a public client's
  refresh token bound to a key need a proof with that same key;
- ``bind_issued``: the tokens just saved are bound to the key (``AccessTokenBinding`` and, for a
  public client, ``RefreshTokenBinding``: a confidential client's refresh token is already bound
  to it by its authentication, §5), and the response says ``token_type`` ``DPoP``;
- ``access_token_jkt``: the ``cnf.jkt`` of a saved access token, for introspection and JWT access
  tokens; while a token request runs (before its tokens are saved), ``proved_jkt.get()`` is the
  key they will be bound to.
"""

import hashlib
import re
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import JsonResponse
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors

from beerlocker_api import dpop
from oauthclients import conf
from oauthclients.grants import AUTHORIZATION_CODE, REFRESH_TOKEN
from oauthclients.models import AccessTokenBinding, CodeBinding, RefreshTokenBinding
from oauthclients.oauth2 import profiles
from oauthclients.oauth2.tokens import rotation

TOKEN_TYPE = "DPoP"  # noqa: S105 - a token type name
# RFC 7638 SHA-256 thumbprints, base64url without padding: 43 characters.
_JKT = re.compile(r"^[A-Za-z0-9_-]{43}$")

# The thumbprint of the key that proved the current token request (set by the token view).
proved_jkt: ContextVar[str | None] = ContextVar("proved_jkt", default=None)
# The algorithm that signed that proof (a FAPI 2.0 client's must be PS256 or ES256).
proved_alg: ContextVar[str | None] = ContextVar("proved_alg", default=None)


def access_token_jkt(token) -> str | None:
    """The thumbprint (``cnf.jkt``) the access token ``token`` (DOT's model) is bound to, None for a
    bearer token. No query when the token was read with its binding joined."""
    return dpop.bound_jkt(token)


def is_jkt(value) -> bool:
    """``value`` has the shape of a SHA-256 JWK thumbprint (the ``dpop_jkt`` parameter)."""
    return isinstance(value, str) and bool(_JKT.match(value))


class InvalidDPoPProof(errors.OAuth2Error):
    """RFC 9449 §5: the token request's proof is missing or wrong."""

    error = "invalid_dpop_proof"
    status_code = 400


def nonce_required() -> bool:
    """The token endpoint demands server nonces (``OAUTHCLIENTS["DPOP_NONCE"]``)."""
    return bool(conf.get("DPOP_NONCE"))


def token_request_proof(request) -> dpop.Proof | None:
    """The token request's proof, checked (None when it sends none); raises ``dpop.InvalidProof``."""
    if request.META.get(dpop.HEADER) is None:
        return None
    return dpop.verify_request_proof(request, nonce_required=nonce_required())


def error_response(error: dpop.InvalidProof) -> JsonResponse:
    """The token endpoint's 400 for a refused proof (§5, §8: with a fresh nonce for use_dpop_nonce)."""
    response = JsonResponse({"error": error.error, "error_description": error.description}, status=400)
    response["Cache-Control"] = "no-store"
    if isinstance(error, dpop.UseNonce):
        response[dpop.NONCE_HEADER] = dpop.current_nonce()
    return response


@contextmanager
def proved(proof: dpop.Proof | None):
    """The token request runs with its proof's thumbprint in ``proved_jkt``."""
    reset = proved_jkt.set(proof.jkt if proof is not None else None)
    reset_alg = proved_alg.set(proof.alg if proof is not None else None)
    try:
        yield
    finally:
        proved_jkt.reset(reset)
        proved_alg.reset(reset_alg)


def token_request_jkt(request) -> str | None:
    """The key the tokens this request buys are bound to (None: bearer tokens), once the bindings
    already made allow it; an OAuth2Error otherwise. Asked before anything is spent or saved."""
    jkt = proved_jkt.get()
    client = request.client
    if jkt is None and (client.dpop_bound_access_tokens or client.is_fapi2):
        # FAPI 2.0 §5.3.2.1: sender-constrained access tokens only (DPoP here).
        raise InvalidDPoPProof(
            description="This client's access tokens are DPoP-bound: send a DPoP proof.", request=request
        )
    if jkt is not None and (problem := profiles.dpop_alg_problem(client, proved_alg.get())):
        raise InvalidDPoPProof(description=problem, request=request)
    bound = None
    if request.grant_type == AUTHORIZATION_CODE:
        from oauthclients.oauth2.tokens.codes import code_grant  # which the validator imports with this

        bound = dpop.bound_jkt(code_grant(request, request.code))
    elif request.grant_type == REFRESH_TOKEN and client.is_public:
        # Only a public client's refresh tokens are bound (``bind_issued``): one query, for those.
        bound = dpop.bound_jkt(getattr(request, "refresh_token_instance", None))
    if bound is not None:
        if jkt is None:
            raise InvalidDPoPProof(
                description="This grant is bound to a DPoP key: send a proof signed with it.", request=request
            )
        if jkt != bound:
            raise errors.InvalidGrantError(
                description="This grant is bound to another DPoP key.", request=request
            )
    return jkt


def bind_issued(jkt: str | None, token: dict, request) -> None:
    """Bind the tokens this request has just saved to ``jkt`` (inside the transaction that saved
    them), and say so in the response (``token_type``)."""
    from oauthclients.oauth2.compat import issued_access_token  # compat imports the validator's modules

    access_token = issued_access_token.get()
    in_place = (
        access_token is None
        and request.grant_type == REFRESH_TOKEN
        and not profiles.rotates_refresh_tokens(request.client, oauth2_settings.ROTATE_REFRESH_TOKEN)
    )
    if in_place:
        # A refresh without rotation (FAPI 2.0): DOT gave the refresh token's access token row the
        # new value in place; its binding follows the proof of this request (or goes).
        access_token = rotation.refreshed_in_place(token, request)
        if access_token is not None:
            issued_access_token.set(access_token)  # for the token view's app_authorized
            AccessTokenBinding.objects.filter(access_token=access_token).delete()
    if jkt is None:
        return
    if access_token is None or access_token.token_checksum != _checksum(token["access_token"]):
        # DOT's grace period re-issued an earlier token pair: nothing new to bind.
        return
    AccessTokenBinding.objects.create(access_token=access_token, jkt=jkt)
    token["token_type"] = TOKEN_TYPE
    if token.get("refresh_token") and request.client.is_public and not in_place:
        refresh_token = getattr(access_token, "refresh_token", None)  # set when DOT saved it: no query
        if refresh_token is not None:
            RefreshTokenBinding.objects.create(refresh_token=refresh_token, jkt=jkt)


def _checksum(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def bind_code(grant, request) -> None:
    """Bind a just-saved authorization code to the ``dpop_jkt`` its request named (§10), if any."""
    jkt = getattr(request, "dpop_jkt", None)
    if jkt:
        CodeBinding.objects.create(grant=grant, jkt=jkt)


def authorization_request_problem(jkt) -> str | None:
    """Why an authorization request's ``dpop_jkt`` is refused, or None (absent or well formed)."""
    if jkt is None or is_jkt(jkt):
        return None
    return "dpop_jkt must be the base64url SHA-256 thumbprint of the DPoP key (RFC 7638)."


# --- Protected resources behind oauthlib (userinfo, DOT's resource checks) -----------------------

# Set in the headers oauthlib sees when the token came with the DPoP scheme: a WSGI environ key
# without the HTTP_ prefix, which no client can send.
PRESENTED_AS_DPOP = "beerlocker.dpop_scheme"
REQUEST_URI = "beerlocker.dpop_request_uri"
# The DPoP refusal of the current resource request, for its challenge (``resource_refusal``).
resource_error: ContextVar[dict | None] = ContextVar("dpop_resource_error", default=None)


def oauthlib_headers(headers: dict, http_request) -> dict:
    """The headers oauthlib reads: a ``DPoP <token>`` authorization as ``Bearer <token>`` (the only
    scheme oauthlib reads a token from), marked so that the validator asks for the proof, with the
    request's absolute URI (oauthlib is handed the path only) for the proof's ``htu``."""
    scheme, _, token = str(headers.get("Authorization", "")).partition(" ")
    headers.pop(PRESENTED_AS_DPOP, None)
    headers.pop(REQUEST_URI, None)
    if scheme.lower() == dpop.SCHEME.lower() and token.strip():
        headers["Authorization"] = f"Bearer {token.strip()}"
        headers["HTTP_AUTHORIZATION"] = headers["Authorization"]
        headers[PRESENTED_AS_DPOP] = "1"
        headers[REQUEST_URI] = http_request.build_absolute_uri(http_request.path)
    return headers


def resource_refusal(token: str, access_token, request) -> dict | None:
    """Why a protected resource behind oauthlib refuses ``access_token`` as presented (RFC 9449
    §7), as an RFC 6750 error dict, or None: a bound token needs the DPoP scheme and a proof with
    its key for this request; an unbound one the Bearer scheme."""
    jkt = access_token_jkt(access_token)
    if not request.headers.get(PRESENTED_AS_DPOP):
        if jkt is None:
            return None
        return _refused("invalid_token", "This access token is DPoP-bound: send it as DPoP, with a proof.")
    if jkt is None:
        return _refused("invalid_token", "This access token is not DPoP-bound: send it as Bearer.")
    try:
        proof = dpop.verify_proof(
            request.headers.get(dpop.HEADER),
            method=request.http_method,
            uri=request.headers.get(REQUEST_URI, ""),
            access_token=token,
        )
    except dpop.InvalidProof as error:
        return _refused(error.error, error.description)
    if proof.jkt != jkt:
        return _refused("invalid_dpop_proof", "The DPoP proof is not signed by the token's key.")
    return None


def _refused(error: str, description: str) -> dict:
    refusal = {"error": error, "error_description": description}
    resource_error.set(refusal)
    return refusal
